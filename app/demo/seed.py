"""Deterministic demo data: a made-up city of centers and stations.

``seed()`` builds every row in memory by running ``STEPS`` in order, each a
function of one ``SeedContext``, then writes the rows with bulk Core inserts in
foreign-key order, in one transaction. Primary keys are assigned here rather
than by the database, so steps can link rows (a station to its center, a
service to its site) without a round trip; that is what lets ``--scale 70``
(10,000+ sites) load in seconds.

Randomness comes from one ``random.Random`` with a fixed seed, consumed in a
fixed order, so the same scale always gives the same rows. Only dates move:
special days and notices are placed around ``clock.today()`` so the demo
always looks current.

Later features (accounts, bookings, volunteers …) extend the demo by adding a
step to ``STEPS``: read what earlier steps recorded on the context
(``ctx.communities``, ``ctx.sites``) and call ``ctx.add(Model, ...)``.
"""

import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from types import SimpleNamespace

import click
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from .. import clock
from ..extensions import db
from ..models import (
    Community,
    District,
    Notice,
    OpeningInterval,
    Service,
    Site,
    SiteFacility,
    SpecialDay,
    StaffScope,
    Street,
    User,
    VolunteerProfile,
)
from ..sites.directory import refresh_search_text
from . import (
    bulk,
    data,
    seed_bookings,
    seed_grids,
    seed_requests,
    seed_topics,
    seed_volunteers,
    seed_wishes,
)

SEED = 20_240_701  # changing it changes the whole demo city
MAX_SCALE = 500
COMMUNITIES = 40  # per copy of the city: 4 districts × 3 streets × 3–4 communities

CITY_CENTER = (31.23, 121.47)
# Copies of the city (--scale) sit on a grid this far apart, in degrees, so
# each copy keeps its own neighbourhoods instead of piling onto the first.
COPY_STEP = (0.12, 0.14)
DISTRICT_OFFSETS = ((0.025, -0.03), (0.025, 0.03), (-0.025, -0.03), (-0.025, 0.03))
METRES_PER_DEGREE = 111_320
MAX_STATION_DISTANCE_M = 1_400

# Station types drawn for a community, weighted by its class: new estates have
# office buildings, rural communities lean on volunteers and hosts.
STATION_TYPE_WEIGHTS = {
    "A": {"residential": 4, "business": 3, "convenience": 2, "volunteer": 1, "social": 1},
    "B": {"residential": 4, "business": 1, "convenience": 2, "volunteer": 2, "social": 2},
    "C": {"residential": 3, "business": 1, "convenience": 2, "volunteer": 2, "social": 2},
    "D": {"residential": 2, "business": 0, "convenience": 2, "volunteer": 3, "social": 2},
}
CLASS_WEIGHTS = ((35, 35, 20, 10), (40, 30, 20, 10), (25, 35, 25, 15), (15, 25, 35, 25))

# Weekly hours templates: (weekdays, intervals). 0 = Monday.
WORKDAYS, WEEKEND, EVERY_DAY = (0, 1, 2, 3, 4), (5, 6), (0, 1, 2, 3, 4, 5, 6)
HOURS = {
    "office": ((WORKDAYS, ("08:30-12:00", "13:30-17:30")), ((5,), ("09:00-12:00",))),
    "long_day": ((EVERY_DAY, ("08:30-12:00", "13:00-20:00")),),
    "evening": (
        (WORKDAYS, ("08:30-12:00", "13:30-17:30")),
        ((1, 3), ("18:30-20:30",)),
        (WEEKEND, ("09:00-16:00",)),
    ),
    "lunch_break": ((WORKDAYS, ("08:30-12:00", "13:30-17:30")),),
    "continuous": (((0, 1, 2, 3, 4, 5), ("09:00-17:00",)),),
    "weekend_short": ((WEEKEND, ("09:00-11:30", "14:00-16:30")),),
    "late": ((WORKDAYS, ("14:00-20:30",)), ((5,), ("09:00-12:00",))),
    "business": ((WORKDAYS, ("11:30-13:30", "17:30-20:00")),),
    "daylong": ((EVERY_DAY, ("07:00-21:00",)),),
    "all_day": ((EVERY_DAY, ("00:00-24:00",)),),
    "mornings": (((0, 1, 2, 3, 4, 5), ("08:00-11:30",)),),
    "canteen": ((EVERY_DAY, ("10:30-13:00", "16:30-18:00")),),
}
HOURS_WEIGHTS = {
    "center": {"office": 5, "long_day": 3, "evening": 2},
    "residential": {"lunch_break": 4, "continuous": 2, "late": 2, "weekend_short": 2},
    "business": {"business": 5, "lunch_break": 3, "late": 2},
    "convenience": {"daylong": 6, "all_day": 2, "continuous": 2},
    "volunteer": {"weekend_short": 4, "mornings": 3, "late": 3},
}
SOCIAL_HOURS = {
    "elderly_home": "continuous",
    "reading_room": "late",
    "canteen": "canteen",
    "law_firm": "lunch_break",
}

