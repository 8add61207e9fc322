"""Bad input never makes a 500: a sweep of every route in the URL map.

Like the permission sweep (tests/test_permissions.py), it walks ``app.url_map``
and fills every URL argument from a small world built with the factories, so a
new route is covered the day it is added (an argument the sweep does not know
fails it). Then it sends what people and scripts really send: ids beyond the
database's integers, NUL bytes, dates at the ends of the calendar, NaN and
infinities, full-width and Arabic-Indic digits, and text far longer than any
column, in the query string and the form body of every route.

Each name a route reads gets the bad value in turn while its siblings hold
realistic values (``realistic``), so the value gets past the form's other
checks to the code and the database behind it; then every name at once. The
names come from the app itself (every WTForms field, every name="…" in the
templates, every ``request.args/form.get``), and the names a route reads are
recorded as it runs, so a new field is swept without editing this file.

One world (one database) per bad value, not per request, keeps it fast.
"""

import io
import re
import traceback
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.security import generate_password_hash
from wtforms import Form
from wtforms.fields.core import UnboundField

from app.clock import LOCAL_TZ
from app.extensions import db
from app.inputs import EARLIEST_DAY, DayRefused, latest_day, parse_day, search_text
from app.models import (
    ActivitySeries,
    AuditEntry,
    Booking,
    Building,
    Certificate,
    Compound,
    Grid,
    GridScope,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    ProjectSpending,
    Redemption,
    ResidentRequest,
    Signup,
    Site,
    Topic,
    Upload,
    Wish,
)
from app.sites import sites_csv
from app.urls import MAX_ID, numbers_up_to, positive_int
from app.volunteers import common, signups

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # a Monday morning
# The world's activity starts five days later; it runs for two hours.
ACTIVITY_RUNNING = NOW + timedelta(days=5, minutes=30)
TODAY = NOW.date()
ROOT = Path(__file__).resolve().parents[1]

BIG_IDS = (2**31, 2**63, 10**20)
# The server in front refuses a longer request line (gunicorn's limit is 4094
# bytes), so the megabyte value goes in form bodies only.
QUERY_STRING_MAX = 10_000
BAD_VALUES = {
    "nul": "\x00",
    "inner-nul": "a\x00b",
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31",
    "nan": "NaN",
    "inf": "inf",
    "minus-one": "-1",
    "huge-number": "99999999999999999999",
    "full-width-digit": "13８00000002",
    "full-width-year": "１７３０",
    "long": "x" * 5000,
    "megabyte": "x" * 1_000_000,
}


