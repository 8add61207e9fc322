"""Keeping a listing true: basic information, facilities and weekly hours.

Every form carries the listing's version; a save from an old copy gets a 409
that shows what changed, and nothing is overwritten.
"""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import Service
from ..permissions import site_scope_required
from ..sites import closures, editing
from ..sites.hours import weekly_rows
from . import bp, closing
from .forms import (
    FacilitiesForm,
    IntervalForm,
    NoticeForm,
    ServiceEditForm,
    ServiceForm,
    SiteBasicForm,
    SpecialDayForm,
)


def _page(
    *, basic=None, facilities=None, interval=None, special=None, notice=None, service=None,
    conflict=None, status=200,
):  # fmt: skip
    site = g.site
    version = {"version": site.version}
    facility_data = {**version, "facilities": site.facility_codes}
    return render(
        "staff/edit.html",
        site=site,
        basic=basic or SiteBasicForm(obj=site, data=version),
        facilities_form=facilities or FacilitiesForm(data=facility_data),
        interval_form=interval or IntervalForm(data={**version, "weekday": "0"}),
        special_form=special or SpecialDayForm(data=version),
        notice_form=notice or NoticeForm(data={**version, "publish_on": clock.today()}),
        service_form=service or ServiceForm(data=version),
        services=sorted(site.services, key=lambda s: (not s.active, s.category, s.name)),
        specials=sorted(site.special_days, key=lambda s: s.starts_on, reverse=True)[:30],
        notices=sorted(site.notices, key=lambda n: n.publish_on, reverse=True)[:30],
        weekly=weekly_rows(site.weekly_hours()),
        intervals=sorted(site.opening_intervals, key=lambda i: (i.weekday, i.opens_min)),
        conflict=conflict,
        status=status,
    )  # fmt: skip


def _saved(site_id: int, anchor: str):
    flash(_("Saved. Residents see the change now."))
    return redirect(url_for("staff.edit_site", site_id=site_id) + anchor, 303)


def _conflict(error: editing.Conflict, **forms):
    """Show what changed since the editor loaded the page; keep what they typed."""
    for form in forms.values():
        form.version.data = error.current_version
        form.version.raw_data = [str(error.current_version)]
    return _page(conflict=error, status=409, **forms)


@bp.get("/sites/<int:site_id>/edit")
@site_scope_required
def edit_site(site_id: int):
    """Everything residents see about a site, editable in one place."""
    return _page()


@bp.post("/sites/<int:site_id>/edit/basic")
@site_scope_required
def save_basic(site_id: int):
    form = SiteBasicForm()
    if not form.validate_on_submit():
        return _page(basic=form, status=422)
    try:
        editing.update_basic(site_id, form.values(), form.version.data, by=current_user)
    except editing.Conflict as error:
        return _conflict(error, basic=form)
    return _saved(site_id, "#basic")


@bp.post("/sites/<int:site_id>/edit/facilities")
@site_scope_required
def save_facilities(site_id: int):
    form = FacilitiesForm()
    if not form.validate_on_submit():
        return _page(facilities=form, status=422)
    try:
        editing.set_facilities(site_id, form.facilities.data, form.version.data, by=current_user)
    except editing.Conflict as error:
        return _conflict(error, facilities=form)
    return _saved(site_id, "#facilities")


@bp.post("/sites/<int:site_id>/hours")
@site_scope_required
def add_hours(site_id: int):
    """Add an opening interval on a weekday (e.g. Monday 08:30–12:00)."""
    form = IntervalForm()
    if not form.validate_on_submit():
        return _page(interval=form, status=422)
    try:
        editing.add_interval(
            site_id, int(form.weekday.data), form.opens.minutes, form.closes.minutes,
            form.version.data, by=current_user,
        )  # fmt: skip
    except editing.ListingError as error:
        getattr(form, error.field).errors.append(error.message)
        return _page(interval=form, status=422)
    except editing.Conflict as error:
        return _conflict(error, interval=form)
    return _saved(site_id, "#hours")


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        abort(400)


@bp.post("/sites/<int:site_id>/hours/<int:interval_id>/delete")
@site_scope_required
def remove_hours(site_id: int, interval_id: int):
    try:
        editing.remove_interval(site_id, interval_id, _version(), by=current_user)
    except LookupError:
        abort(404)
    except editing.Conflict as error:
        return _conflict(error)
    return _saved(site_id, "#hours")


@bp.post("/sites/<int:site_id>/hours/copy-monday")
@site_scope_required
def copy_monday(site_id: int):
    """Give Tuesday to Friday the same hours as Monday."""
    try:
        editing.copy_monday_to_weekdays(site_id, _version(), by=current_user)
    except editing.Conflict as error:
        return _conflict(error)
    return _saved(site_id, "#hours")


