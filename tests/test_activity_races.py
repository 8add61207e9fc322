"""Activities staff run, under real parallel requests: a live gunicorn server with
two workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Twenty volunteers sign up while staff lower or raise the places: the places
taken always equal the volunteers signed up, never more than the places, and
the waiting list moves up first come, first served. A cancel or a new series
sent twice (a double tap) makes one. Never a 500.

The server runs on the real clock, so the activities are two days from now.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Activity, ActivityChange, ActivitySeries, AuditEntry, Signup

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

VOLUNTEERS = 20
LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}


@pytest.fixture(scope="module")
def rink(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    later = clock.now().replace(microsecond=0) + timedelta(days=2)
    with app.app_context():
        site = f.site(name="东方中心")
        staff = [f.user(f"站长{i}", staff_of=(site,)) for i in range(2)]
        team = f.team(site, "四季歌志愿服务队")
        volunteers = [f.volunteer(f"志愿者{i}") for i in range(VOLUNTEERS)]
        ids = {"site": site.id, "team": team.id}
        for name, places in (("lower", 30), ("raise", 5), ("cancel", 4)):
            ids[name] = f.activity(site, later, places=places, team_obj=team, title=name).id
        db.session.commit()
        ids["staff"] = [s.mobile for s in staff]
        ids["volunteers"] = [v.mobile for v in volunteers]
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def volunteers(rink):
    page = f"/activities/{rink['lower']}"
    return log_in_all(rink["base_url"], rink["volunteers"], f.PASSWORD, page)


@pytest.fixture(scope="module")
def staff(rink):
    path = f"/staff/sites/{rink['site']}/volunteering/activities"
    return log_in_all(rink["base_url"], rink["staff"], f.PASSWORD, path)


def _places(rink, activity_id: int) -> tuple[int, int, list[tuple[int, str]]]:
    with rink["app"].app_context():
        activity = db.session.get(Activity, activity_id)
        rows = db.session.execute(
            select(Signup.id, Signup.status)
            .where(Signup.activity_id == activity_id)
            .order_by(Signup.id)
        ).all()
        found = activity.places, activity.taken, [tuple(r) for r in rows]
        db.session.remove()
    return found


def _race(rink, volunteers, staff, activity_id: int, places: int):
    signup = f"/activities/{activity_id}/signup"
    change = f"/staff/sites/{rink['site']}/volunteering/activities/{activity_id}/places"
    calls = [lambda v=v, t=t: v.post(signup, {}, t) for v, t in volunteers]
    visitor, token = staff[0]
    calls.insert(VOLUNTEERS // 3, lambda: visitor.post(change, {"places-places": places}, token))
    responses = fire_together(calls)
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    return responses[VOLUNTEERS // 3], [r for i, r in enumerate(responses) if i != VOLUNTEERS // 3]


def test_lowering_the_places_while_twenty_sign_up_never_overfills(rink, volunteers, staff):
    change, signing = _race(rink, volunteers, staff, rink["lower"], 10)
    assert change.status_code in (303, 422), change.status_code
    assert all(r.status_code == 303 for r in signing)
    places, taken, rows = _places(rink, rink["lower"])
    signed = [i for i, s in rows if s == "signed_up"]
    waiting = [i for i, s in rows if s == "waitlisted"]
    assert len(rows) == VOLUNTEERS and taken == len(signed) <= places
    if change.status_code == 303:  # lowered before more than 10 had signed up
        assert (places, taken, len(waiting)) == (10, 10, 10)
        assert max(signed) < min(waiting)
    else:  # refused: more than 10 were already in
        assert places == 30 and taken == VOLUNTEERS and not waiting


def test_raising_the_places_while_twenty_sign_up_moves_the_queue_in_order(rink, volunteers, staff):
    change, _signing = _race(rink, volunteers, staff, rink["raise"], 15)
    assert change.status_code == 303
    places, taken, rows = _places(rink, rink["raise"])
    signed = [i for i, s in rows if s == "signed_up"]
    waiting = [i for i, s in rows if s == "waitlisted"]
    assert (places, taken, len(signed), len(waiting)) == (15, 15, 15, 5)
    assert max(signed) < min(waiting)  # first come, first served
    with rink["app"].app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "activity.places", AuditEntry.target_id == rink["raise"]
            )
        ).all()
        db.session.remove()
    assert len(entries) == 1 and entries[0].after["places"] == 15


def test_a_cancel_sent_twice_cancels_once(rink, staff):
    path = f"/staff/sites/{rink['site']}/volunteering/activities/{rink['cancel']}/cancel"
    visitor, token = staff[1]
    data = {"cancel-reason": "社区停电"}
    responses = fire_together([lambda: visitor.post(path, data, token)] * 2)
    assert sorted(r.status_code for r in responses) == [303, 422]
    with rink["app"].app_context():
        changes = db.session.scalar(
            select(func.count(ActivityChange.id)).where(
                ActivityChange.activity_id == rink["cancel"]
            )
        )
        cancelled = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "activity.cancelled")
        )
        assert db.session.get(Activity, rink["cancel"]).status == "cancelled"
        db.session.remove()
    assert changes == 1 and cancelled == 1


@pytest.mark.parametrize("what", ["series", "activities"])
def test_a_new_series_or_activity_sent_twice_is_made_once(rink, staff, what):
    path = f"/staff/sites/{rink['site']}/volunteering/{what}"
    day = (clock.local() + timedelta(days=3)).date()
    prefix = "series" if what == "series" else "activity"
    data = {
        "title": f"双击的{what}", "project_id": "", "team_id": rink["team"],
        "site_id": rink["site"], "address": "", "category": "safety", "starts": "09:00",
        "ends": "11:00", "places": "6", "deadline_hours": "2", "hours": "", "requirements": "",
        "skills": "", "description": "", "day": day.isoformat(), "weekday": "5",
        "starts_on": day.isoformat(), "weeks": "6",
    }  # fmt: skip
    data = f.prefixed(prefix, data)
    visitor, token = staff[0]
    responses = fire_together([lambda: visitor.post(path, data, token)] * 3)
    assert sorted(r.status_code for r in responses) == [303, 422, 422]
    with rink["app"].app_context():
        made = db.session.scalar(
            select(func.count(Activity.id)).where(Activity.title == f"双击的{what}")
        )
        series = db.session.scalar(
            select(func.count(ActivitySeries.id)).where(ActivitySeries.title == f"双击的{what}")
        )
        db.session.remove()
    assert (made, series) == ((6, 1) if what == "series" else (1, 0))