def realistic(world) -> dict:
    """A value that passes for each field name, so the one bad field under test
    is read by the code behind the form, not refused with its siblings first.

    A name several forms share gets the value of the form with most behind it
    (``kind``: a special day's). Passwords are wrong on purpose: /me/delete
    must not delete the sweep's own account.
    """
    ids = world["values"]
    later = lambda days: (TODAY + timedelta(days=days)).isoformat()  # noqa: E731
    return {
        "active": "1", "address": "测试路1号", "attended": "1", "bio": "你好",
        "body": "意见", "bookable": "y", "cancel_cutoff_minutes": "120", "capacity": "2",
        "category": "legal", "closes": "12:00", "code": "48217730", "comment": "很好",
        "community": str(ids["community_id"]), "confirm": "not-the-password",
        "current_password": "not-the-password", "date": later(0), "decision": "approve",
        "description": "说明", "display_name": "新居民", "district": str(ids["district_id"]),
        "elder": "1", "ends": "12:00", "ends_on": later(11), "expires_on": later(30),
        "extended_closes": "", "extended_opens": "", "facilities": "water", "facility": "water",
        "from": later(-30), "hours": "2", "kind": "closed", "klass": "A", "language": "zh",
        "lat": "31.23", "latitude": "31.23", "lng": "121.47", "longitude": "121.47",
        "max_active": "2", "max_per_month": "4", "min_notice_minutes": "60",
        "mobile": "13800000009", "name": "新名字", "needs_approval": "", "next": "/",
        "note": "备注", "open_now": "1", "opens": "09:00", "outcome_beneficiaries": "10",
        "outcome_summary": "很好", "page": "1", "password": "not-the-password",
        "phone": "021-5888 1234", "publicity_ends_on": later(7),
        "publicity_starts_on": later(0), "publish_on": later(0), "q": "测试",
        "real_name": "张三", "reason": "原因", "remember": "y", "seat_limit": "2",
        "seats": "1", "service_description": "说明", "service_id": str(ids["service_id"]),
        "service_name": "法律咨询", "site": str(ids["site_id"]), "site_id": str(ids["site_id"]),
        "skills": "急救", "slot_id": str(ids["slot_id"]), "slot_minutes": "30", "stars": "5",
        "starts": "09:00", "starts_on": later(10), "station_type": "residential",
        "status": "open", "street": str(ids["street_id"]), "target": "publicity",
        "title": "通知标题", "to": later(0), "until": "1200", "user": str(ids["user_id"]),
        "waitlist": "1", "weekday": "0", "window_days": "14",
        # Activities staff publish, and the filters of /activities.
        "day": later(5), "deadline_hours": "2", "open": "1", "places": "6",
        "project_id": str(ids["project_id"]), "requirements": "有耐心",
        "team_id": str(ids["team_id"]), "weeks": "4", "when": "week",
        # The love mall's items, restocks and points adjustments.
        "added": "3", "amount": "5", "direction": "add", "per_person_limit": "2",
        "points_cost": "10", "seen": "0", "stock": "3", "volunteer": str(ids["volunteer_id"]),
        # Service projects: drafts, filing, outcome and spending.
        "beneficiaries": "10", "budget_yuan": "2000", "filed_on": later(0),
        "filing_number": "东备2026-001", "fund_source": "社区公益金", "payee": "五金店",
        "purpose": "理发工具", "spent_on": later(0), "summary": "顺利完成",
        "team_ids": str(ids["team_id"]),
        # Teams staff create and run.
        "brand": "四季歌", "home_site_id": str(ids["site_id"]), "role": "deputy",
        "slogan": "邻里守望",
        # Grids staff keep, and the resident's home (community → grid → compound → building).
        "parent_id": str(ids["grid_id"]), "head_name": "赵网格长", "head_phone": "0371-66881234",
        "public_phone": "13800006600", "grid": str(ids["grid_id"]),
        "compound": str(ids["compound_id"]), "building": str(ids["building_id"]),
        "action": "save",
        # Small wishes: posted, credited, taken on by a co-building unit.
        "what": "一副老花镜", "for_name": "王奶奶", "for_age": "82", "place": "3号楼东门",
        "due_on": later(10), "unit": "区税务局党支部", "credit_points": "10", "points": "10",
        # Residents' requests: a report, its rating, staff's steps.
        "text": "路灯坏了", "place_text": "东门", "rating": "satisfied", "public": "y",
        # Deliberation: a topic, the threshold, a meeting's record, the implementation.
        "threshold": "5", "minutes": "讨论了费用", "residents": "10", "owners_committee": "3",
        "property_company": "1", "party_committee": "1", "names": "",
        "votes_for": "12", "votes_against": "2", "votes_abstain": "1", "state": "note",
        "topics": str(ids["topic_id"]),
        "version": str(_site_version(ids["site_id"])),
    }  # fmt: skip


def _site_version(site_id: int) -> int:
    """The listing's version now: staff forms carry it, and a stale one is refused."""
    db.session.rollback()
    version = db.session.scalar(select(Site.version).where(Site.id == site_id))
    db.session.rollback()
    return version or 1


# The world --------------------------------------------------------------------