BOOKABLE_CATEGORIES = frozenset({"venue", "legal", "health", "haircut", "canteen", "office"})
CENTER_CORE_SERVICES = ("venue", "legal")
STATION_SERVICES = {
    "residential": ("venue", "care", "culture", "haircut", "office", "health"),
    "business": ("venue", "legal", "office", "culture"),
    "convenience": ("haircut", "health", "office"),
    "volunteer": ("care", "haircut", "culture"),
    # social points: the first category is what the host is there for
    "elderly_home": ("care", "health", "haircut"),
    "reading_room": ("culture", "care"),
    "canteen": ("canteen", "care"),
    "law_firm": ("legal",),
}
# Service names that fit a host better than a random pick from the catalog.
PREFERRED_SERVICE = {
    ("reading_room", "culture"): "孔子学堂读书会",
    ("reading_room", "care"): "四点半课堂",
    ("canteen", "canteen"): "长者食堂助餐",
    ("elderly_home", "care"): "日间照料",
}
INACTIVE_SERVICE_RATE = 0.03

FACILITIES = {
    "center": (
        ("toilet", "water", "seats", "wifi", "barrier_free"),
        ("reading", "first_aid", "charging", "umbrella", "microwave"),
    ),
    "residential": (("seats", "water"), ("reading", "toilet", "charging", "first_aid", "umbrella")),
    "business": (("wifi", "water", "seats", "charging"), ("microwave", "reading", "umbrella")),
    "convenience": (
        ("water", "charging", "umbrella", "microwave", "seats"),
        ("luggage", "first_aid", "toilet", "wifi"),
    ),
    "volunteer": (("water", "first_aid", "umbrella"), ("seats", "charging")),
    "social": (("seats", "toilet", "barrier_free"), ("water", "reading", "wifi")),
}

EXTENDED_HOURS = ("18:00-21:00", "17:30-20:30")
BOOKING_HORIZON_DAYS = 14


class SeedRefused(click.ClickException):
    """The database already holds data; the demo city is only loaded into an empty one."""


@dataclass
class CommunityPlan:
    """A community as later steps need it: ids, naming, place and its stations."""

    id: int
    copy: int
    base: str  # "锦绣": the word list entry
    suffix: str  # "" in the first copy of the city, "2", "3" … in the others
    klass: str
    latitude: float
    longitude: float
    station_types: tuple[str, ...]
    roads: tuple[str, ...] = ()
    center_id: int = 0

    @property
    def stem(self) -> str:
        """What names are built on: "锦绣", or "锦绣2" in the second copy."""
        return self.base + self.suffix


@dataclass
class SitePlan:
    """A site's row plus what the generator decided about it."""

    row: dict
    community: CommunityPlan
    variant: str = ""  # social-resource host: elderly_home, reading_room …
    services: list[dict] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def kind(self) -> str:
        return self.row["kind"]

    @property
    def type(self) -> str:
        """'center' or the station type: the key of the per-kind tables above."""
        return self.row["station_type"] or "center"


