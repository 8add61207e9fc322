"""Admin: bulk data. Import sites from CSV; export sites, bookings and volunteer hours."""

from datetime import date, timedelta

from flask import Response, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from .. import clock
from ..extensions import db
from ..htmx import render
from ..inputs import DayRefused, parse_day
from ..models import Site
from ..permissions import admin_required
from ..sites import sites_csv
from ..urls import positive_int
from . import bp, exports

MAX_EXPORT_DAYS = 366


class ImportForm(FlaskForm):
    file = FileField()


def _csv(name: str, lines) -> Response:
    """A CSV download. Built whole (a city's sites are a few MB), so the
    database work happens inside the request."""
    response = Response("".join(lines).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _chinese() -> bool:
    return str(get_locale()).startswith("zh")


def _page(*, errors=None, refused=None, result=None, export_error=None, status=200):
    today = clock.today()
    return render(
        "admin/data.html",
        form=ImportForm(),
        errors=(errors or [])[: sites_csv.MAX_ERRORS_SHOWN],
        error_count=len(errors or []),
        refused=refused,
        result=result,
        export_error=export_error,
        default_from=today - timedelta(days=30),
        default_to=today,
        columns=sites_csv.COLUMNS,
        status=status,
    )


@bp.get("/data")
@admin_required
def data():
    """Import sites from a spreadsheet; export sites, bookings and volunteer hours."""
    return _page()


@bp.post("/import")
@admin_required
def import_sites():
    """Check every row; import all of them, or none and say which cells to fix."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(refused=_("The form expired. Choose the file again."), status=400)
    upload = form.file.data
    if not upload or not upload.filename:
        return _page(refused=_("Choose a CSV file to import."), status=422)
    try:
        text, encoding = sites_csv.decode(
            upload.stream.read(sites_csv.MAX_BYTES + 1), upload.filename
        )
        rows, errors = sites_csv.check(text)
        if not errors:
            result, errors = sites_csv.import_sites(rows, by=current_user)
    except sites_csv.ImportRefused as refusal:
        db.session.rollback()
        return _page(refused=refusal.message, status=422)
    if errors:
        return _page(errors=errors, status=422)
    result.encoding = encoding
    return _page(result=result)


@bp.get("/import/template.csv")
@admin_required
def import_template():
    """The import's columns with one example row."""
    lines = sites_csv.csv_lines(sites_csv.header(_chinese()), sites_csv.template_rows())
    return _csv("sites-template.csv", lines)


@bp.get("/export/sites.csv")
@admin_required
def export_sites():
    """Every site, in the import's format (edit it and import it back)."""
    lines = sites_csv.csv_lines(sites_csv.header(_chinese()), sites_csv.site_rows(exports.sites()))
    return _csv(f"sites-{clock.today():%Y%m%d}.csv", lines)


def _period() -> tuple[date, date] | str:
    """The export's period, or the message that refuses it (shown with a 422)."""
    try:
        first = parse_day(request.args.get("from"))
        last = parse_day(request.args.get("to"))
    except DayRefused as refusal:
        return refusal.message
    if first is None or last is None:
        return _("Choose the first and the last day of the period.")
    if last < first:
        return _("The last day must not be before the first day.")
    if (last - first).days >= MAX_EXPORT_DAYS:
        return _("Export at most a year at a time.")
    return first, last


@bp.get("/export/bookings.csv")
@admin_required
def export_bookings():
    """Bookings at one site (a center includes its stations) over a period."""
    site_id = positive_int(request.args.get("site"))
    site = db.session.get(Site, site_id) if site_id else None
    if site is None:
        return _page(export_error=_("Enter the number of an existing site."), status=422)
    period = _period()
    if isinstance(period, str):
        return _page(export_error=period, status=422)
    first, last = period
    lines = sites_csv.csv_lines(exports.booking_header(), exports.bookings(site, first, last))
    return _csv(f"bookings-{site.id}-{first:%Y%m%d}-{last:%Y%m%d}.csv", lines)


@bp.get("/export/volunteer-hours.csv")
@admin_required
def export_volunteer_hours():
    """Each volunteer's attended activities and hours over a period."""
    period = _period()
    if isinstance(period, str):
        return _page(export_error=period, status=422)
    first, last = period
    lines = sites_csv.csv_lines(exports.hours_header(), exports.volunteer_hours(first, last))
    return _csv(f"volunteer-hours-{first:%Y%m%d}-{last:%Y%m%d}.csv", lines)
