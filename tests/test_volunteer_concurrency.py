"""Activity places, mall stock and points balances under real parallel requests:
two app workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Activity, MallItem, PointsEntry, Redemption, Signup
from app.volunteers.points import balance

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

VOLUNTEERS = 50
PLACES = 6
CHECKED_IN = 20
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute"}


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = f.site(name="东方中心")
        team = f.team(site)
        activity = f.activity(site, clock.now() + timedelta(days=2), places=PLACES, team_obj=team)
        scarce = f.mall_item(site, cost=5, stock=3, name="大米")
        plenty = f.mall_item(site, cost=10, stock=100, name="毛巾")
        vols = [f.volunteer(f"志愿者{i}") for i in range(VOLUNTEERS)]
        for vol in vols[:20]:
            f.points(vol, 5, "earned")  # enough for one bag of rice each
        f.points(vols[20], 25, "earned")  # enough for two towels, not three
        # Two hours that ended half an hour ago; twenty volunteers checked in at the start.
        ended = f.activity(site, clock.now() - timedelta(hours=2, minutes=30), places=PLACES * 4,
                           team_obj=team, taken=CHECKED_IN)  # fmt: skip
        for vol in vols[30 : 30 + CHECKED_IN]:
            db.session.add(Signup(activity_id=ended.id, user_id=vol.id, status="checked_in",
                                  checked_in_at=ended.starts_at))  # fmt: skip
        db.session.commit()
        ids = {"activity": activity.id, "scarce": scarce.id, "plenty": plenty.id,
               "mobiles": [v.mobile for v in vols], "rich": vols[20].id,
               "ended": ended.id}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def visitors(arena, mobiles):
    return log_in_all(arena["base_url"], mobiles, f.PASSWORD, f"/activities/{arena['activity']}")


def test_fifty_sign_ups_for_six_places(arena):
    everyone = visitors(arena, arena["mobiles"])
    path = f"/activities/{arena['activity']}/signup"
    responses = fire_together([lambda v=v, t=t: v.post(path, {}, t) for v, t in everyone])
    assert {r.status_code for r in responses} == {303}, [r.status_code for r in responses]
    with arena["app"].app_context():
        taken = db.session.scalar(select(Activity.taken).where(Activity.id == arena["activity"]))
        counts = dict(
            db.session.execute(
                select(Signup.status, func.count()).where(Signup.activity_id == arena["activity"])
                .group_by(Signup.status)
            ).all()
        )  # fmt: skip
        db.session.remove()
    assert taken == PLACES
    assert counts == {"signed_up": PLACES, "waitlisted": VOLUNTEERS - PLACES}


def test_twenty_redemptions_against_a_stock_of_three(arena):
    buyers = visitors(arena, arena["mobiles"][:20])
    path = f"/mall/{arena['scarce']}/redeem"
    responses = fire_together([lambda v=v, t=t: v.post(path, {}, t) for v, t in buyers])
    assert {r.status_code for r in responses} == {303}
    with arena["app"].app_context():
        stock = db.session.scalar(select(MallItem.stock).where(MallItem.id == arena["scarce"]))
        made = db.session.scalar(
            select(func.count(Redemption.id)).where(Redemption.item_id == arena["scarce"])
        )
        db.session.remove()
    assert stock == 0 and made == 3


def test_one_volunteer_never_overdraws(arena):
    [(visitor, token)] = visitors(arena, [arena["mobiles"][20]])
    path = f"/mall/{arena['plenty']}/redeem"
    fire_together([lambda: visitor.post(path, {}, token) for _ in range(8)])
    with arena["app"].app_context():
        made = db.session.scalar(
            select(func.count(Redemption.id)).where(Redemption.user_id == arena["rich"])
        )
        left = balance(arena["rich"])
        db.session.remove()
    assert made == 2 and left == 5


def test_twenty_volunteers_checking_out_twice_at_once_are_credited_once_each(arena):
    """Forty check-outs at once (each volunteer taps twice): every volunteer is
    credited the 2 hours once, and the ledger holds exactly their points."""
    crowd = log_in_all(arena["base_url"], arena["mobiles"][30 : 30 + CHECKED_IN], f.PASSWORD,
                       f"/activities/{arena['ended']}")  # fmt: skip
    path = f"/activities/{arena['ended']}/check-out"
    calls = [lambda v=v, t=t: v.post(path, {"code": "123456"}, t) for v, t in crowd for _ in (1, 2)]
    statuses = [r.status_code for r in fire_together(calls)]
    assert sorted(statuses) == [303] * CHECKED_IN + [422] * CHECKED_IN, statuses
    with arena["app"].app_context():
        rows = db.session.execute(
            select(Signup.status, Signup.hours_credited).where(Signup.activity_id == arena["ended"])
        ).all()
        points = db.session.scalar(
            select(func.sum(PointsEntry.points))
            .join(Signup, PointsEntry.signup_id == Signup.id)
            .where(Signup.activity_id == arena["ended"])
        )
        entries = db.session.scalar(
            select(func.count(PointsEntry.id))
            .join(Signup, PointsEntry.signup_id == Signup.id)
            .where(Signup.activity_id == arena["ended"])
        )
        db.session.remove()
    assert sorted(rows) == [("attended", 2)] * CHECKED_IN
    assert (points, entries) == (2 * CHECKED_IN, CHECKED_IN)
