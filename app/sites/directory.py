"""The public directory of sites: search, filters, "open now", distance, paging.

Views parse the query string with ``DirectoryFilters.from_args`` (which never
fails: a bad value is dropped, never a 500) and call ``search_sites``.
"""

import math
from dataclasses import dataclass, fields, replace
from datetime import datetime

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..extensions import db
from ..inputs import search_text
from ..models import (
    Community,
    District,
    OpeningInterval,
    Service,
    Site,
    SiteFacility,
    SpecialDay,
    Street,
)
from ..urls import positive_int
from ..vocab import FACILITIES, SERVICE_CATEGORIES, SITE_KINDS, STATION_TYPES
from .hours import CLOSING_DAY_KINDS

MAX_QUERY_LENGTH = 100
EARTH_RADIUS_M = 6_371_000


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if low <= number <= high and math.isfinite(number) else None


@dataclass(frozen=True)
class DirectoryFilters:
    """What the visitor asked for on ``/sites``; every field optional."""

    q: str = ""
    district: int | None = None
    street: int | None = None
    community: int | None = None
    kind: str = ""  # 'center', or a station type
    facility: str = ""
    category: str = ""
    open_now: bool = False
    lat: float | None = None
    lng: float | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "DirectoryFilters":
        """Parse request args; unknown or malformed values are ignored."""
        kind = args.get("kind", "")
        return cls(
            q=search_text(args.get("q"), MAX_QUERY_LENGTH),
            district=positive_int(args.get("district")),
            street=positive_int(args.get("street")),
            community=positive_int(args.get("community")),
            kind=kind if kind == "center" or kind in STATION_TYPES else "",
            facility=args.get("facility", "") if args.get("facility") in FACILITIES else "",
            category=args.get("category", "") if args.get("category") in SERVICE_CATEGORIES else "",
            open_now=args.get("open_now") in ("1", "on", "true"),
            lat=_float(args.get("lat"), 3.0, 54.0),
            lng=_float(args.get("lng"), 73.0, 136.0),
            page=positive_int(args.get("page")) or 1,
        )

    @property
    def near(self) -> bool:
        return self.lat is not None and self.lng is not None

    def to_args(self, **changes) -> dict[str, str]:
        """The query-string form, for links that keep the other filters."""
        current = replace(self, **changes)
        args = {}
        for field in fields(current):
            value = getattr(current, field.name)
            if value in (None, "", False) or (field.name == "page" and value == 1):
                continue
            args[field.name] = "1" if value is True else str(value)
        return args

    @property
    def active(self) -> bool:
        """True when anything narrows the list (paging and location do not)."""
        return bool(
            self.q
            or self.district
            or self.street
            or self.community
            or self.kind
            or self.facility
            or self.category
            or self.open_now
        )


@dataclass(frozen=True)
class SitePage:
    items: list[Site]
    total: int
    page: int
    per_page: int
    distances: dict[int, int]  # site id → metres, when sorted by distance

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def place_choices(filters: DirectoryFilters):
    """Options for the cascading district → street → community selects.

    Returns the filters with any street outside the chosen district (or
    community outside the chosen street) dropped, so the list never filters by
    a place the visitor cannot see selected.
    """
    # Plain (id, name) rows: a big city lists hundreds of districts, and full
    # model objects would cost more than the rest of the page.
    districts = db.session.execute(select(District.id, District.name).order_by(District.name)).all()
    if not any(d.id == filters.district for d in districts):
        filters = replace(filters, district=None)
    streets = (
        db.session.scalars(
            select(Street).where(Street.district_id == filters.district).order_by(Street.name)
        ).all()
        if filters.district
        else []
    )
    if not any(s.id == filters.street for s in streets):
        filters = replace(filters, street=None)
    communities = (
        db.session.scalars(
            select(Community).where(Community.street_id == filters.street).order_by(Community.name)
        ).all()
        if filters.street
        else []
    )
    if not any(c.id == filters.community for c in communities):
        filters = replace(filters, community=None)
    return filters, districts, streets, communities


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def open_now_clause(moment: datetime, *, per_site: bool = False):
    """SQL for "open at ``moment``": the same rule as hours.open_state.

    Used for filtering; it does not look at runs from the previous day because
    intervals that cross midnight are stored as two, one on each day.

    ``per_site`` asks for checks the database runs site by site through the
    site_id indexes, for queries that stop after a few sites (LIMIT): plain
    EXISTS under OR is planned by PostgreSQL as a set of every site open now,
    built in full whatever the limit, which grows with the city.
    """
    from ..clock import LOCAL_TZ

    local = moment.astimezone(LOCAL_TZ)
    day, minute = local.date(), local.hour * 60 + local.minute
    check = _probe if per_site else _exists
    closed_today = check(
        SpecialDay.site_id == Site.id,
        SpecialDay.kind.in_(CLOSING_DAY_KINDS),
        SpecialDay.starts_on <= day,
        SpecialDay.ends_on >= day,
    )
    weekly_open = check(
        OpeningInterval.site_id == Site.id,
        OpeningInterval.weekday == day.weekday(),
        OpeningInterval.opens_min <= minute,
        OpeningInterval.closes_min > minute,
    )
    extended_open = check(
        SpecialDay.site_id == Site.id,
        SpecialDay.kind == "extended",
        SpecialDay.starts_on <= day,
        SpecialDay.ends_on >= day,
        SpecialDay.opens_min <= minute,
        SpecialDay.closes_min > minute,
    )
    return and_(Site.status == "open", ~closed_today, or_(weekly_open, extended_open))


