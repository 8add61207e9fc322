"""Admin: the district → street → community tree, and creating and deleting sites."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..htmx import render
from ..models import Community, District, Site, Street
from ..permissions import admin_required
from ..sites import places
from . import bp
from .forms import CommunityForm, NameForm, NewSiteForm


def _get(model, obj_id: int):
    obj = db.session.get(model, obj_id)
    if obj is None:
        abort(404)
    return obj


def _counts(child_key, parent_ids) -> dict[int, int]:
    if not parent_ids:
        return {}
    rows = db.session.execute(
        select(child_key, func.count()).where(child_key.in_(parent_ids)).group_by(child_key)
    )
    return dict(rows.all())


def _blame(form, error: places.PlaceError):
    if error.field in form:
        form[error.field].errors.append(error.message)
    else:
        flash(error.message, "error")


# Districts -----------------------------------------------------------------------


def _districts_page(form=None, status=200):
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    return render(
        "admin/places.html",
        districts=districts,
        street_counts=_counts(Street.district_id, [d.id for d in districts]),
        form=form or NameForm(formdata=None),
        status=status,
    )


@bp.get("/places")
@admin_required
def places_home():
    """The city's districts; the way into streets, communities and sites."""
    return _districts_page()


@bp.post("/districts")
@admin_required
def add_district():
    form = NameForm()
    if form.validate_on_submit():
        try:
            district = places.save_district(None, form.name.data, by=current_user)
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("District added."))
            return redirect(url_for("admin.district", district_id=district.id), 303)
    return _districts_page(form, 422)


def _district_page(district, form=None, street_form=None, status=200):
    return render(
        "admin/district.html",
        district=district,
        community_counts=_counts(Community.street_id, [s.id for s in district.streets]),
        form=form or NameForm(obj=district, formdata=None),
        street_form=street_form or NameForm(prefix="street-", formdata=None),
        status=status,
    )  # fmt: skip


@bp.get("/districts/<int:district_id>")
@admin_required
def district(district_id: int):
    return _district_page(_get(District, district_id))


@bp.post("/districts/<int:district_id>")
@admin_required
def rename_district(district_id: int):
    target = _get(District, district_id)
    form = NameForm()
    if form.validate_on_submit():
        try:
            places.save_district(district_id, form.name.data, by=current_user)
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Saved."))
            return redirect(url_for("admin.district", district_id=district_id), 303)
    return _district_page(_get(District, target.id), form=form, status=422)


@bp.post("/districts/<int:district_id>/delete")
@admin_required
def delete_district(district_id: int):
    target = _get(District, district_id)
    try:
        places.delete_district(target, by=current_user)
    except places.PlaceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.district", district_id=district_id), 303)
    flash(_("Deleted."))
    return redirect(url_for("admin.places_home"), 303)


@bp.post("/districts/<int:district_id>/streets")
@admin_required
def add_street(district_id: int):
    target = _get(District, district_id)
    form = NameForm(prefix="street-")
    if form.validate_on_submit():
        try:
            street = places.save_street(None, district_id, form.name.data, by=current_user)
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Street added."))
            return redirect(url_for("admin.street", street_id=street.id), 303)
    return _district_page(_get(District, target.id), street_form=form, status=422)


# Streets -------------------------------------------------------------------------


def _street_page(street, form=None, community_form=None, status=200):
    return render(
        "admin/street.html",
        street=street,
        site_counts=_counts(Site.community_id, [c.id for c in street.communities]),
        form=form or NameForm(obj=street, formdata=None),
        community_form=community_form or CommunityForm(prefix="community-", formdata=None),
        status=status,
    )


@bp.get("/streets/<int:street_id>")
@admin_required
def street(street_id: int):
    return _street_page(_get(Street, street_id))


@bp.post("/streets/<int:street_id>")
@admin_required
def rename_street(street_id: int):
    target = _get(Street, street_id)
    form = NameForm()
    if form.validate_on_submit():
        try:
            places.save_street(street_id, target.district_id, form.name.data, by=current_user)
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Saved."))
            return redirect(url_for("admin.street", street_id=street_id), 303)
    return _street_page(_get(Street, street_id), form=form, status=422)


@bp.post("/streets/<int:street_id>/delete")
@admin_required
def delete_street(street_id: int):
    target = _get(Street, street_id)
    district_id = target.district_id
    try:
        places.delete_street(target, by=current_user)
    except places.PlaceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.street", street_id=street_id), 303)
    flash(_("Deleted."))
    return redirect(url_for("admin.district", district_id=district_id), 303)


@bp.post("/streets/<int:street_id>/communities")
@admin_required
def add_community(street_id: int):
    _get(Street, street_id)
    form = CommunityForm(prefix="community-")
    if form.validate_on_submit():
        try:
            community = places.save_community(
                None, street_id, form.name.data, form.klass.data, by=current_user
            )
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Community added."))
            return redirect(url_for("admin.community", community_id=community.id), 303)
    return _street_page(_get(Street, street_id), community_form=form, status=422)


# Communities and their sites ----------------------------------------------------------


def _community_page(community, form=None, site_form=None, status=200):
    center = places.community_center(community.id)
    return render(
        "admin/community.html",
        community=community,
        center=center,
        form=form or CommunityForm(obj=community, formdata=None),
        site_form=site_form or NewSiteForm(
            prefix="site-", formdata=None, data={"kind": "station" if center else "center"}
        ),
        status=status,
    )  # fmt: skip


@bp.get("/communities/<int:community_id>")
@admin_required
def community(community_id: int):
    return _community_page(_get(Community, community_id))


@bp.post("/communities/<int:community_id>")
@admin_required
def edit_community(community_id: int):
    target = _get(Community, community_id)
    form = CommunityForm()
    if form.validate_on_submit():
        try:
            places.save_community(
                community_id, target.street_id, form.name.data, form.klass.data, by=current_user
            )
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Saved."))
            return redirect(url_for("admin.community", community_id=community_id), 303)
    return _community_page(_get(Community, community_id), form=form, status=422)


@bp.post("/communities/<int:community_id>/delete")
@admin_required
def delete_community(community_id: int):
    target = _get(Community, community_id)
    street_id = target.street_id
    try:
        places.delete_community(target, by=current_user)
    except places.PlaceError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.community", community_id=community_id), 303)
    flash(_("Deleted."))
    return redirect(url_for("admin.street", street_id=street_id), 303)


@bp.post("/communities/<int:community_id>/sites")
@admin_required
def add_site(community_id: int):
    """A new center or station; a community's second center is refused."""
    _get(Community, community_id)
    form = NewSiteForm(prefix="site-")
    if form.validate_on_submit():
        try:
            site = places.create_site(community_id, form.values(), by=current_user)
        except places.PlaceError as error:
            _blame(form, error)
        else:
            flash(_("Site added. Give it hours and services, and assign its staff."))
            return redirect(url_for("staff.edit_site", site_id=site.id), 303)
    return _community_page(_get(Community, community_id), site_form=form, status=422)


@bp.post("/sites/<int:site_id>/delete")
@admin_required
def delete_site(site_id: int):
    """Delete a site that holds nothing yet (a mistake, or a duplicate)."""
    target = _get(Site, site_id)
    community_id = target.community_id
    try:
        places.delete_site(target, by=current_user)
    except places.PlaceError as error:
        flash(error.message, "error")
    else:
        flash(_("Deleted."))
    return redirect(url_for("admin.community", community_id=community_id), 303)