@pytest.fixture
def world(app, freeze):
    """One of everything a URL can name, at a center its admin also staffs."""
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    admin = f.user("管理员", admin=True, staff_of=(center,))
    staff = f.user("社工", staff_of=(station,))
    resident = f.user("居民")
    volunteer = f.volunteer("志愿者")
    leader = f.volunteer("队长")
    joiner = f.volunteer("申请人")
    service = f.bookable_service(center)
    slot = f.slot(service, NOW + timedelta(days=1, hours=2), taken=1)
    booking = Booking(slot_id=slot.id, user_id=resident.id, seats=1, status="booked",
                      code="48217730")  # fmt: skip
    team = f.team(center, leader=leader)
    membership = Membership(team_id=team.id, user_id=joiner.id, status="pending")
    project = f.project(
        center, "publicity", teams=(team,),
        publicity_starts_on=TODAY - timedelta(days=1),
        publicity_ends_on=TODAY + timedelta(days=7),
    )  # fmt: skip
    activity = f.activity(
        center, NOW + timedelta(days=5), project_obj=project, team_obj=team, taken=1
    )
    # The activity is the first week of a weekly series.
    series = ActivitySeries(site_id=center.id, title=activity.title, weekday=5, starts_min=480,
                            ends_min=600, first_on=TODAY + timedelta(days=5), weeks=1)  # fmt: skip
    db.session.add(series)
    db.session.flush()
    activity.series_id = series.id
    item = f.mall_item(center)
    item.photo = Upload(key="5f2b" * 8, purpose="mall_item", width=1, height=1, size_bytes=3,
                        data=b"jpg", public=True)  # fmt: skip
    f.points(volunteer, 100)
    db.session.add_all([booking, membership])
    db.session.flush()
    comment = ProjectComment(project_id=project.id, user_id=volunteer.id, body="好")
    signup = Signup(activity_id=activity.id, user_id=volunteer.id, status="signed_up")
    spending = ProjectSpending(project_id=project.id, spent_on=TODAY, amount_yuan=Decimal("12.50"),
                               purpose="理发工具", payee="五金店")  # fmt: skip
    redemption = Redemption(item_id=item.id, user_id=volunteer.id, points=10, code="12345678")
    db.session.add_all([comment, signup, redemption, spending])
    certificate = Certificate(
        code="K7M2QX9P3A", user_id=volunteer.id, holder_name="张三", issuer_site_id=center.id,
        issuer_name=center.name, total_hours=Decimal("2"), activity_count=1,
    )  # fmt: skip
    db.session.add(certificate)
    wish = Wish(community_id=center.community_id, wisher_id=resident.id, what="一副老花镜",
                for_name="王奶奶", place="3号楼东门", due_on=TODAY + timedelta(days=10),
                status="open", claimed_unit="")  # fmt: skip
    db.session.add(wish)
    topic = Topic(
        community_id=center.community_id,
        title="加装电梯",
        text="老人上下楼难",
        proposed_by_id=resident.id,
        status="proposed",
    )
    db.session.add(topic)
    grid = Grid(community_id=center.community_id, name="第一网格", level=1)
    db.session.add(grid)
    db.session.flush()
    compound = Compound(grid_id=grid.id, name="幸福小区")
    db.session.add(compound)
    db.session.flush()
    building = Building(compound_id=compound.id, name="1号楼")
    grid_worker = GridScope(user_id=staff.id, grid_id=grid.id, public_phone="")
    db.session.add_all([building, grid_worker])
    resident_request = ResidentRequest(
        resident_id=resident.id, community_id=center.community_id, grid_id=grid.id,
        category="repairs", text="路灯坏了", place_kind="home", public=True,
        accept_due_at=NOW + timedelta(days=1), resolve_due_at=NOW + timedelta(days=9),
    )  # fmt: skip
    db.session.add(resident_request)
    special = f.special_day(center, "closed", TODAY + timedelta(days=10))
    notice = f.notice(center, "通知", TODAY)
    db.session.flush()
    community = center.community
    values = {
        "site_id": center.id,
        "service_id": service.id,
        "slot_id": slot.id,
        "booking_id": booking.id,
        "team_id": team.id,
        "membership_id": membership.id,
        "project_id": project.id,
        "comment_id": comment.id,
        "spending_id": spending.id,
        "activity_id": activity.id,
        "series_id": series.id,
        "signup_id": signup.id,
        "item_id": item.id,
        "volunteer_id": volunteer.id,
        "redemption_id": redemption.id,
        "district_id": community.street.district_id,
        "street_id": community.street_id,
        "community_id": community.id,
        "grid_id": grid.id,
        "compound_id": compound.id,
        "building_id": building.id,
        "worker_id": grid_worker.id,
        "wish_id": wish.id,
        "topic_id": topic.id,
        "request_id": resident_request.id,
        "user_id": staff.id,
        "scope_id": staff.scopes[0].id,
        "interval_id": center.opening_intervals[0].id,
        "special_id": special.id,
        "notice_id": notice.id,
        "rule_id": service.slot_rules[0].id,
        "code": certificate.code,
        "certificate_id": certificate.id,
        "filename": "css/app.css",
        "key": "0" * 32,
    }
    # The sweep checks passwords hundreds of times (/me/delete, /me/password):
    # a one-round hash keeps that fast, and the login form reads it the same way.
    for person in (admin, resident):
        person.password_hash = generate_password_hash(f.PASSWORD, "pbkdf2:sha256:1")
    db.session.commit()
    return {"values": values, "admin": admin, "resident": resident}


