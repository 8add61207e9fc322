"""The love mall and points under real parallel requests: a live gunicorn server
with two workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Requests are fired together (a barrier), then the database is read: the
per-person limit, the stock and every balance hold, and a form sent twice
makes one change. Exchanges and restocks here are sent without the form's
``seen`` mark, as a script would, so the limits themselves are what holds;
the double submits carry it, as the pages do.
"""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, MallItem, PointsEntry, Redemption, Upload
from app.volunteers.points import balance

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}
BUYERS = 15


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = f.site(name="东方中心")
        staff = [f.user("站长甲", staff_of=(site,)), f.user("站长乙", staff_of=(site,))]
        limited = f.mall_item(site, cost=1, stock=50, name="限购大米")
        limited.per_person_limit = 2
        raced = f.mall_item(site, cost=1, stock=5, name="抢购毛巾")
        double = f.mall_item(site, cost=5, stock=10, name="雨伞")
        greedy = f.volunteer("多买的人")
        f.points(greedy, 100, "earned")
        buyers = [f.volunteer(f"买家{i}") for i in range(BUYERS)]
        for buyer in buyers:
            f.points(buyer, 1, "earned")
        poor = f.volunteer("余额少的人")
        f.points(poor, 12, "earned")
        twice = f.volunteer("点两次的人")
        f.points(twice, 100, "earned")
        # Each is one of the center's volunteers: an exchange there, picked up.
        for person in (poor, twice):
            db.session.add(Redemption(item_id=double.id, user_id=person.id, points=0,
                                      code=f"{person.id:08d}", status="picked_up"))  # fmt: skip
        db.session.commit()
        ids = {
            "site": site.id, "staff": [s.mobile for s in staff], "limited": limited.id,
            "raced": raced.id, "double": double.id, "greedy": (greedy.id, greedy.mobile),
            "buyers": [b.mobile for b in buyers], "poor": poor.id,
            "twice": (twice.id, twice.mobile),
        }  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobile: str, path: str = "/") -> tuple[Visitor, str]:
    """A browser logged in as ``mobile`` and its CSRF token (once per number)."""
    sessions = arena.setdefault("sessions", {})
    if mobile not in sessions:
        visitor = Visitor(arena["base_url"])
        visitor.login(mobile, f.PASSWORD)
        sessions[mobile] = visitor, visitor.token(path)
    return sessions[mobile]


def taps(visitor: Visitor, n: int) -> list[Visitor]:
    """``n`` copies of one logged-in browser: one session, separate connections."""
    copies = []
    for _ in range(n):
        copy = Visitor(visitor.base_url)
        copy.session.cookies.update(visitor.session.cookies)
        copies.append(copy)
    return copies


def read(arena, query):
    with arena["app"].app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()


def statuses(responses) -> list[int]:
    found = [r.status_code for r in responses]
    assert all(status < 500 for status in found), found
    return found


def mark(visitor: Visitor, path: str, name: str) -> str:
    page = visitor.session.get(visitor.base_url + path, timeout=30).text
    return re.search(rf'name="{name}"(?: type="hidden")? value="(\d+)"', page).group(1)


def staff_path(arena, rest: str = "") -> str:
    return f"/staff/sites/{arena['site']}/volunteering/{rest}"


# The per-person limit ------------------------------------------------------------


def test_twenty_exchanges_against_a_limit_of_two_make_two(arena):
    user_id, mobile = arena["greedy"]
    visitor, token = logged_in(arena, mobile, "/mall")
    path = f"/mall/{arena['limited']}/redeem"
    responses = fire_together([lambda v=v: v.post(path, {}, token) for v in taps(visitor, 20)])
    assert set(statuses(responses)) == {303}

    def outcome(session):
        made = session.scalars(
            select(Redemption.points).where(Redemption.item_id == arena["limited"])
        ).all()
        stock = session.scalar(select(MallItem.stock).where(MallItem.id == arena["limited"]))
        return made, stock, balance(user_id)

    assert read(arena, outcome) == ([1, 1], 48, 98)
    kept = [r for r in responses if r.headers["Location"].startswith("/me/volunteer")]
    assert len(kept) == 2  # the other 18 went back to the mall, told why


# Restocks racing exchanges ----------------------------------------------------------


def test_restocks_racing_exchanges_keep_the_stock_exact(arena):
    calls = []
    for mobile in arena["buyers"]:
        visitor, token = logged_in(arena, mobile, "/mall")
        path = f"/mall/{arena['raced']}/redeem"
        calls.append(lambda v=visitor, t=token, p=path: v.post(p, {}, t))
    restock = staff_path(arena, f"mall/{arena['raced']}/restock")
    for mobile in arena["staff"]:
        visitor, token = logged_in(arena, mobile, staff_path(arena, "mall"))
        for copy in taps(visitor, 5):
            calls.append(lambda v=copy, t=token: v.post(restock, {"restock-added": "2"}, t))
    responses = fire_together(calls)
    assert set(statuses(responses)) == {303}

    def outcome(session):
        stock = session.scalar(select(MallItem.stock).where(MallItem.id == arena["raced"]))
        made = session.scalar(
            select(func.count(Redemption.id)).where(Redemption.item_id == arena["raced"])
        )
        restocks = session.execute(
            select(AuditEntry.before, AuditEntry.after).where(
                AuditEntry.action == "mall.restocked", AuditEntry.target_id == arena["raced"]
            )
        ).all()
        spent = session.scalar(
            select(func.count(PointsEntry.id)).where(
                PointsEntry.kind == "spent",
                PointsEntry.redemption_id.in_(
                    select(Redemption.id).where(Redemption.item_id == arena["raced"])
                ),
            )
        )
        return stock, made, restocks, spent

    stock, made, restocks, spent = read(arena, outcome)
    assert len(restocks) == 10
    # Each restock added two to the stock as it was at that moment, under its lock.
    assert all(after == {"stock": before["stock"] + 2, "added": 2} for before, after in restocks)
    assert made == spent and made >= 5  # the first five always found stock
    assert stock == 5 + 2 * len(restocks) - made >= 0