@dataclass
class SeedContext:
    """Everything the steps share: the random source, the rows and the id maps."""

    rng: random.Random
    scale: int
    today: date
    rows: dict[type, list[dict]] = field(default_factory=dict)
    last_ids: dict[type, int] = field(default_factory=dict)
    communities: list[CommunityPlan] = field(default_factory=list)
    sites: list[SitePlan] = field(default_factory=list)

    def add(self, model: type, **values) -> dict:
        """Queue a row for ``model``; give it the next id if the table has one.

        Every row of a model must carry the same keys (one executemany), so
        callers pass optional columns explicitly, as None or "".
        """
        table = getattr(model, "__table__", model)  # a model, or a plain Table
        if "id" in table.c and "id" not in values:
            if model not in self.last_ids:
                self.last_ids[model] = db.session.scalar(select(func.max(table.c.id))) or 0
            self.last_ids[model] += 1
            values = {"id": self.last_ids[model], **values}
        self.rows.setdefault(model, []).append(values)
        return values

    @cached_property
    def password_hash(self) -> str:
        """One hash for every demo account: scrypt is slow on purpose."""
        return generate_password_hash(DEMO_PASSWORD)

    def count(self, model: type) -> int:
        return len(self.rows.get(model, ()))

    def sites_by_copy(self) -> dict[int, list[SitePlan]]:
        grouped = defaultdict(list)
        for site in self.sites:
            grouped[site.community.copy].append(site)
        return grouped


def _minutes(span: str) -> tuple[int, int]:
    """'08:30-12:00' → (510, 720); '24:00' is 1440."""
    start, end = span.split("-")
    return tuple(int(h) * 60 + int(m) for h, m in (t.split(":") for t in (start, end)))


def _copy_cell(copy: int) -> tuple[int, int]:
    """Grid cell of a city copy: copy 0 in the middle, then ring by ring around it.

    Copy 0 stays put whatever the scale, so scale 1 is the start of scale N.
    """
    ring, seen = 0, 0
    while True:
        cells = [
            (y, x)
            for y in range(-ring, ring + 1)
            for x in range(-ring, ring + 1)
            if max(abs(x), abs(y)) == ring
        ]
        if copy < seen + len(cells):
            return cells[copy - seen]
        seen += len(cells)
        ring += 1


def _near(rng: random.Random, lat: float, lng: float, low_m: float, high_m: float):
    """A point between ``low_m`` and ``high_m`` metres from (lat, lng), any bearing."""
    distance, bearing = rng.uniform(low_m, high_m), rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / METRES_PER_DEGREE
    dlng = distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def _phone(rng: random.Random) -> str:
    return f"021-5{rng.randrange(10**7):07d}"


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _unique(used: set[str], make: Callable[[], str]) -> str:
    """A fresh name from ``make``; numbered when the word lists run dry."""
    name = make()
    for _ in range(30):
        if name not in used:
            break
        name = make()
    base, n = name, 2
    while name in used:
        name, n = f"{base}（{n}）", n + 1
    used.add(name)
    return name


def _day_label(day: date) -> str:
    return f"{day.month}月{day.day}日（周{data.WEEKDAY_NAMES[day.weekday()]}）"


# Steps, run in order. Each takes the context and queues rows on it.


def add_geography(ctx: SeedContext) -> None:
    """Districts, streets and communities, with each community's station plan.

    The layout comes from its own generator, reseeded for every copy, so each
    copy has the same shape and scale N has exactly N times the rows.
    """
    for copy in range(ctx.scale):
        layout = random.Random(SEED)
        suffix = "" if copy == 0 else str(copy + 1)
        cell_y, cell_x = _copy_cell(copy)
        origin = (CITY_CENTER[0] + cell_y * COPY_STEP[0], CITY_CENTER[1] + cell_x * COPY_STEP[1])
        street_count = sum(len(streets) for _, streets in data.DISTRICTS)
        big_streets = set(layout.sample(range(street_count), COMMUNITIES - 3 * street_count))
        stems = iter(data.COMMUNITY_STEMS)
        street_no = 0
        for d_no, (d_stem, street_stems) in enumerate(data.DISTRICTS):
            district = ctx.add(District, name=f"{d_stem}{suffix}区")
            d_lat = origin[0] + DISTRICT_OFFSETS[d_no][0]
            d_lng = origin[1] + DISTRICT_OFFSETS[d_no][1]
            for s_stem in street_stems:
                street = ctx.add(Street, district_id=district["id"], name=f"{s_stem}{suffix}街道")
                s_lat = d_lat + layout.uniform(-0.012, 0.012)
                s_lng = d_lng + layout.uniform(-0.014, 0.014)
                for _ in range(4 if street_no in big_streets else 3):
                    base = next(stems)
                    klass = layout.choices("ABCD", weights=CLASS_WEIGHTS[d_no])[0]
                    community = ctx.add(
                        Community, street_id=street["id"], name=f"{base}{suffix}社区", klass=klass
                    )
                    weights = STATION_TYPE_WEIGHTS[klass]
                    extra = layout.choices((2, 3, 4), weights=(20, 45, 35))[0]
                    types = ["residential"] + layout.choices(
                        list(weights), weights=list(weights.values()), k=extra
                    )
                    ctx.communities.append(
                        CommunityPlan(
                            id=community["id"],
                            copy=copy,
                            base=base,
                            suffix=suffix,
                            klass=klass,
                            latitude=round(s_lat + layout.uniform(-0.008, 0.008), 6),
                            longitude=round(s_lng + layout.uniform(-0.009, 0.009), 6),
                            station_types=tuple(types),
                        )
                    )
                street_no += 1
        # Every copy has a convenience post and a social-resource point.
        first, second = ctx.communities[-COMMUNITIES], ctx.communities[1 - COMMUNITIES]
        if "convenience" not in first.station_types:
            first.station_types = first.station_types[:-1] + ("convenience",)
        if "social" not in second.station_types:
            second.station_types = second.station_types[:-1] + ("social",)