# The routes -------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")
# Routes that end something (the session, a site, a scope) run last, so the
# routes before them still find the world whole.
_LAST = ("logout", "delete", "revoke", "leave", "cancel", "active", "decide", "no_show")


def rules(app, *, console: bool = True):
    found = [
        r
        for r in app.url_map.iter_rules()
        if console or not r.rule.startswith(("/staff", "/admin"))
    ]
    assert len(found) >= (90 if console else 40), "the sweep found fewer routes than exist"
    return sorted(
        found,
        key=lambda r: (r.endpoint == "accounts.logout", any(w in r.endpoint for w in _LAST)),
    )


def int_arguments(rule) -> list[str]:
    return [name for conv, name in _ARGUMENT.findall(rule.rule) if conv == "int"]


def build(rule, values: dict, **override) -> str:
    """Fill every argument of ``rule``; an unknown argument fails the sweep."""
    missing = set(rule.arguments) - set(values)
    assert not missing, f"teach the bad-input sweep the argument(s) {missing} of {rule.rule}"
    filled = {**values, **override}
    return _ARGUMENT.sub(lambda m: str(filled[m.group(2)]), rule.rule)


def methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# Every field name the app uses -------------------------------------------------


def _import_app_modules():
    import importlib
    import pkgutil

    import app as package

    for module in pkgutil.walk_packages(package.__path__, "app."):
        if ".demo" not in module.name:
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def field_names() -> set[str]:
    """Every WTForms field of every FlaskForm in app/, and every name="…" in templates."""
    from flask_wtf import FlaskForm

    _import_app_modules()
    names = set()
    for form in _subclasses(FlaskForm):
        if form.__module__.startswith("app."):
            names |= {n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField)}
    for template in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'\bname="([\w-]+)"', template.read_text()))
    for source in (ROOT / "app").rglob("*.py"):
        names |= set(re.findall(r'request\.(?:args|form)\.get\("([\w-]+)"', source.read_text()))
    names -= {"viewport", "htmx-config"}  # <meta> names, not fields
    return names


FIELDS = field_names()


# What a request reads ------------------------------------------------------------

_READS: set[str] = set()
# A validated form's field names as sent ("basic-name", "site5-reason") → the
# field's own name ("name", "reason"), which ``realistic`` knows. Forms that
# share a page carry a prefix, so the sweep learns the names it must send.
_SHORT_NAMES: dict[str, str] = {}


class _RecordingMultiDict(ImmutableMultiDict):
    """Query and form values that note each name a view looks up itself.

    WTForms reads every field of every form a page builds (getlist), also of
    forms that are only shown; those count when their form is validated
    (``recording`` wraps ``Form.validate``), so the sweep sends bad values to
    the fields that a route checks, not to every form on its page.
    """

    def __getitem__(self, key):
        _READS.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        _READS.add(key)
        return super().get(key, default, type)


def recording(app, monkeypatch):
    class RecordingRequest(app.request_class):
        parameter_storage_class = _RecordingMultiDict

    app.request_class = RecordingRequest
    validate = Form.validate

    def validate_and_note(form, *args, **kwargs):
        for field in form:
            _READS.add(field.name)
            _SHORT_NAMES[field.name] = field.short_name
        return validate(form, *args, **kwargs)

    monkeypatch.setattr(Form, "validate", validate_and_note)