def _exists(*conditions):
    return exists().where(*conditions)


def _probe(*conditions):
    """EXISTS as a correlated scalar subquery (LIMIT 1), which is never hashed."""
    return select(literal(1)).where(*conditions).limit(1).scalar_subquery().is_not(None)


def _filtered(filters: DirectoryFilters, moment: datetime):
    query = select(Site)
    conditions = []
    if filters.q:
        conditions.append(Site.search_text.like(like_pattern(filters.q.lower()), escape="\\"))
    if filters.community:
        conditions.append(Site.community_id == filters.community)
    elif filters.street:
        conditions.append(
            Site.community_id.in_(select(Community.id).where(Community.street_id == filters.street))
        )
    elif filters.district:
        conditions.append(
            Site.community_id.in_(
                select(Community.id).join(Street).where(Street.district_id == filters.district)
            )
        )
    if filters.kind == "center":
        conditions.append(Site.kind == "center")
    elif filters.kind:
        conditions.append(Site.station_type == filters.kind)
    if filters.facility:
        conditions.append(
            exists().where(
                SiteFacility.site_id == Site.id, SiteFacility.facility == filters.facility
            )
        )
    if filters.category:
        conditions.append(
            exists().where(
                Service.site_id == Site.id,
                Service.category == filters.category,
                Service.active.is_(True),
            )
        )
    if filters.open_now:
        conditions.append(open_now_clause(moment))
    return query.where(*conditions)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)))


def with_listing_details(query):
    """Load what a site card shows, in a fixed number of queries."""
    return query.options(
        joinedload(Site.community),
        selectinload(Site.opening_intervals),
        selectinload(Site.special_days),
        selectinload(Site.facilities),
    )


def search_sites(
    filters: DirectoryFilters,
    moment: datetime,
    per_page: int = 20,
    origin: tuple[float, float] | None = None,
) -> SitePage:
    """One page of sites matching ``filters``, nearest first when ``origin`` is given.

    ``origin`` is the visitor's location, or the center of the community they
    chose: without location or JavaScript, choosing a community does the job.
    """
    base = _filtered(filters, moment)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    query = with_listing_details(base)
    if origin:
        lat, lng = origin
        # Equirectangular distance is exact enough for ordering within a city,
        # and is plain arithmetic, so SQLite and PostgreSQL sort the same way.
        scale = math.cos(math.radians(lat))
        query = query.order_by(
            (Site.latitude - lat) * (Site.latitude - lat)
            + (Site.longitude - lng) * (Site.longitude - lng) * scale * scale,
            Site.id,
        )
    else:
        # Centers first within each community, then stations by name.
        query = query.order_by(Site.community_id, Site.kind, Site.name, Site.id)
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    distances = (
        {s.id: distance_m(origin[0], origin[1], s.latitude, s.longitude) for s in items}
        if origin
        else {}
    )
    return SitePage(items, total, page, per_page, distances)


def load_network(site_id: int) -> list[Site]:
    """The site's whole 1+N unit (its center and all the center's stations).

    One query for the unit plus the card details, however big the unit, so
    the site page and its network cost the same few queries.
    """
    this = aliased(Site)
    center_id = (
        select(func.coalesce(this.center_id, this.id)).where(this.id == site_id).scalar_subquery()
    )
    query = with_listing_details(
        select(Site)
        .where(or_(Site.id == center_id, Site.center_id == center_id))
        .options(
            joinedload(Site.community).joinedload(Community.street).joinedload(Street.district)
        )
        .order_by(Site.kind, Site.name, Site.id)
    )
    return list(db.session.scalars(query).unique())


def community_center_location(community_id: int) -> tuple[float, float] | None:
    """Where the community's center stands, as the origin for "near me"."""
    row = db.session.execute(
        select(Site.latitude, Site.longitude).where(
            Site.community_id == community_id, Site.kind == "center"
        )
    ).first()
    return (row.latitude, row.longitude) if row else None


def open_now_sample(moment: datetime, limit: int = 6) -> list[Site]:
    """A few sites open right now, for the home page."""
    query = with_listing_details(
        select(Site).where(open_now_clause(moment, per_site=True)).order_by(Site.id).limit(limit)
    )
    return list(db.session.scalars(query))


def refresh_search_text(site: Site) -> None:
    """Recompute the text the search looks in: name, address and service names."""
    parts = [site.name, site.address] + [s.name for s in site.services if s.active]
    site.search_text = " ".join(parts).lower()


def kind_label(site: Site) -> str:
    """'Service center', or the station's type."""
    if site.kind == "center":
        return str(SITE_KINDS["center"].label)
    return str(STATION_TYPES[site.station_type].label)