def _site_row(ctx: SeedContext, community: CommunityPlan, **values) -> dict:
    """Queue a site row with every column the bulk insert needs."""
    row = ctx.add(
        Site,
        code=f"JMK{community.id:06d}{values.pop('number'):02d}",
        community_id=community.id,
        phone=_phone(ctx.rng),
        status="open",
        status_reason="",
        search_text="",
        **values,
    )
    return row


def add_sites(ctx: SeedContext) -> None:
    """One center per community, then its stations, each a short walk away."""
    rng = ctx.rng
    used: dict[int, set[str]] = defaultdict(set)
    reading_rooms: set[int] = set()
    for community in ctx.communities:
        names = used[community.copy]
        community.roads = tuple(rng.sample(data.ROADS, 3))
        center_name = f"{community.stem}社区党群服务中心"
        names.add(center_name)
        center = _site_row(
            ctx,
            community,
            number=0,
            kind="center",
            station_type=None,
            center_id=None,
            name=center_name,
            address=f"{community.roads[0]}{rng.randint(1, 999)}号",
            latitude=community.latitude,
            longitude=community.longitude,
            description=rng.choice(data.CENTER_DESCRIPTIONS).format(
                name=center_name,
                community=f"{community.stem}社区",
                area=rng.randrange(600, 2400, 50),
            ),
        )
        community.center_id = center["id"]
        ctx.sites.append(SitePlan(center, community))

        for number, station_type in enumerate(community.station_types, start=1):
            variant = ""
            if station_type == "social":
                variant = (
                    "reading_room"
                    if community.copy not in reading_rooms
                    else rng.choice(list(data.SOCIAL_VARIANTS))
                )
                if variant == "reading_room":
                    reading_rooms.add(community.copy)
            name, place = _station_name(rng, names, community, station_type, variant)
            road = rng.choice(community.roads)
            if station_type == "residential":
                address = f"{road}{rng.randint(10, 999)}弄{rng.randint(1, 60)}号"
            else:
                address = f"{road}{rng.randint(1, 999)}号"
            lat, lng = _near(
                rng, community.latitude, community.longitude, 150, MAX_STATION_DISTANCE_M
            )
            if station_type == "social":
                description = data.SOCIAL_DESCRIPTION.format(
                    host=data.SOCIAL_VARIANTS[variant][1], community=f"{community.stem}社区"
                )
            else:
                template = rng.choice(data.STATION_DESCRIPTIONS[station_type])
                description = template.format(place=place)
            row = _site_row(
                ctx,
                community,
                number=number,
                kind="station",
                station_type=station_type,
                center_id=center["id"],
                name=name,
                address=address,
                latitude=lat,
                longitude=lng,
                description=description,
            )
            ctx.sites.append(SitePlan(row, community, variant))