class Sweep:
    """Send requests, note every 5xx or exception, and say them all at the end."""

    def __init__(self, client, label: str):
        self.client = client
        self.label = label
        self.who = "admin"
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, path: str, fields: dict | None = None, note: str = ""):
        fields = fields or {}
        note = f"[{self.who}] {note}"
        kwargs = {"query_string": fields} if method == "GET" else {"data": fields}
        _READS.clear()
        self.sent += 1
        try:
            response = self.client.open(path, method=method, **kwargs)
        except Exception as error:  # TESTING=True lets the view's exception out
            where = traceback.extract_tb(error.__traceback__)[-1]
            self.failures.append(
                f"{method} {path} {note}: {type(error).__name__}: {str(error)[:200]}"
                f" at {Path(where.filename).name}:{where.lineno}"
            )
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method} {path} {note}: {response.status_code}")
        return response

    def check(self):
        shown = "\n".join(self.failures[:60])
        more = f"\n… and {len(self.failures) - 60} more" if len(self.failures) > 60 else ""
        if self.failures:
            pytest.fail(f"{self.label}: {len(self.failures)} failure(s)\n{shown}{more}", False)


def _log_in(auth, user):
    response = auth.login(user)
    assert response.status_code == 303, "the sweep could not log in"


# (a) ids beyond the database's integers -------------------------------------------


def test_ids_beyond_integer_range_are_404(app, client, auth, world):
    """Every int argument of every route, in turn, beyond PostgreSQL's integer
    (2**31), SQLite's (2**63) and any (10**20): 404, as for an id not there."""
    sweep = Sweep(client, "ids beyond the integers")
    _log_in(auth, world["admin"])
    checked = 0
    for big in BIG_IDS:
        for rule in rules(app):
            for name in int_arguments(rule):
                path = build(rule, world["values"], **{name: big})
                for method in methods(rule):
                    response = sweep.send(method, path, note=f"{name}={big}")
                    checked += 1
                    if response is not None and response.status_code != 404:
                        sweep.failures.append(f"{method} {path}: {response.status_code}, not 404")
    assert checked >= 3 * 80
    sweep.check()


# (b) bad values in every field ---------------------------------------------------------


def _sweep_fields(app, sweep, world, value: str, *, console: bool, all_at_once: bool):
    """Each route: each name it reads with realistic values set to ``value`` in
    turn; then, with ``all_at_once``, every field name at once (and, in turn,
    any name only that made the route read)."""
    for rule in rules(app, console=console):
        path = build(rule, world["values"])
        for method in methods(rule):
            if method == "GET" and len(value) > QUERY_STRING_MAX:
                continue
            read = _names_read(sweep, method, path, world)
            everything = FIELDS | set(_SHORT_NAMES)
            read &= everything
            # One body with every field stays under half a megabyte (the
            # megabyte value goes one field at a time).
            everything_value = value if len(value) * len(everything) < 500_000 else "x" * 2000
            for name in sorted(read):
                sweep.send(method, path, {**_good(world), name: value}, f"{name}={value[:20]!r}")
            if not all_at_once:
                continue
            sweep.send(method, path, dict.fromkeys(everything, everything_value), "all fields")
            for name in sorted((set(_READS) & everything) - read):
                sweep.send(method, path, {**_good(world), name: value}, f"{name}={value[:20]!r}")


# (method, path, who) → the names a request with realistic values reads. The
# same for every bad value, so each value group after the first skips it.
_NAMES_READ: dict[tuple, set[str]] = {}


def _names_read(sweep, method: str, path: str, world) -> set[str]:
    """Twice: the first request may teach the names of a prefixed form, and
    the second, with them filled in, gets past it to whatever the view reads next."""
    key = (method, path, sweep.who)
    if key not in _NAMES_READ:
        sweep.send(method, path, _good(world), "realistic values")
        names = set(_READS)
        sweep.send(method, path, _good(world), "realistic values")
        _NAMES_READ[key] = names | _READS
    return _NAMES_READ[key]


