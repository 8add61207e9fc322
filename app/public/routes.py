from itertools import groupby

from flask import abort, current_app
from flask import request
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..htmx import render
from ..models import Community, District, Notice, Service, Site, Street
from ..sites import hours
from ..sites.directory import (
    DirectoryFilters,
    community_center_location,
    open_now_sample,
    search_sites,
    with_listing_details,
)
from ..vocab import SERVICE_CATEGORIES
from . import bp


@bp.get("/")
def home():
    """Start here: search, the service categories, and stations open right now."""
    return render(
        "public/home.html",
        open_sites=open_now_sample(clock.now()),
        moment=clock.now(),
    )


def _filter_choices(filters: DirectoryFilters):
    """Options for the cascading district → street → community selects."""
    districts = db.session.scalars(select(District).order_by(District.name)).all()
    streets = (
        db.session.scalars(
            select(Street).where(Street.district_id == filters.district).order_by(Street.name)
        ).all()
        if filters.district
        else []
    )
    communities = (
        db.session.scalars(
            select(Community)
            .where(Community.street_id == filters.street)
            .order_by(Community.name)
        ).all()
        if filters.street and any(s.id == filters.street for s in streets)
        else []
    )
    return districts, streets, communities


@bp.get("/sites")
def sites():
    """All centers and stations, searched and filtered; the URL holds the filters.

    htmx asks for the results, or the street or community options after the
    district or street changed, as blocks of the same template.
    """
    filters = DirectoryFilters.from_args(request.args)
    moment = clock.now()
    origin = (filters.lat, filters.lng) if filters.near else None
    if origin is None and filters.community:
        origin = community_center_location(filters.community)
    districts, streets, communities = _filter_choices(filters)
    page = search_sites(
        filters, moment, per_page=current_app.config["SITES_PER_PAGE"], origin=origin
    )
    return render(
        "public/sites.html",
        fragments=("results", "place_filters"),
        filters=filters,
        page=page,
        districts=districts,
        streets=streets,
        communities=communities,
        moment=moment,
    )


@bp.get("/sites/<int:site_id>")
def site_detail(site_id: int):
    """One site: is it open, its hours, services, facilities, notices and 1+N network."""
    site = db.session.scalar(
        select(Site)
        .where(Site.id == site_id)
        .options(
            joinedload(Site.community).joinedload(Community.street).joinedload(Street.district),
            selectinload(Site.opening_intervals),
            selectinload(Site.special_days),
            selectinload(Site.facilities),
        )
    )
    if site is None:
        abort(404)
    moment = clock.now()
    today = clock.local(moment).date()
    services = db.session.scalars(
        select(Service)
        .where(Service.site_id == site.id, Service.active.is_(True))
        .order_by(Service.category, Service.name)
    ).all()
    notices = db.session.scalars(
        select(Notice)
        .where(
            Notice.site_id == site.id,
            Notice.publish_on <= today,
            (Notice.expires_on.is_(None)) | (Notice.expires_on >= today),
        )
        .order_by(Notice.publish_on.desc())
    ).all()
    center_id = site.id if site.is_center else site.center_id
    network = db.session.scalars(
        with_listing_details(
            select(Site)
            .where((Site.center_id == center_id) | (Site.id == center_id), Site.id != site.id)
            .order_by(Site.kind, Site.name)
        )
    ).all()
    weekly = [(i.weekday, i.opens_min, i.closes_min) for i in site.opening_intervals]
    specials = [
        hours.Special(s.kind, s.starts_on, s.ends_on, s.opens_min, s.closes_min)
        for s in site.special_days
    ]
    return render(
        "public/site_detail.html",
        site=site,
        state=site.open_state(moment),
        moment=moment,
        weekly=hours.weekly_rows(weekly),
        today_weekday=today.weekday(),
        upcoming=hours.upcoming_specials(specials, today),
        services_by_category=[
            (SERVICE_CATEGORIES.get(code), list(items))
            for code, items in groupby(services, key=lambda s: s.category)
        ],
        notices=notices,
        center=next((s for s in network if s.is_center), None),
        stations=[s for s in network if not s.is_center],
    )


@bp.get("/healthz")
def healthz():
    """Liveness for the load balancer: the app answers and the database does too."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
