from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import Site
from ..permissions import managed_sites_query, site_scope_required, staff_required
from ..sites.closures import rest_of_today
from ..sites.editing import ListingError, extend_tonight, set_site_status
from ..sites.hours import format_minutes
from . import bp, closing, queries
from .forms import CloseForm, ExtendTonightForm, SiteStatusForm, close_prefix, extend_prefix


def _home(*, failed: int | None = None, close=None, extend=None, status=200):
    """The staff home; ``failed`` names the site whose one-tap form needs fixing."""
    sites = db.session.scalars(
        managed_sites_query(current_user)
        .options(
            joinedload(Site.community),
            selectinload(Site.opening_intervals),
            selectinload(Site.special_days),
        )
        .order_by(Site.community_id, Site.kind, Site.name)
        .limit(500)
    ).all()
    today = clock.today()

    def forms(site):
        mine = site.id == failed
        return {
            "close": close
            if mine and close is not None
            else CloseForm(prefix=close_prefix(site.id), formdata=None),
            "extend": extend
            if mine and extend is not None
            else ExtendTonightForm(prefix=extend_prefix(site.id), formdata=None),
        }

    from ..requests import queries as request_queries
    from ..requests.service import is_overdue

    open_requests, open_total, _page, _pages = request_queries.queue(current_user, per_page=10)
    return render(
        "staff/home.html",
        open_requests=open_requests,
        open_total=open_total,
        is_overdue=is_overdue,
        sites=sites,
        forms={site.id: forms(site) for site in sites},
        counts=queries.day_counts([site.id for site in sites], today),
        today=today,
        moment=clock.now(),
        status=status,
    )


@bp.get("/")
@staff_required
def home():
    """The sites this worker manages, with today's counts and one-tap actions.

    A center manager sees the whole 1+N unit.
    """
    return _home()


def _back_home(site_id: int):
    return redirect(url_for("staff.home") + f"#site-{site_id}", 303)


@bp.post("/sites/<int:site_id>/open")
@site_scope_required
def open_site(site_id: int):
    """One tap: open as usual again."""
    set_site_status(site_id, "open", "", by=current_user)
    flash(_("%(site)s is open. Residents see the change now.", site=g.site.name))
    return _back_home(site_id)


@bp.post("/sites/<int:site_id>/close")
@site_scope_required
def close_site(site_id: int):
    """One tap: temporarily closed, with the reason residents see."""
    form = CloseForm(prefix=close_prefix(site_id))
    if not form.validate_on_submit():
        return _home(failed=site_id, close=form, status=422)
    ask, hit, answer = closing.ask_first(
        g.site, *rest_of_today(), default_message=form.reason.data,
        action=url_for("staff.close_site", site_id=site_id),
        back=url_for("staff.home") + f"#site-{site_id}",
    )  # fmt: skip
    if ask is not None:
        return ask
    set_site_status(site_id, "closed", form.reason.data, by=current_user)
    flash(_("%(site)s is marked temporarily closed. Residents see it now.", site=g.site.name))
    closing.follow_up(g.site, hit, answer)
    return _back_home(site_id)


@bp.post("/sites/<int:site_id>/extend-tonight")
@site_scope_required
def extend_site_tonight(site_id: int):
    """One tap: extended hours (延时服务) tonight."""
    form = ExtendTonightForm(prefix=extend_prefix(site_id))
    if form.validate_on_submit():
        try:
            extend_tonight(site_id, form.minutes, by=current_user)
        except ListingError as error:
            form.until.errors.append(error.message)
        else:
            until = format_minutes(form.minutes)
            flash(_("%(site)s stays open tonight until %(time)s.", site=g.site.name, time=until))
            return _back_home(site_id)
    return _home(failed=site_id, extend=form, status=422)


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@site_scope_required
def site(site_id: int):
    """One managed site: its state today, and opening or closing it."""
    form = SiteStatusForm(obj=g.site)
    if form.validate_on_submit():
        hit = answer = None
        if form.status.data == "closed" and g.site.status != "closed" and form.reason.data:
            ask, hit, answer = closing.ask_first(
                g.site, *rest_of_today(), default_message=form.reason.data,
                action=url_for("staff.site", site_id=site_id),
                back=url_for("staff.site", site_id=site_id),
            )  # fmt: skip
            if ask is not None:
                return ask
        try:
            set_site_status(site_id, form.status.data, form.reason.data, by=current_user)
        except ListingError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("Saved. Residents see the change now."))
            closing.follow_up(g.site, hit, answer)
            return redirect(url_for("staff.site", site_id=site_id), 303)
    return render(
        "staff/site.html",
        site=g.site,
        form=form,
        moment=clock.now(),
        services=[s for s in g.site.services if s.active],
        status=422 if form.errors else 200,
    )
