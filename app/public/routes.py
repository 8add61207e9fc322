from itertools import groupby

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import undefer

from .. import clock, health, uploads
from ..bookings.service import satisfaction
from ..extensions import db
from ..grids.home import my_grid
from ..htmx import render
from ..models import Notice, Service, Upload
from ..page_cache import cached_page
from ..sites import hours
from ..sites.directory import (
    DirectoryFilters,
    community_center_location,
    load_network,
    open_now_sample,
    place_choices,
    search_sites,
)
from ..vocab import SERVICE_CATEGORIES
from ..volunteers.queries import site_teams, upcoming_activities
from . import bp


@bp.get("/")
@cached_page
def home():
    """Start here: search, the service categories, and stations open right now.

    A logged-in resident with a home also sees their grid (我的网格). Only
    visitors who are not logged in are served from the page cache, so the
    card is never kept for anyone else.
    """
    return render(
        "public/home.html",
        my_grid=my_grid(current_user) if current_user.is_authenticated else None,
        open_sites=open_now_sample(clock.now()),
        activities=upcoming_activities(limit=3),
        moment=clock.now(),
    )


@bp.get("/sites")
@cached_page
def sites():
    """All centers and stations, searched and filtered; the URL holds the filters.

    htmx asks for the results, or the street or community options after the
    district or street changed, as blocks of the same template.
    """
    filters, districts, streets, communities = place_choices(
        DirectoryFilters.from_args(request.args)
    )
    moment = clock.now()
    origin = (filters.lat, filters.lng) if filters.near else None
    if origin is None and filters.community:
        origin = community_center_location(filters.community)
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
@cached_page
def site_detail(site_id: int):
    """One site: is it open, its hours, services, facilities, notices, its coming
    volunteer activities and teams, and its 1+N network."""
    unit = load_network(site_id)
    site = next((s for s in unit if s.id == site_id), None)
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
    ratings, satisfied = satisfaction(site.id)
    return render(
        "public/site_detail.html",
        site=site,
        ratings=ratings,
        satisfied=satisfied,
        state=site.open_state(moment),
        moment=moment,
        weekly=hours.weekly_rows(site.weekly_hours()),
        today_weekday=today.weekday(),
        upcoming=hours.upcoming_specials(site.specials(), today),
        services_by_category=[
            (SERVICE_CATEGORIES.get(code), list(items))
            for code, items in groupby(services, key=lambda s: s.category)
        ],
        notices=notices,
        center=next((s for s in unit if s.is_center and s.id != site.id), None),
        stations=[s for s in unit if not s.is_center and s.id != site.id],
        activities=upcoming_activities(site_id=site.id, limit=5),
        teams=site_teams(site.id),
    )


@bp.get("/photos/<key>.jpg")
def photo(key: str):
    """A public photo (a mall item's, a completed project's), by its random key."""
    if len(key) != 32 or not all(ch in "0123456789abcdef" for ch in key):
        abort(404)
    found = db.session.scalar(
        select(Upload)
        .where(Upload.key == key, Upload.public.is_(True))
        .options(undefer(Upload.data))
    )
    if found is None:
        abort(404)
    return uploads.send(found, cache_seconds=86400)


@bp.get("/healthz")
def healthz():
    """Health for the load balancer: the database answers, and Redis when configured.

    503 names the part that failed, so the operator knows where to look.
    """
    parts = {"database": health.database_status(), "redis": health.redis_status()}
    healthy = all(state in ("ok", "not configured") for state in parts.values())
    return {"status": "ok" if healthy else "error", **parts}, 200 if healthy else 503
