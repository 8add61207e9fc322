"""Residents' requests under real parallel requests: a live gunicorn server
with two workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Two grid workers tapping "accept" on one request at once leave one
acceptance; one worker's double tap makes one step; 20 "me too" taps by one
resident count once, and 10 residents' taps count ten. No answer is a 5xx.
"""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Grid, GridScope, Notification, RequestStep, RequestSupport, ResidentRequest
from app.requests import service

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}
NEIGHBOURS = 10


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        community = f.community(name="东方社区")
        f.site(community, name="东方中心")
        grid = Grid(community_id=community.id, name="第一网格", level=1)
        db.session.add(grid)
        db.session.flush()
        workers = [f.user("刘网格"), f.user("赵网格")]
        for worker in workers:
            db.session.add(GridScope(user_id=worker.id, grid_id=grid.id))
        resident = f.user("王阿姨")
        neighbours = [f.user(f"邻居{i}") for i in range(NEIGHBOURS)]
        db.session.commit()
        requests = []
        for n in range(3):
            req = service.report(
                None, category="repairs", text=f"路灯坏了{n}", place_kind="location",
                public=True, community_id=community.id, grid_id=grid.id,
                logged_by=workers[0], resident_mobile=resident.mobile, resident_name="王阿姨",
            )  # fmt: skip
            requests.append(req.id)
        ids = {"workers": [w.mobile for w in workers], "requests": requests,
               "neighbours": [n.mobile for n in neighbours]}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobile: str, path: str) -> tuple[Visitor, str]:
    visitor = Visitor(arena["base_url"])
    visitor.login(mobile, f.PASSWORD)
    return visitor, visitor.token(path)


def copies(visitor: Visitor, n: int) -> list[Visitor]:
    """``n`` copies of one logged-in browser: one session, separate connections."""
    out = []
    for _ in range(n):
        copy = Visitor(visitor.base_url)
        copy.session.cookies.update(visitor.session.cookies)
        out.append(copy)
    return out


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


def test_two_workers_accepting_at_once_leave_one_acceptance(arena):
    request_id = arena["requests"][0]
    path = f"/staff/requests/{request_id}/move"
    calls = []
    for mobile in arena["workers"]:
        visitor, token = logged_in(arena, mobile, f"/staff/requests/{request_id}")
        for copy in copies(visitor, 10):  # each taps ten times, as a double tap would
            calls.append(lambda v=copy, t=token: v.post(path, {"action": "accept"}, t))
    found = statuses(fire_together(calls))
    assert found.count(303) == 1 and found.count(422) == 19

    def outcome(session):
        status = session.scalar(
            select(ResidentRequest.status).where(ResidentRequest.id == request_id)
        )
        steps = session.scalar(select(func.count(RequestStep.id)).where(
            RequestStep.request_id == request_id, RequestStep.kind == "accept"))  # fmt: skip
        told = session.scalar(select(func.count(Notification.id)).where(
            Notification.kind == "request_accepted"))  # fmt: skip
        return status, steps, told

    assert read(arena, outcome) == ("accepted", 1, 1)


def test_a_double_submit_of_resolve_makes_one_step(arena):
    request_id = arena["requests"][1]
    visitor, token = logged_in(arena, arena["workers"][1], f"/staff/requests/{request_id}")
    path = f"/staff/requests/{request_id}/move"
    assert visitor.post(path, {"action": "accept"}, token).status_code == 303
    double = [lambda v=c: v.post(path, {"action": "resolve", "note": "已修好"}, token)
              for c in copies(visitor, 2)]  # fmt: skip
    assert sorted(statuses(fire_together(double))) == [303, 422]

    def steps(session):
        return session.scalars(
            select(RequestStep.kind)
            .where(RequestStep.request_id == request_id)
            .order_by(RequestStep.id)
        ).all()

    assert read(arena, steps) == ["report", "accept", "resolve"]


def test_twenty_me_too_taps_by_one_resident_count_once(arena):
    request_id = arena["requests"][2]
    visitor, token = logged_in(arena, arena["neighbours"][0], f"/requests/{request_id}")
    path = f"/requests/{request_id}/me-too"
    found = statuses(fire_together([lambda v=c: v.post(path, {}, token)
                                    for c in copies(visitor, 20)]))  # fmt: skip
    assert set(found) == {303}
    calls = []
    for mobile in arena["neighbours"][1:]:
        other, other_token = logged_in(arena, mobile, f"/requests/{request_id}")
        calls.append(lambda v=other, t=other_token: v.post(path, {}, t))
    assert set(statuses(fire_together(calls))) == {303}

    def outcome(session):
        count = session.scalar(
            select(ResidentRequest.me_too).where(ResidentRequest.id == request_id)
        )
        rows = session.scalar(
            select(func.count(RequestSupport.id)).where(RequestSupport.request_id == request_id)
        )
        return count, rows

    assert read(arena, outcome) == (NEIGHBOURS, NEIGHBOURS)