def _good(world) -> dict:
    good = realistic(world)
    return good | {name: good[short] for name, short in _SHORT_NAMES.items() if short in good}


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_values_in_every_field(app, client, auth, world, monkeypatch, value):
    """A plain resident on the public and account routes, then an admin who is
    also staff of the sites on every route: no 5xx, whatever the field holds.

    The resident goes first (the admin's sweep ends by deleting things), and
    only field by field: the admin's all-at-once request covers the same
    public routes.
    """
    recording(app, monkeypatch)
    sweep = Sweep(client, f"{value[:20]!r}")
    sweep.who = "resident"
    _log_in(auth, world["resident"])
    _sweep_fields(app, sweep, world, value, console=False, all_at_once=False)
    auth.logout()
    sweep.who = "admin"
    _log_in(auth, world["admin"])
    _sweep_fields(app, sweep, world, value, console=True, all_at_once=True)
    sweep.check()


def test_each_field_alone(app, client, auth, world, monkeypatch):
    """A post that carries one field and leaves out its siblings (a script, an
    old form) is refused like any other, not a 500 on the missing ones."""
    recording(app, monkeypatch)
    sweep = Sweep(client, "one field alone")
    for who in ("resident", "admin"):
        sweep.who = who
        _log_in(auth, world[who])
        for rule in rules(app, console=who == "admin"):
            path = build(rule, world["values"])
            for method in methods(rule):
                good = _good(world)
                for name in sorted(_names_read(sweep, method, path, world) & set(good)):
                    sweep.send(method, path, {name: good[name]}, f"only {name}")
        auth.logout()
    sweep.check()


# Each fix, at its cause ------------------------------------------------------------


def test_id_pattern_takes_exactly_one_to_the_limit():
    for limit in (1, 9, 10, 99, 100, 250, 1000, 2147, 30487):
        pattern = re.compile(numbers_up_to(limit))
        taken = {n for n in range(limit * 3 + 20) if pattern.fullmatch(str(n))}
        assert taken == set(range(1, limit + 1)), limit
    pattern = re.compile(numbers_up_to(MAX_ID))
    assert pattern.fullmatch(str(2**31 - 1)) and not pattern.fullmatch(str(2**31))
    for text in ("01", "0", "١٢", "１２", "+1", "-1", "1_0"):
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), (" 42 ", 42), (str(2**31 - 1), 2**31 - 1), (str(2**31), None), ("0", None),
     ("-3", None), ("+3", None), ("1_0", None), ("１２", None), ("١٢", None), ("", None),
     (None, None), ("99999999999999999999", None), ("1e3", None)],
)  # fmt: skip
def test_positive_int_reads_ascii_ids_only(text, expected):
    assert positive_int(text) == expected


# One world for each of these, the cases in a loop: a database per case would
# make this file twice as slow on PostgreSQL.


