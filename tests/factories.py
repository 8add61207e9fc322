"""Small factories for test data. Each returns a flushed model with sane defaults."""

from itertools import count

from app.extensions import db
from app.models import (
    Community,
    District,
    Notice,
    OpeningInterval,
    Service,
    Site,
    SiteFacility,
    SpecialDay,
    Street,
)
from app.sites.directory import refresh_search_text

_seq = count(1)


def district(name: str | None = None) -> District:
    obj = District(name=name or f"测试区{next(_seq)}")
    db.session.add(obj)
    db.session.flush()
    return obj


def street(district_obj: District | None = None, name: str | None = None) -> Street:
    obj = Street(district=district_obj or district(), name=name or f"测试街道{next(_seq)}")
    db.session.add(obj)
    db.session.flush()
    return obj


def community(
    street_obj: Street | None = None, name: str | None = None, klass: str = "A"
) -> Community:
    obj = Community(
        street=street_obj or street(), name=name or f"测试社区{next(_seq)}", klass=klass
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def site(
    community_obj: Community | None = None,
    *,
    kind: str = "center",
    station_type: str | None = None,
    center: Site | None = None,
    name: str | None = None,
    hours: list[tuple[int, int, int]] | None = None,
    facilities: tuple[str, ...] = (),
    services: tuple[tuple[str, str], ...] = (),
    **fields,
) -> Site:
    """A site; ``hours`` are (weekday, opens_min, closes_min); default Mon–Sun 9–17."""
    n = next(_seq)
    if kind == "station":
        station_type = station_type or "residential"
        community_obj = community_obj or (center.community if center else None)
    obj = Site(
        code=fields.pop("code", f"T{n:06d}"),
        community=community_obj or community(),
        kind=kind,
        station_type=station_type,
        center=center,
        name=name or f"测试站点{n}",
        address=fields.pop("address", f"测试路{n}号"),
        latitude=fields.pop("latitude", 31.23),
        longitude=fields.pop("longitude", 121.47),
        **fields,
    )
    for weekday, opens, closes in (
        hours if hours is not None else [(d, 540, 1020) for d in range(7)]
    ):
        obj.opening_intervals.append(
            OpeningInterval(weekday=weekday, opens_min=opens, closes_min=closes)
        )
    for code in facilities:
        obj.facilities.append(SiteFacility(facility=code))
    db.session.add(obj)
    for category, service_name in services:
        db.session.add(Service(site=obj, category=category, name=service_name))
    db.session.flush()
    refresh_search_text(obj)
    db.session.flush()
    return obj


def special_day(
    site_obj: Site, kind: str, starts_on, ends_on=None, opens_min=None, closes_min=None, note=""
) -> SpecialDay:
    obj = SpecialDay(
        site_id=site_obj.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on or starts_on,
        opens_min=opens_min,
        closes_min=closes_min,
        note=note,
    )
    db.session.add(obj)
    db.session.flush()
    db.session.expire(site_obj, ["special_days"])
    return obj


def notice(site_obj: Site, title: str, publish_on, expires_on=None, body: str = "") -> Notice:
    obj = Notice(
        site_id=site_obj.id, title=title, body=body, publish_on=publish_on, expires_on=expires_on
    )
    db.session.add(obj)
    db.session.flush()
    return obj


PASSWORD = "correct-horse-battery"
_mobiles = count(13900000001)


def user(
    name: str = "测试居民",
    *,
    mobile: str | None = None,
    password: str = PASSWORD,
    admin: bool = False,
    volunteer: bool = False,
    staff_of: tuple = (),
):
    """A user; ``staff_of`` lists sites to scope them to."""
    from werkzeug.security import generate_password_hash

    from app.models import StaffScope, User, VolunteerProfile

    obj = User(
        mobile=mobile or str(next(_mobiles)),
        display_name=name,
        password_hash=_hash(password, generate_password_hash),
        is_admin=admin,
    )
    db.session.add(obj)
    db.session.flush()
    if volunteer:
        db.session.add(VolunteerProfile(user_id=obj.id, real_name="张三", skills="急救"))
    for site_obj in staff_of:
        db.session.add(StaffScope(user_id=obj.id, site_id=site_obj.id))
    db.session.flush()
    return obj


_hashes: dict[str, str] = {}


def _hash(password: str, generate) -> str:
    """Hash each test password once: scrypt is slow by design."""
    if password not in _hashes:
        _hashes[password] = generate(password)
    return _hashes[password]


def bookable_service(
    site_obj: Site | None = None,
    *,
    category: str = "legal",
    name: str = "法律咨询",
    rule: dict | None = None,
    weekly: tuple = ((0, 540, 720, 60, 2),),
):
    """A bookable service with a booking rule and weekly slot rules (not slots)."""
    from app.models import BookingRule, SlotRule

    service = Service(site=site_obj or site(), category=category, name=name, bookable=True)
    db.session.add(service)
    db.session.flush()
    settings = dict(
        seat_limit=2, window_days=14, min_notice_minutes=60, cancel_cutoff_minutes=120,
        max_active=2, max_per_month=4, needs_approval=False,
    )  # fmt: skip
    db.session.add(BookingRule(service_id=service.id, **{**settings, **(rule or {})}))
    for weekday, starts, ends, minutes, capacity in weekly:
        db.session.add(
            SlotRule(service_id=service.id, weekday=weekday, starts_min=starts, ends_min=ends,
                     slot_minutes=minutes, capacity=capacity)
        )  # fmt: skip
    db.session.flush()
    db.session.refresh(service)
    return service


def slot(service, starts_at, minutes: int = 60, capacity: int = 5, taken: int = 0):
    from datetime import timedelta

    from app.models import Slot

    obj = Slot(
        service_id=service.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        capacity=capacity,
        taken=taken,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def volunteer(name: str = "志愿者", **kwargs):
    return user(name, volunteer=True, **kwargs)


def team(home_site: Site, name: str | None = None, leader=None):
    from app.models import Membership, Team

    obj = Team(name=name or f"测试服务队{next(_seq)}", brand="四季歌", home_site_id=home_site.id)
    db.session.add(obj)
    db.session.flush()
    if leader is not None:
        db.session.add(Membership(team_id=obj.id, user_id=leader.id, status="leader"))
        db.session.flush()
    return obj


def project(site_obj: Site, status: str = "running", teams=(), **fields):
    from app.models import Project

    obj = Project(
        title=fields.pop("title", f"测试项目{next(_seq)}"),
        category=fields.pop("category", "daily_life"),
        community_id=site_obj.community_id,
        site_id=site_obj.id,
        status=status,
        **fields,
    )
    obj.teams.extend(teams)
    db.session.add(obj)
    db.session.flush()
    return obj


def activity(
    site_obj: Site,
    starts_at,
    *,
    places: int = 6,
    hours: str = "2",
    project_obj=None,
    team_obj=None,
    **fields,
):
    from datetime import timedelta
    from decimal import Decimal

    from app.models import Activity

    obj = Activity(
        project_id=project_obj.id if project_obj else None,
        team_id=team_obj.id if team_obj else None,
        site_id=site_obj.id,
        title=fields.pop("title", "测试活动"),
        starts_at=starts_at,
        ends_at=fields.pop("ends_at", starts_at + timedelta(hours=2)),
        signup_deadline=fields.pop("signup_deadline", starts_at - timedelta(hours=2)),
        places=places,
        hours=Decimal(hours),
        checkin_code=fields.pop("checkin_code", "123456"),
        **fields,
    )
    db.session.add(obj)
    db.session.flush()
    return obj


def mall_item(site_obj: Site, cost: int = 10, stock: int = 3, name: str = "大米"):
    from app.models import MallItem

    obj = MallItem(site_id=site_obj.id, name=name, points_cost=cost, stock=stock)
    db.session.add(obj)
    db.session.flush()
    return obj


def points(user_obj, amount: int, kind: str = "adjusted", reason: str = "测试"):
    from app.models import PointsEntry

    db.session.add(PointsEntry(user_id=user_obj.id, kind=kind, points=amount, reason=reason))
    db.session.flush()


def prefixed(prefix: str, data: dict) -> dict:
    """Form data as a prefixed form posts it: prefixed("basic", {"name": …}) → {"basic-name": …}.

    Forms that share a page carry a prefix (app/forms.py PrefixedForm), so their
    fields' names and ids never collide.
    """
    return {f"{prefix}-{key}": value for key, value in data.items()}