def _station_name(rng, names, community, station_type, variant) -> tuple[str, str]:
    """A station's name, unique within its copy of the city, and the place it names."""
    place, suffix = "", community.suffix

    def make() -> str:
        nonlocal place
        if station_type == "residential":
            place = rng.choice(data.COMPOUND_PREFIXES) + rng.choice(data.COMPOUND_SUFFIXES)
            return f"{place}{suffix}党群服务站"
        if station_type == "business":
            if rng.random() < 0.7:
                place = (
                    community.base
                    + rng.choice(data.BUILDING_WORDS)
                    + rng.choice(data.BUILDING_SUFFIXES)
                )
                return f"{place}{suffix}楼宇党群服务站"
            place = community.base + rng.choice(data.BUSINESS_AREAS)
            return f"{place}{suffix}党群服务站"
        if station_type == "convenience":
            place = rng.choice(community.roads)
            return f"{place}{suffix}便民服务驿站"
        if station_type == "volunteer":
            place = rng.choice((community.base, rng.choice(data.COMPOUND_PREFIXES)))
            return f"{place}{suffix}志愿者驿站"
        pattern = data.SOCIAL_VARIANTS[variant][0]
        if variant == "elderly_home":
            place = rng.choice(data.ELDERLY_HOMES)
        elif variant == "law_firm":
            place = rng.choice(data.LAW_FIRMS)
        else:
            place = community.base
        return pattern.format(stem=place + suffix)

    return _unique(names, make), place


def add_statuses(ctx: SeedContext) -> None:
    """A few stations in each copy are temporarily closed, with a reason."""
    for sites in ctx.sites_by_copy().values():
        stations = [s for s in sites if s.kind == "station"]
        for site in ctx.rng.sample(stations, 3):
            site.row["status"] = "closed"
            site.row["status_reason"] = ctx.rng.choice(data.STATUS_CLOSED_REASONS)


def add_facilities(ctx: SeedContext) -> None:
    """Facility tags: a fixed set per kind of site plus a few extras."""
    for site in ctx.sites:
        always, maybe = FACILITIES[site.type]
        extras = ctx.rng.sample(maybe, ctx.rng.randint(0, len(maybe)))
        if site.variant == "reading_room" and "reading" not in extras:
            extras.append("reading")
        for code in sorted(set(always) | set(extras)):
            ctx.add(SiteFacility, site_id=site.id, facility=code)


def add_opening_hours(ctx: SeedContext) -> None:
    """Weekly hours from templates; the first convenience post of a copy runs 24 hours."""
    round_the_clock: set[int] = set()
    for site in ctx.sites:
        if site.type == "social":
            template = SOCIAL_HOURS[site.variant]
        elif site.type == "convenience" and site.community.copy not in round_the_clock:
            template = "all_day"
        else:
            template = _weighted(ctx.rng, HOURS_WEIGHTS[site.type])
        if template == "all_day":
            round_the_clock.add(site.community.copy)
        for weekdays, spans in HOURS[template]:
            for weekday in weekdays:
                for span in spans:
                    opens, closes = _minutes(span)
                    ctx.add(
                        OpeningInterval,
                        site_id=site.id,
                        weekday=weekday,
                        opens_min=opens,
                        closes_min=closes,
                    )


def _special_day(ctx, site, kind, starts_on, ends_on, span=None) -> None:
    opens, closes = _minutes(span) if span else (None, None)
    ctx.add(
        SpecialDay,
        site_id=site.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        opens_min=opens,
        closes_min=closes,
        note=data.SPECIAL_DAY_NOTES[kind],
    )


