"""Grids under real parallel requests: a live gunicorn server with two workers on
one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

A double (or tenfold) submit of a new grid, a compound, a grid worker or a
resident's home makes one row; the others are refused with a message, never
a 500.
"""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Compound, Grid, GridScope, Home

from . import factories as f
from . import grid_factories as gf
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}
TAPS = 10


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        center = f.site(name="东方中心")
        staff = f.user("站长", staff_of=(center,))
        worker = f.user("刘网格")
        resident = f.user("王阿姨")
        top = gf.grid(center.community, "第一网格")
        db.session.commit()
        ids = {
            "community": center.community_id,
            "top": top.id,
            "staff": staff.mobile,
            "worker": worker.mobile,
            "resident": resident.mobile,
            "resident_id": resident.id,
        }
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def taps(arena, mobile: str, path: str) -> tuple[list[Visitor], str]:
    """``TAPS`` copies of one logged-in browser (one session), and its CSRF token."""
    visitor = Visitor(arena["base_url"])
    visitor.login(mobile, f.PASSWORD)
    token = visitor.token(path)
    copies = []
    for _ in range(TAPS):
        copy = Visitor(visitor.base_url)
        copy.session.cookies.update(visitor.session.cookies)
        copies.append(copy)
    return copies, token


def read(arena, query):
    with arena["app"].app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()


def statuses(responses) -> list[int]:
    found = sorted(r.status_code for r in responses)
    assert all(status < 500 for status in found), found
    return found


def test_a_new_grid_submitted_ten_times_is_made_once(arena):
    base = f"/staff/communities/{arena['community']}/grids"
    visitors, token = taps(arena, arena["staff"], base)
    data = {"grid-name": "并发网格", "grid-parent_id": str(arena["top"])}
    responses = fire_together([lambda v=v: v.post(base, data, token) for v in visitors])
    found = statuses(responses)
    assert found.count(303) == 1 and found.count(422) == TAPS - 1
    refused = next(r for r in responses if r.status_code == 422)
    assert "已有名为并发网格的网格" in refused.text

    def outcome(session):
        grids = session.scalar(
            select(func.count()).select_from(Grid).where(Grid.name == "并发网格")
        )
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "grid.created", AuditEntry.summary == "并发网格")
        )
        return grids, audited

    assert read(arena, outcome) == (1, 1)


def test_a_compound_and_a_worker_submitted_together_are_made_once(arena):
    base = f"/staff/communities/{arena['community']}/grids/{arena['top']}"
    visitors, token = taps(arena, arena["staff"], base)
    calls = [
        lambda v=v: v.post(f"{base}/compounds", {"compound-name": "并发小区"}, token)
        for v in visitors[: TAPS // 2]
    ] + [
        lambda v=v: v.post(f"{base}/workers", {"worker-mobile": arena["worker"]}, token)
        for v in visitors[TAPS // 2 :]
    ]
    found = statuses(fire_together(calls))
    assert found.count(303) == 2 and found.count(422) == TAPS - 2

    def outcome(session):
        compounds = session.scalar(
            select(func.count()).select_from(Compound).where(Compound.name == "并发小区")
        )
        workers = session.scalar(
            select(func.count()).select_from(GridScope).where(GridScope.grid_id == arena["top"])
        )
        return compounds, workers

    assert read(arena, outcome) == (1, 1)


def test_a_home_saved_ten_times_is_one_row(arena):
    visitors, token = taps(arena, arena["resident"], "/me/home")
    data = {"community": str(arena["community"]), "grid": str(arena["top"]), "action": "save"}
    responses = fire_together([lambda v=v: v.post("/me/home", data, token) for v in visitors])
    assert set(statuses(responses)) == {303}

    def outcome(session):
        return session.scalars(select(Home.grid_id).where(Home.user_id == arena["resident_id"]))

    assert list(read(arena, lambda s: outcome(s).all())) == [arena["top"]]
