"""Finding activities on ``/activities``: by place, category, day and open
places, nearest first when the phone shares where it is.

``ActivityFilters.from_args`` never fails: a bad value is dropped, never a
500. The place filters are the site directory's (district → street →
community, ``sites.directory.place_choices``), applied to the activity's site.
A page costs the same few queries however many activities there are.
"""

import math
from dataclasses import dataclass, fields, replace
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from .. import clock
from ..extensions import db
from ..models import Activity, Community, Site, Street
from ..sites.directory import distance_m
from ..urls import positive_int
from ..vocab import PROJECT_CATEGORIES

PER_PAGE = 20
WHEN = ("today", "week", "weekend")


def _degrees(value: str | None, low: float, high: float) -> float | None:
    """A coordinate from the URL, or None for anything else (NaN, text, out of China)."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) and low <= number <= high else None


@dataclass(frozen=True)
class ActivityFilters:
    """What the visitor asked for on ``/activities``; every field optional."""

    district: int | None = None
    street: int | None = None
    community: int | None = None
    category: str = ""
    when: str = ""  # today, this week, this weekend (Asia/Shanghai)
    open: bool = False  # only activities with a place left
    lat: float | None = None
    lng: float | None = None
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "ActivityFilters":
        category, when = args.get("category", ""), args.get("when", "")
        return cls(
            district=positive_int(args.get("district")),
            street=positive_int(args.get("street")),
            community=positive_int(args.get("community")),
            category=category if category in PROJECT_CATEGORIES else "",
            when=when if when in WHEN else "",
            open=args.get("open") in ("1", "on", "true"),
            lat=_degrees(args.get("lat"), 3.0, 54.0),
            lng=_degrees(args.get("lng"), 73.0, 136.0),
            page=positive_int(args.get("page")) or 1,
        )

    @property
    def near(self) -> bool:
        return self.lat is not None and self.lng is not None

    @property
    def active(self) -> bool:
        """True when anything narrows the list (paging and location do not)."""
        return bool(
            self.district or self.street or self.community or self.category or self.when
            or self.open
        )  # fmt: skip

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


@dataclass(frozen=True)
class ActivityPage:
    items: list[Activity]
    total: int
    page: int
    pages: int
    distances: dict[int, int]  # activity id → metres from the visitor, when near


def window(when: str, moment: datetime) -> tuple[datetime, datetime] | None:
    """The instants "today", "this week" (to Sunday night) and "this weekend"
    (Saturday and Sunday of this week) cover, in Asia/Shanghai."""
    if when not in WHEN:
        return None
    today = clock.local(moment).date()

    def midnight(day):
        return datetime.combine(day, time(), tzinfo=clock.LOCAL_TZ)

    monday = today - timedelta(days=today.weekday())
    if when == "today":
        return midnight(today), midnight(today + timedelta(days=1))
    if when == "week":
        return midnight(today), midnight(monday + timedelta(days=7))
    return midnight(monday + timedelta(days=5)), midnight(monday + timedelta(days=7))


def find_activities(filters: ActivityFilters, moment: datetime, per_page: int = PER_PAGE):
    """One page of open activities not yet over that match ``filters``: soonest
    first, or nearest first (then soonest) when the visitor's location is known."""
    query = (
        select(Activity)
        .join(Site, Site.id == Activity.site_id)
        .where(Activity.status == "open", Activity.ends_at > moment)
    )
    if filters.community:
        query = query.where(Site.community_id == filters.community)
    elif filters.street:
        query = query.where(
            Site.community_id.in_(select(Community.id).where(Community.street_id == filters.street))
        )
    elif filters.district:
        query = query.where(
            Site.community_id.in_(
                select(Community.id).join(Street).where(Street.district_id == filters.district)
            )
        )
    if filters.category:
        query = query.where(Activity.category == filters.category)
    span = window(filters.when, moment)
    if span is not None:
        query = query.where(Activity.starts_at < span[1], Activity.ends_at > span[0])
    if filters.open:
        query = query.where(Activity.taken < Activity.places)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    if filters.near:
        # As the site directory sorts: plain arithmetic, the same on both databases.
        scale = math.cos(math.radians(filters.lat))
        dlat, dlng = Site.latitude - filters.lat, Site.longitude - filters.lng
        order = (dlat * dlat + dlng * dlng * scale * scale, Activity.starts_at, Activity.id)
    else:
        order = (Activity.starts_at, Activity.id)
    items = list(
        db.session.scalars(
            query.options(contains_eager(Activity.site), joinedload(Activity.project))
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    distances = (
        {a.id: distance_m(filters.lat, filters.lng, a.site.latitude, a.site.longitude)
         for a in items}
        if filters.near
        else {}
    )  # fmt: skip
    return ActivityPage(items, total, page, pages, distances)