def test_object_urls_beyond_the_ids_are_404(client, world):
    for path in ("/sites/99999999999999999999", "/sites/2147483648", "/sites/١٢", "/sites/01",
                 "/teams/99999999999999999999", "/activities/9223372036854775808"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404 and "找不到这个页面" in response.text, path


def test_the_largest_id_still_reaches_the_view(client, world):
    assert client.get(f"/sites/{2**31 - 1}").status_code == 404  # looked up, not there
    assert client.get(f"/sites/{world['values']['site_id']}").status_code == 200


def test_parse_day_window(app):
    today = date(2026, 11, 23)
    assert parse_day("", today) is None and parse_day(None, today) is None
    assert parse_day("2026-11-23", today) == today
    assert parse_day(" 2000-01-01 ", today) == EARLIEST_DAY
    assert parse_day("2031-11-23", today) == latest_day(today) == date(2031, 11, 23)
    assert latest_day(date(2028, 2, 29)) == date(2033, 2, 28)
    for text in ("1999-12-31", "2031-11-24", "0001-01-01", "9999-12-31"):
        with pytest.raises(DayRefused, match="2000-01-01"):
            parse_day(text, today)
    for text in ("2026-13-45", "２０２６-11-23", "20261123", "2026-W48-1", "NaN", "x" * 5000):
        with pytest.raises(DayRefused, match="2026-11-23"):
            parse_day(text, today)


def test_staff_day_list_shows_today_with_a_message(client, auth, world):
    auth.login(world["admin"])
    path = f"/staff/sites/{world['values']['site_id']}/bookings"
    for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2026-13-45"):
        response = client.get(path, query_string={"date": day})
        assert response.status_code == 200, day
        assert 'class="flash flash-error"' in response.text, day
        assert f'date={(TODAY + timedelta(days=1)).isoformat()}"' in response.text  # today's


def test_audit_log_day_outside_the_window_is_dropped_with_a_message(client, auth, world):
    auth.login(world["admin"])
    for day in ("0001-01-01", "9999-12-31"):
        for headers in ({}, {"HX-Request": "true", "HX-Target": "audit-results"}):
            response = client.get("/admin/audit", query_string={"date": day}, headers=headers)
            assert response.status_code == 200, (day, headers)
            assert 'class="flash flash-error"' in response.text and "2000-01-01" in response.text


def test_exports_refuse_days_outside_the_window(client, auth, world):
    auth.login(world["admin"])
    exports = {
        "/admin/export/volunteer-hours.csv": {},
        "/admin/export/bookings.csv": {"site": world["values"]["site_id"]},
    }
    for period, message in (
        ({"from": "0001-01-01", "to": "2026-11-23"}, "2000-01-01"),
        ({"from": "2026-11-01", "to": "9999-12-31"}, "2000-01-01"),
        ({"from": "", "to": "2026-11-23"}, "请选择起止日期"),
    ):
        for path, extra in exports.items():
            response = client.get(path, query_string={**period, **extra})
            assert response.status_code == 422 and message in response.text, (path, period)
            assert response.mimetype == "text/html"


def test_publicity_dates_outside_the_window_change_nothing(client, auth, world):
    center = db.session.get(Site, world["values"]["site_id"])
    project = f.project(center, "filed", filing_number="东备-window", filed_on=TODAY)
    db.session.commit()
    auth.login(world["admin"])
    path = f"/staff/sites/{center.id}/volunteering/projects/{project.id}/publicity"
    for day in ("0001-01-01", "9999-12-31"):
        response = client.post(path, data=f.prefixed(
            "publicity", {"starts_on": TODAY.isoformat(), "ends_on": day}))  # fmt: skip
        assert response.status_code == 422 and "2000-01-01" in response.text
        db.session.rollback()
        assert db.session.get(Project, project.id).status == "filed"


def test_roster_refuses_hours_that_are_not_hours(client, auth, world, freeze):
    freeze(ACTIVITY_RUNNING)  # hours are credited once the activity has started
    auth.login(world["admin"])
    ids = world["values"]
    path = f"/activities/{ids['activity_id']}/roster/{ids['signup_id']}"
    for hours in ("NaN", "nan", "sNaN", "inf", "-Infinity", "1e999", "-0", "0", "١٢", "１２",
                  "2_0", "25", "1.255", "+2"):  # fmt: skip
        response = client.post(path, data={"attended": "1", "hours": hours, "reason": "提前离开"})
        assert response.status_code == 422, hours
        assert "时长必须大于 0，最多 24 小时" in response.text, hours
        db.session.rollback()
        assert db.session.get(Signup, ids["signup_id"]).status == "signed_up"
        assert db.session.scalar(select(func.count(PointsEntry.id))) == 1  # the factory's 100
    # Left blank: the scheduled hours.
    response = client.post(path, data={"attended": "1", "hours": " ", "reason": ""})
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.get(Signup, ids["signup_id"]).hours_credited == Decimal(2)


def test_roster_reason_over_its_column_is_refused_on_every_database(client, auth, world, freeze):
    freeze(ACTIVITY_RUNNING)
    auth.login(world["admin"])
    ids = world["values"]
    path = f"/activities/{ids['activity_id']}/roster/{ids['signup_id']}"
    response = client.post(path, data={"attended": "1", "hours": "1.5", "reason": "长" * 201})
    assert response.status_code == 422 and "原因请不要超过 200 个字" in response.text
    db.session.rollback()
    assert db.session.get(Signup, ids["signup_id"]).status == "signed_up"
    response = client.post(path, data={"attended": "1", "hours": "1.5", "reason": "长" * 200})
    assert response.status_code == 303
    db.session.rollback()
    signup = db.session.get(Signup, ids["signup_id"])
    assert signup.status == "attended" and signup.credit_reason == "长" * 200


def test_mark_attendance_refuses_nan_from_any_caller(app, world):
    for hours in (Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")):
        with pytest.raises(common.VolunteerError) as refused:
            signups.mark_attendance(world["values"]["signup_id"], True, world["admin"],
                                              hours, "原因")  # fmt: skip
        assert refused.value.reason == "hours"


def test_search_boxes_drop_control_characters(client, auth, world):
    queries = ("\x00", "a\x00b", "东方\x00中心", "\t东方\n")
    for q in queries:
        response = client.get("/sites", query_string={"q": q})
        assert response.status_code == 200, repr(q)
        assert "东方" not in q or "东方中心" in response.text, repr(q)
    auth.login(world["admin"])
    for q in queries:
        assert client.get("/admin/users", query_string={"q": q}).status_code == 200, repr(q)


def test_search_text():
    assert search_text("东方\x00中心", 100) == "东方中心"
    assert search_text(" a\tb\n\x7f c ", 100) == "a b c"
    assert search_text("x" * 1_000_000, 40) == "x" * 40
    assert search_text(None, 10) == ""


def test_a_nul_byte_anywhere_else_is_refused_and_changes_nothing(client, auth, world):
    auth.login(world["admin"])
    site_id = world["values"]["site_id"]
    response = client.post(
        f"/staff/sites/{site_id}", data={"status": "closed", "reason": "停\x00电"}
    )
    assert response.status_code == 400
    assert "Something in that request" not in response.text  # localized (zh)
    assert "NUL" in response.text
    db.session.rollback()
    assert db.session.get(Site, site_id).status == "open"
    for path in ("/verify/ab%00cd", f"/staff/sites/{site_id}/bookings?date=2026-11-23%00"):
        assert client.get(path).status_code == 400, path
    response = client.get("/projects", headers={"HX-Request": "true"}, query_string={"x": "\x00"})
    assert response.status_code == 400 and "<html" not in response.text  # htmx gets the message


# The largest body ---------------------------------------------------------------------


def test_max_content_length_fits_the_csv_import(app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert sites_csv.MAX_BYTES + 16 * 1024 <= limit <= sites_csv.MAX_BYTES + 1024 * 1024


def test_a_file_just_over_the_import_limit_still_gets_the_import_message(client, auth, world):
    """The body limit leaves room for the import's own, more helpful refusal."""
    auth.login(world["admin"])
    upload = (io.BytesIO(b"a" * (sites_csv.MAX_BYTES + 1)), "sites.csv")
    response = client.post(
        "/admin/import", data={"file": upload}, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "文件超过 8 MB，请拆成几个文件" in response.text


def test_a_login_over_the_limit_gets_413_and_logs_no_one_in(app, client, world):
    limit = app.config["MAX_CONTENT_LENGTH"]
    mobile = world["resident"].mobile
    body = f"mobile={mobile}&password={f.PASSWORD}&pad=".encode()
    body += b"x" * (limit + 1 - len(body))
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "一次发送的内容太多了" in response.text and "每次最多发送 8 MB" in response.text
    assert client.get("/me").status_code == 302


def test_an_import_over_the_limit_gets_413_and_imports_nothing(app, client, auth, world):
    limit = app.config["MAX_CONTENT_LENGTH"]
    auth.login(world["admin"])
    sites_before = db.session.scalar(select(func.count(Site.id)))
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
    head = (
        b"--sweep\r\n"
        b'Content-Disposition: form-data; name="file"; filename="sites.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )
    tail = b"\r\n--sweep--\r\n"
    body = head + b"x" * (limit + 1 - len(head) - len(tail)) + tail
    assert len(body) == limit + 1
    response = client.post(
        "/admin/import", data=body, content_type="multipart/form-data; boundary=sweep"
    )
    assert response.status_code == 413
    assert "一次发送的内容太多了" in response.text and "没有保存任何内容" in response.text
    db.session.rollback()
    assert db.session.scalar(select(func.count(Site.id))) == sites_before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before


def test_one_field_over_the_form_memory_limit_gets_413(client, world):
    response = client.post(
        "/login",
        data={"mobile": "x" * 1_000_000, "password": "x"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "文字太长" in response.text