def add_special_days(ctx: SeedContext) -> None:
    """Evenings of extended hours (延时服务) in the next two weeks, and a few closures."""
    rng, today = ctx.rng, ctx.today
    weekdays_ahead = [
        offset
        for offset in range(BOOKING_HORIZON_DAYS)
        if (today + timedelta(days=offset)).weekday() < 5
    ]
    for sites in ctx.sites_by_copy().values():
        centers = [s for s in sites if s.kind == "center"]
        extended = rng.sample(centers, len(centers) * 2 // 5)
        for site in extended:
            span = rng.choice(EXTENDED_HOURS)
            for offset in sorted(rng.sample(weekdays_ahead, rng.randint(1, 3))):
                day = today + timedelta(days=offset)
                _special_day(ctx, site, "extended", day, day, span)
        others = [s for s in sites if s not in extended and s.row["status"] == "open"]
        for site in rng.sample(others, 6):
            if rng.random() < 0.67:
                start = today + timedelta(days=rng.randint(-1, 10))
                _special_day(ctx, site, "holiday", start, start + timedelta(days=rng.randint(0, 2)))
            else:
                day = today + timedelta(days=rng.randint(0, BOOKING_HORIZON_DAYS - 1))
                _special_day(ctx, site, "closed", day, day)


def _pick_service(rng, variant: str, category: str) -> tuple[str, str]:
    catalog = data.SERVICE_CATALOG[category]
    preferred = PREFERRED_SERVICE.get((variant, category))
    for name, description in catalog:
        if name == preferred:
            return name, description
    return rng.choice(catalog)


def add_services(ctx: SeedContext) -> None:
    """Centers offer 5–7 services, stations 1–3; at most one per category per site.

    One per category keeps the order of a site's services (category, then name)
    the same in Python and in any database collation, which search_text relies on.
    """
    rng = ctx.rng
    others = [c for c in data.SERVICE_CATALOG if c not in CENTER_CORE_SERVICES]
    for site in ctx.sites:
        if site.kind == "center":
            categories = list(CENTER_CORE_SERVICES) + rng.sample(others, rng.randint(3, 5))
        else:
            pool = STATION_SERVICES[site.variant or site.type]
            count = rng.randint(1, min(3, len(pool)))
            if site.variant:
                categories = [pool[0]] + rng.sample(pool[1:], count - 1)
            else:
                categories = rng.sample(pool, count)
        for category in categories:
            name, description = _pick_service(rng, site.variant, category)
            service = ctx.add(
                Service,
                site_id=site.id,
                category=category,
                name=name,
                description=description,
                bookable=category in BOOKABLE_CATEGORIES,
                active=rng.random() >= INACTIVE_SERVICE_RATE,
            )
            site.services.append(service)


def add_notices(ctx: SeedContext) -> None:
    """Current notices on every center and some stations; a few expired ones."""
    rng, today = ctx.rng, ctx.today
    for sites in ctx.sites_by_copy().values():
        centers = [s for s in sites if s.kind == "center"]
        with_expired = set(id(s) for s in rng.sample(centers, 3))
        for site in sites:
            count = rng.randint(2, 3) if site.kind == "center" else int(rng.random() < 0.2)
            for title, body in rng.sample(data.NOTICES, count):
                event_day = today + timedelta(days=rng.randint(1, 10))
                ctx.add(
                    Notice,
                    site_id=site.id,
                    title=title,
                    body=body.format(date=_day_label(event_day)),
                    publish_on=today - timedelta(days=rng.randint(0, 5)),
                    expires_on=today + timedelta(days=rng.randint(7, 30)),
                )
            if id(site) in with_expired:
                title, body = rng.choice(data.EXPIRED_NOTICES)
                published = today - timedelta(days=rng.randint(40, 90))
                ctx.add(
                    Notice,
                    site_id=site.id,
                    title=title,
                    body=body.format(date=_day_label(published + timedelta(days=3))),
                    publish_on=published,
                    expires_on=published + timedelta(days=rng.randint(7, 30)),
                )


def add_search_text(ctx: SeedContext) -> None:
    """Fill search_text with the very function the app uses when a site changes."""
    for site in ctx.sites:
        services = sorted(site.services, key=lambda s: (s["category"], s["name"]))
        stand_in = SimpleNamespace(
            name=site.row["name"],
            address=site.row["address"],
            services=[SimpleNamespace(name=s["name"], active=s["active"]) for s in services],
        )
        refresh_search_text(stand_in)
        site.row["search_text"] = stand_in.search_text


# Demo accounts, one per role, listed in the README. They share one password.
DEMO_PASSWORD = "doorstep-demo"
DEMO_ACCOUNTS = (
    # mobile, display name, role
    ("13800000001", "王阿姨", "resident"),
    ("13800000002", "李志愿", "volunteer"),
    ("13800000003", "张站长", "center_staff"),
    ("13800000004", "陈社工", "station_staff"),
    ("13800000005", "平台管理员", "admin"),
)


def add_accounts(ctx: SeedContext) -> None:
    """One account per role, so a newcomer can try every part of the portal.

    The center manager runs the first community's center (and so its
    stations); the station worker runs one station of that center.
    """
    password_hash = ctx.password_hash
    center = next(s for s in ctx.sites if s.kind == "center")
    station = next(s for s in ctx.sites if s.row["center_id"] == center.id)
    now = clock.now()
    for mobile, name, role in DEMO_ACCOUNTS:
        user = ctx.add(
            User,
            mobile=mobile,
            display_name=name,
            password_hash=password_hash,
            is_admin=role == "admin",
            active=True,
            created_by_staff=False,
            created_at=now,
            last_login_at=None,
            deleted_at=None,
        )
        if role == "volunteer":
            ctx.add(
                VolunteerProfile,
                user_id=user["id"],
                real_name="李明",
                skills="急救、理发、陪伴长者",
                bio="退休教师，周末有空。",
                created_at=now,
            )
        if role in ("center_staff", "station_staff"):
            site = center if role == "center_staff" else station
            ctx.add(
                StaffScope, user_id=user["id"], site_id=site.id, granted_by_id=None, created_at=now
            )


STEPS: tuple[Callable[[SeedContext], None], ...] = (
    add_geography,
    add_sites,
    add_statuses,
    add_facilities,
    add_opening_hours,
    add_special_days,
    add_services,
    add_notices,
    add_search_text,
    add_accounts,
    *seed_bookings.STEPS,
    *seed_volunteers.STEPS,
    *seed_grids.STEPS,
    *seed_wishes.STEPS,
    *seed_requests.STEPS,
    *seed_topics.STEPS,
)


def _write(ctx: SeedContext) -> None:
    """Insert the queued rows table by table, parents before children.

    Within the site table, each center is queued before its stations, so the
    self-reference holds row by row. Rows go straight to the driver
    (executemany on SQLite, COPY on PostgreSQL): at scale 70 there are
    millions, and per-row ORM or Core processing would take minutes.
    """
    by_table = {getattr(m, "__table__", m): rows for m, rows in ctx.rows.items()}
    connection = db.session.connection()
    for table in db.metadata.sorted_tables:
        rows = by_table.get(table)
        if rows:
            bulk.insert_rows(connection, table, rows)
    if db.engine.dialect.name == "postgresql":
        # Ids were assigned here, so the serial sequences must catch up, or
        # the app's next insert would collide with a demo row.
        quote = db.engine.dialect.identifier_preparer.quote
        for model in ctx.last_ids:
            name = quote(model.__tablename__)
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM {name}"),
                {"table": name},
            )