def _add(form_class, service, site_id: int, anchor: str, form_name: str, form=None):
    form = form or form_class()
    if not form.validate_on_submit():
        return _page(status=422, **{form_name: form})
    try:
        service(site_id, form.values(), form.version.data, by=current_user)
    except editing.Conflict as error:
        return _conflict(error, **{form_name: form})
    except editing.ListingError as error:
        target = getattr(form, error.field, None)
        (target.errors if target is not None else form.form_errors).append(error.message)
        return _page(status=422, **{form_name: form})
    return _saved(site_id, anchor)


def _remove(service, site_id: int, item_id: int, anchor: str):
    try:
        service(site_id, item_id, _version(), by=current_user)
    except LookupError:
        abort(404)
    except editing.Conflict as error:
        return _conflict(error)
    return _saved(site_id, anchor)


@bp.post("/sites/<int:site_id>/special-days")
@site_scope_required
def add_special_day(site_id: int):
    """A closure, a holiday, or extended hours (延时服务) over some days.

    A closure or holiday that meets bookings or activities first asks what
    should happen to them (app/staff/closing.py).
    """
    form = SpecialDayForm()
    hit = answer = None
    if form.validate_on_submit() and form.kind.data in closures.CLOSING_KINDS:
        ask, hit, answer = closing.ask_first(
            g.site, *closures.days(form.starts_on.data, form.ends_on.data),
            default_message=form.note.data or _("The site is closed that day."),
            action=url_for("staff.add_special_day", site_id=site_id),
            back=url_for("staff.edit_site", site_id=site_id) + "#special-days",
        )  # fmt: skip
        if ask is not None:
            return ask
    response = _add(SpecialDayForm, editing.add_special_day, site_id, "#special-days", "special",
                    form=form)  # fmt: skip
    if response.status_code == 303:
        closing.follow_up(g.site, hit, answer)
    return response


@bp.post("/sites/<int:site_id>/special-days/<int:special_id>/delete")
@site_scope_required
def remove_special_day(site_id: int, special_id: int):
    return _remove(editing.remove_special_day, site_id, special_id, "#special-days")


@bp.post("/sites/<int:site_id>/notices")
@site_scope_required
def add_notice(site_id: int):
    """A notice residents see on the site page while it is current."""
    return _add(NoticeForm, editing.add_notice, site_id, "#notices", "notice")


@bp.post("/sites/<int:site_id>/notices/<int:notice_id>/delete")
@site_scope_required
def remove_notice(site_id: int, notice_id: int):
    return _remove(editing.remove_notice, site_id, notice_id, "#notices")


@bp.post("/sites/<int:site_id>/services")
@site_scope_required
def add_service(site_id: int):
    """Add a service the site offers (bookable ones then get booking rules)."""
    return _add(ServiceForm, editing.add_service, site_id, "#services", "service")


@bp.post("/sites/<int:site_id>/services/<int:service_id>/active")
@site_scope_required
def set_service_active(site_id: int, service_id: int):
    """Retire a service, or bring a retired one back."""
    active = request.form.get("active")
    if active not in ("0", "1"):
        abort(400)
    try:
        editing.set_service_active(site_id, service_id, active == "1", _version(), by=current_user)
    except LookupError:
        abort(404)
    except editing.Conflict as error:
        return _conflict(error)
    return _saved(site_id, "#services")


def _service_or_404(service_id: int):
    service = next((s for s in g.site.services if s.id == service_id), None)
    if service is None:
        abort(404)
    return service


@bp.route("/sites/<int:site_id>/services/<int:service_id>/edit", methods=["GET", "POST"])
@site_scope_required
def edit_service(site_id: int, service_id: int):
    """Rename a service or change what residents read about it."""
    service = _service_or_404(service_id)
    if request.method == "GET":
        form = ServiceEditForm(
            data={
                "version": g.site.version,
                "category": service.category,
                "name": service.name,
                "description": service.description,
            }
        )
        return render("staff/service_edit.html", site=g.site, service=service, form=form)
    form = ServiceEditForm()
    if not form.validate_on_submit():
        return render("staff/service_edit.html", site=g.site, service=service, form=form,
                      status=422)  # fmt: skip
    try:
        editing.update_service(site_id, service_id, form.values(), form.version.data,
                               by=current_user)  # fmt: skip
    except editing.Conflict as error:
        form.version.data = error.current_version
        form.version.raw_data = [str(error.current_version)]
        service = db.session.get(Service, service_id)
        return render("staff/service_edit.html", site=g.site, service=service, form=form,
                      conflict=error, status=409)  # fmt: skip
    return _saved(site_id, "#services")
