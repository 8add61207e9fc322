"""Team rules under real parallel requests: two gunicorn workers, one database.

Eight workers of one station create a team of the same name at once: the
name's unique index makes one team, and the seven others read that the name
is taken (422, no 500). Eight name a different leader at once: the team ends
with one leader, the last one named, and the others members.
"""

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Membership, Team

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

PEOPLE = 8
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute"}


@pytest.fixture(scope="module")
def desk(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        station = f.site(kind="station", center=f.site(name="并发中心"), name="并发驿站")
        staff = [f.user(f"社工{i}", staff_of=(station,)).mobile for i in range(PEOPLE)]
        volunteers = [f.volunteer(f"志愿者{i}").mobile for i in range(PEOPLE)]
        team = f.team(station, "并发驿站志愿服务队")
        db.session.commit()
        ids = {"station": station.id, "team": team.id}
        with force_locale("zh"):
            taken = gettext("A team with this name already exists.")
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, "staff": staff, "volunteers": volunteers,
               "taken": taken, **ids}  # fmt: skip
    with app.app_context():
        db.engine.dispose()


def _read(desk, query):
    with desk["app"].app_context():
        try:
            return query()
        finally:
            db.session.remove()


def test_parallel_creators_of_one_name_make_one_team(desk):
    path = f"/staff/sites/{desk['station']}/volunteering/teams"
    visitors = log_in_all(desk["base_url"], desk["staff"], f.PASSWORD, "/staff/")

    def create(i, visitor, token):
        data = f.prefixed("team", {
            "name": "同名“四季歌”服务队", "brand": "四季歌", "slogan": f"第{i}个",
            "description": "", "skills": "", "home_site_id": str(desk["station"]),
        })  # fmt: skip
        return lambda: visitor.post(path, data, token)

    responses = fire_together([create(i, v, t) for i, (v, t) in enumerate(visitors)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] + [422] * (PEOPLE - 1), statuses
    assert all(desk["taken"] in r.text for r in responses if r.status_code == 422)
    teams, created = _read(desk, lambda: (
        db.session.scalar(select(func.count(Team.id)).where(Team.name == "同名“四季歌”服务队")),
        db.session.scalar(select(func.count(AuditEntry.id))
                          .where(AuditEntry.action == "team.created")),
    ))  # fmt: skip
    assert teams == 1 and created == 1


def test_parallel_leaders_named_leave_one_leader(desk):
    path = f"/staff/sites/{desk['station']}/volunteering/teams/{desk['team']}/roles"
    visitors = log_in_all(desk["base_url"], desk["staff"], f.PASSWORD, "/staff/")

    def name(i, visitor, token):
        data = f.prefixed("role", {"mobile": desk["volunteers"][i], "role": "leader"})
        return lambda: visitor.post(path, data, token)

    responses = fire_together([name(i, v, t) for i, (v, t) in enumerate(visitors)])
    assert sorted(r.status_code for r in responses) == [303] * PEOPLE
    statuses = _read(desk, lambda: sorted(db.session.scalars(
        select(Membership.status).where(Membership.team_id == desk["team"])
    ).all()))  # fmt: skip
    assert statuses == ["leader"] + ["member"] * (PEOPLE - 1), statuses
    changes = _read(desk, lambda: db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "team.role_changed")
    ))  # fmt: skip
    # Each naming: the new leader, and (after the first) the one replaced.
    assert changes == PEOPLE + (PEOPLE - 1)