def _has_data() -> bool:
    return any(
        db.session.scalar(select(model.id).limit(1)) is not None for model in (District, Site)
    )


def seed(scale: int = 1, if_empty: bool = False) -> str:
    """Load the demo city ``scale`` times into an empty database; return a summary.

    With ``if_empty`` an existing database is left alone (so deploy scripts can
    call it every time); without it, existing data is an error rather than a
    silent duplicate.
    """
    if not 1 <= scale <= MAX_SCALE:
        raise click.BadParameter(f"scale must be between 1 and {MAX_SCALE}", param_hint="--scale")
    started = time.perf_counter()
    # Two seeds racing past the emptiness check cannot both commit: district
    # names are unique, so the second one fails instead of duplicating the city.
    try:
        if _has_data():
            db.session.rollback()
            if if_empty:
                return "Demo data not loaded: the database already has sites."
            raise SeedRefused(
                "The database already holds data; seed-demo only fills an empty database "
                "(use --if-empty to skip quietly)."
            )
        ctx = SeedContext(rng=random.Random(SEED), scale=scale, today=clock.today())
        for step in STEPS:
            step(ctx)
        _write(ctx)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if db.engine.dialect.name == "postgresql":
        # Statistics for the planner now, not when autovacuum gets round to it:
        # with none, PostgreSQL plans the first queries for empty tables and
        # some pages take seconds on a large city.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    centers = sum(1 for s in ctx.sites if s.kind == "center")
    return (
        f"Demo city loaded ×{scale}: {ctx.count(District)} districts, {ctx.count(Street)} "
        f"streets, {ctx.count(Community)} communities, {centers} centers, "
        f"{len(ctx.sites) - centers} stations, {ctx.count(Service)} services, "
        f"{ctx.count(Notice)} notices, {ctx.count(SpecialDay)} special days "
        f"in {time.perf_counter() - started:.1f} s."
    )