# Adjustments taking points away -------------------------------------------------------


def test_twenty_adjustments_taking_points_away_never_go_below_zero(arena):
    path = staff_path(arena, "points")
    calls = []
    for n in range(20):
        visitor, token = logged_in(arena, arena["staff"][n % 2], path)
        [copy] = taps(visitor, 1)
        data = {"adjust-volunteer": arena["poor"], "adjust-direction": "take",
                "adjust-amount": "5", "adjust-reason": f"纠错 {n}"}  # fmt: skip
        calls.append(lambda v=copy, t=token, d=data: v.post(path, d, t))
    found = statuses(fire_together(calls))
    assert sorted(found) == [303] * 2 + [422] * 18, found

    def outcome(session):
        taken = session.scalars(
            select(PointsEntry.points).where(
                PointsEntry.user_id == arena["poor"], PointsEntry.kind == "adjusted"
            )
        ).all()
        audits = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "points.adjusted", AuditEntry.target_id == arena["poor"]
            )
        )
        return taken, audits, balance(arena["poor"])

    assert read(arena, outcome) == ([-5, -5], 2, 2)


# A form sent twice makes one change ---------------------------------------------------


def twice(visitor: Visitor, token: str, path: str, data: dict, files: dict | None = None):
    """The same form sent twice at once (a double tap), with its files if any."""

    def send(copy):
        upload = {k: (name, io.BytesIO(body), kind) for k, (name, body, kind) in files.items()}
        return copy.session.post(
            copy.base_url + path, data={**data, "csrf_token": token}, files=upload or None,
            allow_redirects=False, timeout=60,
        )  # fmt: skip

    files = files or {}
    return statuses(fire_together([lambda c=c: send(c) for c in taps(visitor, 2)]))


def test_an_exchange_sent_twice_makes_one(arena):
    user_id, mobile = arena["twice"]
    visitor, token = logged_in(arena, mobile, "/mall")
    seen = mark(visitor, "/mall", "seen")
    found = twice(visitor, token, f"/mall/{arena['double']}/redeem", {"seen": seen})
    assert found == [303, 303]

    def outcome(session):
        made = session.scalar(
            select(func.count(Redemption.id)).where(
                Redemption.user_id == user_id, Redemption.status == "reserved"
            )
        )
        return made, balance(user_id)

    assert read(arena, outcome) == (1, 95)


def test_a_restock_sent_twice_adds_once(arena):
    visitor, token = logged_in(arena, arena["staff"][0], staff_path(arena, "mall"))
    page = staff_path(arena, f"mall/{arena['double']}")
    seen = mark(visitor, page, "restock-seen")
    before = read(arena, lambda s: s.get(MallItem, arena["double"]).stock)
    data = {"restock-added": "７", "restock-seen": seen}
    assert twice(visitor, token, f"{page}/restock", data) == [303, 303]
    assert read(arena, lambda s: s.get(MallItem, arena["double"]).stock) == before + 7


def test_an_adjustment_sent_twice_is_one_entry(arena):
    user_id, _mobile = arena["twice"]
    visitor, token = logged_in(arena, arena["staff"][1], staff_path(arena, "points"))
    seen = mark(visitor, staff_path(arena, f"points?volunteer={user_id}"), "adjust-seen")
    before = read(arena, lambda s: balance(user_id))
    data = {"adjust-volunteer": user_id, "adjust-direction": "add", "adjust-amount": "3",
            "adjust-reason": "表彰", "adjust-seen": seen}  # fmt: skip
    assert twice(visitor, token, staff_path(arena, "points"), data) == [303, 303]
    assert read(arena, lambda s: balance(user_id)) == before + 3


def test_an_item_added_twice_is_one_item(arena):
    visitor, token = logged_in(arena, arena["staff"][0], staff_path(arena, "mall"))
    seen = mark(visitor, staff_path(arena, "mall"), "item-seen")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "green").save(out, "PNG")
    data = {"item-name": "保温杯", "item-description": "", "item-site": arena["site"],
            "item-points_cost": "35", "item-stock": "4", "item-seen": seen}  # fmt: skip
    files = {"item-photo": ("cup.png", out.getvalue(), "image/png")}
    assert twice(visitor, token, staff_path(arena, "mall"), data, files) == [303, 303]

    def outcome(session):
        items = session.scalar(select(func.count(MallItem.id)).where(MallItem.name == "保温杯"))
        photos = session.scalar(select(func.count(Upload.id)))
        return items, photos

    assert read(arena, outcome) == (1, 1)


@pytest.mark.parametrize(
    ("action", "data", "audited"),
    [("price", {"price-points_cost": "6"}, "mall.price_changed"),
     ("active", {"state-active": "0"}, "mall.item_active")],
)  # fmt: skip
def test_a_price_or_a_retirement_sent_twice_is_one_change(arena, action, data, audited):
    visitor, token = logged_in(arena, arena["staff"][1], staff_path(arena, "mall"))
    path = staff_path(arena, f"mall/{arena['limited']}/{action}")
    assert twice(visitor, token, path, data) == [303, 303]
    entries = read(
        arena,
        lambda s: s.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == audited, AuditEntry.target_id == arena["limited"]
            )
        ),
    )
    assert entries == 1
