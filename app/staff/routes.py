from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import Site
from ..permissions import managed_sites_query, site_scope_required, staff_required
from ..sites.editing import ListingError, set_site_status
from . import bp
from .forms import SiteStatusForm


@bp.get("/")
@staff_required
def home():
    """The sites this worker manages: a center manager sees the whole 1+N unit."""
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
    return render("staff/home.html", sites=sites, moment=clock.now())


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@site_scope_required
def site(site_id: int):
    """One managed site: its state today, and opening or closing it."""
    form = SiteStatusForm(obj=g.site)
    if form.validate_on_submit():
        try:
            set_site_status(site_id, form.status.data, form.reason.data, by=current_user)
        except ListingError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            flash(_("Saved. Residents see the change now."))
            return redirect(url_for("staff.site", site_id=site_id), 303)
    return render(
        "staff/site.html",
        site=g.site,
        form=form,
        moment=clock.now(),
        services=[s for s in g.site.services if s.active],
        status=422 if form.errors else 200,
    )
