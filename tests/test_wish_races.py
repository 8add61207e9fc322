"""Small wishes under real parallel requests: a live gunicorn server with two
workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Twenty volunteers claiming one wish leave one claim; a confirmation tapped
twenty times, or sent by the wisher and the staff at once, fulfils the wish
once and credits the volunteer once. Requests are fired together (a barrier),
then the database is read.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import Notification, PointsEntry, Wish

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}
VOLUNTEERS = 20


def _wish(community_id, wisher_id, what, status="open", claimed_by_id=None):
    wish = Wish(community_id=community_id, wisher_id=wisher_id, what=what, for_name="王奶奶",
                place="3号楼", due_on=clock.today() + timedelta(days=5), status=status,
                claimed_unit="", claimed_by_id=claimed_by_id,
                claimed_at=clock.now() if claimed_by_id else None)  # fmt: skip
    db.session.add(wish)
    db.session.flush()
    return wish.id


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        center = f.site(name="东方中心")
        community_id = center.community_id
        wisher = f.user("王阿姨")
        staff = f.user("社工", staff_of=(center,))
        volunteers = [f.volunteer(f"志愿者{i}") for i in range(VOLUNTEERS)]
        claimer = volunteers[0]
        ids = {
            "raced": _wish(community_id, wisher.id, "一副老花镜"),
            "tapped": _wish(community_id, wisher.id, "陪我下棋", "claimed", claimer.id),
            "both": _wish(community_id, wisher.id, "一台收音机", "claimed", claimer.id),
            "withdrawn": _wish(community_id, wisher.id, "一本字典"),
        }
        db.session.commit()
        arena = {"wisher": wisher.mobile, "staff": staff.mobile, "claimer": claimer.id,
                 "volunteers": [v.mobile for v in volunteers], "community": community_id,
                 **ids}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **arena}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobile: str, path: str) -> tuple[Visitor, str]:
    visitor = Visitor(arena["base_url"])
    visitor.login(mobile, f.PASSWORD)
    return visitor, visitor.token(path)


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


def test_twenty_volunteers_claiming_one_wish_leave_one_claim(arena):
    path = f"/wishes/{arena['raced']}"
    calls = []
    for mobile in arena["volunteers"]:
        visitor, token = logged_in(arena, mobile, path)
        calls.append(lambda v=visitor, t=token: v.post(path + "/claim", {}, t))
    responses = fire_together(calls)
    assert set(statuses(responses)) == {303}

    def outcome(session):
        wish = session.get(Wish, arena["raced"])
        # One claim committed: the wisher was told once.
        told = session.scalars(
            select(Notification.params).where(Notification.kind == "wish_claimed")
        ).all()
        return wish.status, wish.claimed_by_id, [p["what"] for p in told]

    status, claimed_by, told = read(arena, outcome)
    assert status == "claimed" and claimed_by is not None
    assert told.count("一副老花镜") == 1
    # Each went back to the wish, told how it went (one thanked, 19 told it is taken).
    assert all(r.headers["Location"] == path for r in responses)


def test_a_confirmation_tapped_twenty_times_credits_once(arena):
    path = f"/wishes/{arena['tapped']}"
    visitor, token = logged_in(arena, arena["wisher"], path)
    responses = fire_together(
        [lambda v=copy: v.post(path + "/fulfilled", {}, token) for copy in taps(visitor, 20)]
    )
    assert set(statuses(responses)) == {303}

    def outcome(session):
        wish = session.get(Wish, arena["tapped"])
        ledger = session.scalars(
            select(PointsEntry.points).where(
                PointsEntry.user_id == arena["claimer"], PointsEntry.reason == "微心愿：陪我下棋"
            )  # fmt: skip
        ).all()
        thanked = session.scalars(
            select(Notification.params).where(Notification.kind == "wish_fulfilled")
        ).all()
        return wish.status, wish.credited_points, ledger, [p["what"] for p in thanked]

    status, points, ledger, thanked = read(arena, outcome)
    assert (status, points, ledger) == ("fulfilled", 10, [10])
    assert thanked.count("陪我下棋") == 1


def test_the_wisher_and_the_staff_confirming_at_once_credit_once(arena):
    wish_path = f"/wishes/{arena['both']}/fulfilled"
    staff_path = f"/staff/communities/{arena['community']}/wishes/{arena['both']}/confirm"
    wisher, wisher_token = logged_in(arena, arena["wisher"], f"/wishes/{arena['both']}")
    staff, staff_token = logged_in(arena, arena["staff"], staff_path.rsplit("/", 2)[0])
    calls = [lambda v=c: v.post(wish_path, {}, wisher_token) for c in taps(wisher, 5)]
    calls += [lambda v=c: v.post(staff_path, {}, staff_token) for c in taps(staff, 5)]
    assert set(statuses(fire_together(calls))) == {303}

    def outcome(session):
        ledger = session.scalars(
            select(PointsEntry.points).where(PointsEntry.reason == "微心愿：一台收音机")
        ).all()
        return session.get(Wish, arena["both"]).status, ledger

    assert read(arena, outcome) == ("fulfilled", [10])


def test_a_withdrawal_racing_ten_claims_ends_withdrawn_and_tells_the_claimant(arena):
    path = f"/wishes/{arena['withdrawn']}"
    calls = []
    for mobile in arena["volunteers"][10:]:
        visitor, token = logged_in(arena, mobile, path)
        calls.append(lambda v=visitor, t=token: v.post(path + "/claim", {}, t))
    wisher, token = logged_in(arena, arena["wisher"], path)
    calls += [lambda v=c: v.post(path + "/withdraw", {}, token) for c in taps(wisher, 3)]
    responses = fire_together(calls)
    assert set(statuses(responses)) == {303}
    # A claim that came after the withdrawal goes back to the wall, told why.
    assert {r.headers["Location"] for r in responses} <= {path, "/wishes"}

    def outcome(session):
        wish = session.get(Wish, arena["withdrawn"])
        told = {
            kind: [p["what"] for p in params]
            for kind in ("wish_claimed", "wish_withdrawn")
            for params in [session.scalars(
                select(Notification.params).where(Notification.kind == kind)).all()]
        }  # fmt: skip
        withdrawn_to = session.scalars(
            select(Notification.user_id).where(Notification.kind == "wish_withdrawn")
        ).all()
        return wish, told, withdrawn_to

    wish, told, withdrawn_to = read(arena, outcome)
    assert wish.status == "withdrawn"
    claims = told["wish_claimed"].count("一本字典")
    assert claims <= 1
    # A volunteer who claimed it before the withdrawal is told it is off; no one else is.
    assert told["wish_withdrawn"].count("一本字典") == claims
    if claims:
        assert wish.claimed_by_id in withdrawn_to
