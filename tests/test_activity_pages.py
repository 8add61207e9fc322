"""The pages of activities, through the real request path (the test client).

Staff: the unit's list with "new activity" and "new weekly series", a page
per activity (change, places, cancel) and per series. Residents: /activities
with its filters and "near me", an activity's page, a site's page, and "my
volunteering". Each bad input answers 422 with what was typed and changes
nothing; staff of another site get 403.

Messages that are new in this change are checked by the fields they sit on
(``id="activity-title-error"``), not by their words: their Chinese comes
with the translations.
"""

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Activity, ActivityChange, ActivitySeries, AuditEntry, Signup
from app.volunteers import activities as rules
from app.volunteers import signups

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # a Monday morning
TODAY = NOW.date()
SATURDAY = date(2026, 11, 28)


@pytest.fixture
def town(app, freeze):
    """Two units: 东方 (a center, its station, a team, a project) and 梅园."""
    freeze(NOW)
    district = f.district("浦东新区")
    street = f.street(district, "花木街道")
    community = f.community(street, "锦绣社区")
    center = f.site(community, name="锦绣中心", latitude=31.20, longitude=121.50)
    station = f.site(kind="station", center=center, name="锦绣驿站", latitude=31.21,
                     longitude=121.51)  # fmt: skip
    other_community = f.community(f.street(district, "北蔡街道"), "梅园社区")
    elsewhere = f.site(other_community, name="梅园中心", latitude=31.30, longitude=121.40)
    team = f.team(center, "四季歌服务队")
    project = f.project(center, "running", teams=(team,), category="health_elderly",
                        title="银龄健康讲座")  # fmt: skip
    people = dict(
        staff=f.user("站长", staff_of=(center,)),
        station_staff=f.user("驿站社工", staff_of=(station,)),
        stranger=f.user("梅园社工", staff_of=(elsewhere,)),
        vol=f.volunteer("小王"),
        vol2=f.volunteer("小李"),
        resident=f.user("居民"),
    )
    db.session.commit()
    return dict(district=district, street=street, community=community, center=center,
                station=station, elsewhere=elsewhere, team=team, project=project,
                **people)  # fmt: skip


def base(town) -> str:
    return f"/staff/sites/{town['center'].id}/volunteering"


def counts() -> tuple[int, int, int, int]:
    db.session.rollback()
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Activity, ActivitySeries, ActivityChange, AuditEntry)
    )


def activity_form(town, **changes) -> dict:
    values = {
        "title": "敲门行动", "project_id": str(town["project"].id),
        "team_id": str(town["team"].id), "site_id": str(town["center"].id), "address": "",
        "category": "", "day": SATURDAY.isoformat(), "starts": "0900", "ends": "11:00",
        "places": "6", "deadline_hours": "2", "hours": "", "requirements": "有耐心",
        "skills": "急救", "description": "上门看望独居老人",
    }  # fmt: skip
    return f.prefixed("activity", {**values, **changes})


def series_form(town, **changes) -> dict:
    values = {
        "title": "周六助老", "project_id": str(town["project"].id), "team_id": "",
        "site_id": str(town["center"].id), "address": "", "category": "", "weekday": "5",
        "starts_on": TODAY.isoformat(), "weeks": "8", "starts": "9:00", "ends": "11:00",
        "places": "4", "deadline_hours": "12", "hours": "", "requirements": "", "skills": "",
        "description": "",
    }  # fmt: skip
    return f.prefixed("series", {**values, **changes})


def made(town, **changes) -> Activity:
    """An activity made through the rules (the pages' own are tested on their own)."""
    values = dict(title="敲门行动", project_id=town["project"].id, team_id=town["team"].id,
                  site_id=town["center"].id, skills="急救")  # fmt: skip
    values.update(changes.pop("details", {}))
    activity = rules.create_activity(
        town["center"], rules.Details(**values), places=changes.pop("places", 6),
        day=changes.pop("day", SATURDAY), starts_min=changes.pop("starts", 540),
        ends_min=changes.pop("ends", 660), by=town["staff"],
    )  # fmt: skip
    return activity


# The staff's list ------------------------------------------------------------------------


def test_the_list_shows_the_units_activities_and_both_forms(client, auth, town):
    mine = made(town)
    at_station = made(town, details={"site_id": town["station"].id, "title": "驿站值守"})
    f.activity(town["elsewhere"], NOW + timedelta(days=3), title="梅园的活动",
               team_obj=f.team(town["elsewhere"]))  # fmt: skip
    db.session.commit()
    auth.login(town["staff"])
    response = client.get(base(town) + "/activities")
    assert response.status_code == 200
    text = response.text
    assert "敲门行动" in text and "驿站值守" in text
    assert f"/volunteering/activities/{mine.id}" in text
    assert f"/volunteering/activities/{at_station.id}" in text
    assert 'id="activity-title"' in text and 'id="series-weeks"' in text
    assert f'action="/staff/sites/{town["center"].id}/volunteering/series"' in text
    # The unit's project, team and sites to choose from; not another unit's.
    assert "银龄健康讲座" in text and "四季歌服务队" in text and "锦绣驿站" in text
    assert "梅园中心" not in text and "梅园的活动" not in text
    assert f'href="/staff/sites/{town["center"].id}"' in text  # back to the site's page


def test_staff_of_another_site_get_403_and_visitors_log_in(client, auth, town):
    activity = made(town)
    series = rules.create_series(
        town["center"], rules.Details(title="周六助老", project_id=town["project"].id,
                                      team_id=None, site_id=town["center"].id),
        places=3, weekday=5, from_day=TODAY, weeks=2, starts_min=540, ends_min=660,
        by=town["staff"],
    )  # fmt: skip
    paths = [
        ("GET", "/activities"), ("POST", "/activities"), ("POST", "/series"),
        ("GET", f"/activities/{activity.id}"), ("POST", f"/activities/{activity.id}/edit"),
        ("POST", f"/activities/{activity.id}/places"),
        ("POST", f"/activities/{activity.id}/cancel"), ("GET", f"/series/{series.id}"),
        ("POST", f"/series/{series.id}/cancel"),
    ]  # fmt: skip
    for method, path in paths:
        response = client.open(base(town) + path, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for who in ("stranger", "station_staff", "vol"):
        auth.login(town[who])
        for method, path in paths:
            assert client.open(base(town) + path, method=method).status_code == 403, (who, path)
        auth.logout()
    assert counts()[:3] == (3, 1, 0)  # the one activity and the series' two; no change
    assert db.session.get(Activity, activity.id).status == "open"


def test_a_station_worker_finds_the_centers_activities_404_at_their_station(client, auth, town):
    activity = made(town)
    auth.login(town["station_staff"])
    station_base = f"/staff/sites/{town['station'].id}/volunteering"
    assert client.get(station_base + "/activities").status_code == 200
    assert client.get(station_base + f"/activities/{activity.id}").status_code == 404
    response = client.post(station_base + f"/activities/{activity.id}/cancel",
                           data=f.prefixed("cancel", {"reason": "不归我管"}))  # fmt: skip
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Activity, activity.id).status == "open"


# Creating ---------------------------------------------------------------------------------


def test_staff_publish_an_activity(client, auth, town):
    auth.login(town["staff"])
    response = client.post(base(town) + "/activities", data=activity_form(town))
    assert response.status_code == 303
    db.session.rollback()
    activity = db.session.scalar(select(Activity))
    assert response.headers["Location"] == base(town) + f"/activities/{activity.id}"
    assert clock.local(activity.starts_at) == datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
    assert clock.local(activity.ends_at).hour == 11
    assert (activity.places, activity.category, activity.skills) == (6, "health_elderly", "急救")
    assert activity.team_id == town["team"].id and activity.project_id == town["project"].id
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.site_id) == (
        "activity.created", town["staff"].id, town["center"].id)  # fmt: skip
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and activity.checkin_code in page.text
    # Residents see it at once.
    assert "敲门行动" in client.get("/activities").text


BAD_ACTIVITY = [
    ("title", {"title": ""}),
    ("title", {"title": "长" * 81}),
    ("day", {"day": ""}),
    ("day", {"day": "2026-13-45"}),
    ("day", {"day": "9999-12-31"}),
    ("starts", {"day": TODAY.isoformat(), "starts": "0700", "ends": "0900"}),
    ("starts", {"starts": "25:00"}),
    ("starts", {"starts": "九点"}),
    ("ends", {"starts": "11:00", "ends": "09:00"}),
    ("ends", {"starts": "06:00", "ends": "19:00"}),
    ("day", {"day": (TODAY + timedelta(days=400)).isoformat()}),
    ("places", {"places": "0"}),
    ("places", {"places": "x"}),
    ("places", {"places": "501"}),
    ("deadline_hours", {"deadline_hours": "-1"}),
    ("deadline_hours", {"day": TODAY.isoformat(), "starts": "0900", "ends": "1000"}),
    ("hours", {"hours": "3"}),
    ("hours", {"hours": "NaN"}),
    ("hours", {"hours": "0"}),
    ("hours", {"hours": "1e3"}),
    ("project_id", {"project_id": "", "team_id": ""}),
    ("project_id", {"project_id": "999999"}),
    ("project_id", {"project_id": "abc"}),
    ("team_id", {"team_id": "999999"}),
    ("site_id", {"site_id": "ELSEWHERE"}),
    ("site_id", {"site_id": ""}),
    ("category", {"category": "poetry"}),
    ("category", {"project_id": "", "category": ""}),
    ("address", {"address": "长" * 201}),
    ("skills", {"skills": "长" * 201}),
    ("description", {"description": "长" * 2001}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_ACTIVITY,
                         ids=[f"{f_}-{i}" for i, (f_, _c) in enumerate(BAD_ACTIVITY)])  # fmt: skip
def test_bad_activity_input_is_refused_and_kept(client, auth, town, field, changes):
    if changes.get("site_id") == "ELSEWHERE":
        changes = {**changes, "site_id": str(town["elsewhere"].id)}
    auth.login(town["staff"])
    before = counts()
    data = activity_form(town, **{"title": "保留我写的字", **changes})
    response = client.post(base(town) + "/activities", data=data)
    assert response.status_code == 422, field
    assert f'id="activity-{field}-error"' in response.text, field
    if "title" not in changes:
        assert 'value="保留我写的字"' in response.text  # what was typed stays
    assert '<details id="new-activity" class="card activity-new" open>' in response.text
    assert counts() == before


def test_the_same_activity_sent_twice_is_made_once(client, auth, town):
    auth.login(town["staff"])
    assert client.post(base(town) + "/activities", data=activity_form(town)).status_code == 303
    response = client.post(base(town) + "/activities", data=activity_form(town))
    assert response.status_code == 422 and 'class="error-summary"' in response.text
    assert counts()[0] == 1


def test_staff_publish_a_weekly_series(client, auth, town):
    auth.login(town["staff"])
    response = client.post(base(town) + "/series", data=series_form(town))
    assert response.status_code == 303
    db.session.rollback()
    series = db.session.scalar(select(ActivitySeries))
    assert response.headers["Location"] == base(town) + f"/series/{series.id}"
    assert (series.first_on, series.weeks, series.weekday) == (SATURDAY, 8, 5)
    days = [clock.local(a.starts_at) for a in series.activities]
    assert [d.date() for d in days] == [SATURDAY + timedelta(weeks=n) for n in range(8)]
    assert all(d.hour == 9 for d in days)
    assert all(a.signup_deadline == a.starts_at - timedelta(hours=12) for a in series.activities)
    assert [e for e in db.session.scalars(select(AuditEntry.action))] == ["series.created"]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert page.text.count('class="card activity-row') == 8


BAD_SERIES = [
    ("weeks", {"weeks": "0"}),
    ("weeks", {"weeks": "53"}),
    ("weeks", {"weeks": "52", "starts_on": (TODAY + timedelta(days=60)).isoformat()}),
    ("weekday", {"weekday": "7"}),
    ("weekday", {"weekday": "x"}),
    ("starts_on", {"starts_on": ""}),
    ("starts_on", {"starts_on": "0001-01-01"}),
    ("ends", {"starts": "11:00", "ends": "10:00"}),
    ("hours", {"hours": "2.5"}),
    ("title", {"title": ""}),
]


@pytest.mark.parametrize(("field", "changes"), BAD_SERIES,
                         ids=[f"{f_}-{i}" for i, (f_, _c) in enumerate(BAD_SERIES)])  # fmt: skip
def test_bad_series_input_is_refused_and_kept(client, auth, town, field, changes):
    auth.login(town["staff"])
    before = counts()
    data = series_form(town, **{"description": "保留我写的说明", **changes})
    response = client.post(base(town) + "/series", data=data)
    assert response.status_code == 422, field
    assert f'id="series-{field}-error"' in response.text, field
    assert "保留我写的说明" in response.text
    assert '<details id="new-series" class="card activity-new" open>' in response.text
    assert counts() == before


# One activity ------------------------------------------------------------------------------


def test_the_activity_page_and_an_edit_volunteers_are_told_of(client, auth, town):
    activity = made(town)
    signups.sign_up(town["vol"], activity.id)
    auth.login(town["staff"])
    page = client.get(base(town) + f"/activities/{activity.id}")
    assert page.status_code == 200
    assert 'value="敲门行动"' in page.text and 'value="09:00"' in page.text
    assert 'value="2"' in page.text  # the hours, as they are
    data = f.prefixed("edit", {
        "title": "敲门行动", "project_id": str(town["project"].id),
        "team_id": str(town["team"].id), "site_id": str(town["station"].id),
        "address": "锦绣小区南门", "category": "", "day": SATURDAY.isoformat(),
        "starts": "10:00", "ends": "12:00", "deadline_hours": "2", "hours": "2",
        "requirements": "", "skills": "急救", "description": "", "reason": "场地改到驿站",
    })  # fmt: skip
    response = client.post(base(town) + f"/activities/{activity.id}/edit", data=data)
    assert response.status_code == 303
    db.session.rollback()
    moved = db.session.get(Activity, activity.id)
    assert (moved.site_id, moved.address) == (town["station"].id, "锦绣小区南门")
    assert clock.local(moved.starts_at).hour == 10
    kinds = db.session.scalars(select(ActivityChange.kind).order_by(ActivityChange.id)).all()
    assert kinds == ["time", "place"]
    assert db.session.scalar(select(Signup.status)) == "signed_up"
    assert "activity.edited" in db.session.scalars(select(AuditEntry.action)).all()
    auth.logout()
    auth.login(town["vol"])
    me = client.get("/me/volunteer").text
    assert "场地改到驿站" in me and "锦绣小区南门" in me and "10:00" in me


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("ends", {"starts": "12:00", "ends": "10:00"}),
        ("hours", {"hours": "9"}),
        ("reason", {"starts": "10:00", "ends": "12:00", "reason": ""}),
        ("reason", {"reason": "长" * 201}),
        ("site_id", {"site_id": "999999"}),
        ("day", {"day": "x"}),
    ],
)
def test_bad_edits_are_refused_and_change_nothing(client, auth, town, field, changes):
    activity = made(town)
    signups.sign_up(town["vol"], activity.id)
    auth.login(town["staff"])
    before = counts()
    values = {
        "title": "改过的标题", "project_id": str(town["project"].id),
        "team_id": str(town["team"].id), "site_id": str(town["center"].id), "address": "",
        "category": "", "day": SATURDAY.isoformat(), "starts": "09:00", "ends": "11:00",
        "deadline_hours": "2", "hours": "", "requirements": "", "skills": "",
        "description": "", "reason": "",
    }  # fmt: skip
    data = f.prefixed("edit", {**values, **changes})
    response = client.post(base(town) + f"/activities/{activity.id}/edit", data=data)
    assert response.status_code == 422
    assert f'id="edit-{field}-error"' in response.text
    assert 'value="改过的标题"' in response.text
    assert counts() == before
    assert db.session.get(Activity, activity.id).title == "敲门行动"


def test_places_lowered_below_taken_are_refused_raised_promote(client, auth, town):
    activity = made(town, places=2)
    for vol in (town["vol"], town["vol2"]):
        signups.sign_up(vol, activity.id)
    waiting = f.volunteer("小张")
    db.session.commit()
    signups.sign_up(waiting, activity.id)
    auth.login(town["staff"])
    path = base(town) + f"/activities/{activity.id}/places"
    response = client.post(path, data=f.prefixed("places", {"places": "1"}))
    assert response.status_code == 422 and 'id="places-places-error"' in response.text
    db.session.rollback()
    assert db.session.get(Activity, activity.id).places == 2
    for bad in ("0", "x", "501", ""):
        assert client.post(path, data=f.prefixed("places", {"places": bad})).status_code == 422
    response = client.post(path, data=f.prefixed("places", {"places": "3"}))
    assert response.status_code == 303 and response.headers["Location"].endswith("#places")
    db.session.rollback()
    again = db.session.get(Activity, activity.id)
    assert (again.places, again.taken) == (3, 3)
    assert db.session.scalar(select(Signup.status).where(Signup.user_id == waiting.id)) == (
        "signed_up")  # fmt: skip
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "activity.places")
    ).all()
    assert len(entries) == 1 and entries[0].after["promoted"] == 1


def test_places_through_htmx_answer_with_the_box_alone(client, auth, town):
    activity = made(town, places=2)
    signups.sign_up(town["vol"], activity.id)
    auth.login(town["staff"])
    path = base(town) + f"/activities/{activity.id}/places"
    headers = {"HX-Request": "true", "HX-Target": "places-box"}
    response = client.post(path, data=f.prefixed("places", {"places": "5"}), headers=headers)
    assert response.status_code == 200 and "<html" not in response.text
    assert 'id="places-box"' in response.text and "HX-Request" in response.headers["Vary"]
    assert re.search(r"1\D+5", response.text)  # 1 of 5 taken
    response = client.post(path, data=f.prefixed("places", {"places": "0"}), headers=headers)
    assert response.status_code == 422 and "<html" not in response.text
    assert 'id="places-places-error"' in response.text
    db.session.rollback()
    assert db.session.get(Activity, activity.id).places == 5


def test_cancelling_needs_a_reason_and_keeps_sign_ups(client, auth, town):
    activity = made(town)
    signups.sign_up(town["vol"], activity.id)
    auth.login(town["staff"])
    path = base(town) + f"/activities/{activity.id}/cancel"
    for bad in ("", "   ", "长" * 201):
        response = client.post(path, data=f.prefixed("cancel", {"reason": bad}))
        assert response.status_code == 422 and 'id="cancel-reason-error"' in response.text
    assert counts()[2] == 0
    assert db.session.get(Activity, activity.id).status == "open"
    response = client.post(path, data=f.prefixed("cancel", {"reason": "社区停电"}))
    assert response.status_code == 303
    db.session.rollback()
    cancelled = db.session.get(Activity, activity.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "社区停电")
    assert db.session.scalar(select(Signup.status)) == "signed_up"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.cancelled"))
    assert entry.actor_id == town["staff"].id and entry.after["reason"] == "社区停电"
    response = client.post(path, data=f.prefixed("cancel", {"reason": "再取消"}))
    assert response.status_code == 422
    assert counts()[2] == 1
    page = client.get(base(town) + f"/activities/{activity.id}")
    assert "社区停电" in page.text and 'id="edit-title"' not in page.text
    # The volunteer reads it, and the public page says why.
    auth.logout()
    auth.login(town["vol"])
    me = client.get("/me/volunteer").text
    assert "社区停电" in me and 'id="changes"' in me
    public = client.get(f"/activities/{activity.id}").text
    assert "活动已取消" in public and "社区停电" in public
    assert client.post(f"/activities/{activity.id}/signup").status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(func.count(Signup.id))) == 1  # refused: no new sign-up


def test_an_activity_of_another_unit_is_404(client, auth, town):
    theirs = f.activity(town["elsewhere"], NOW + timedelta(days=5), title="梅园的活动",
                        team_obj=f.team(town["elsewhere"]))  # fmt: skip
    db.session.commit()
    auth.login(town["staff"])
    assert client.get(base(town) + f"/activities/{theirs.id}").status_code == 404
    assert client.get(base(town) + "/activities/999999").status_code == 404
    response = client.post(base(town) + f"/activities/{theirs.id}/cancel",
                           data=f.prefixed("cancel", {"reason": "越权"}))  # fmt: skip
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Activity, theirs.id).status == "open"


# A series ---------------------------------------------------------------------------------


def test_one_week_cancelled_then_the_rest(client, auth, town):
    auth.login(town["staff"])
    client.post(base(town) + "/series", data=series_form(town, weeks="3"))
    db.session.rollback()
    series = db.session.scalar(select(ActivitySeries))
    first, second, third = series.activities
    response = client.post(base(town) + f"/activities/{second.id}/cancel",
                           data=f.prefixed("cancel", {"reason": "节日休息"}))  # fmt: skip
    assert response.status_code == 303
    page = client.get(base(town) + f"/series/{series.id}").text
    assert "节日休息" in page and page.count('class="card activity-row is-cancelled"') == 1
    path = base(town) + f"/series/{series.id}/cancel"
    response = client.post(path, data=f.prefixed("cancel", {"reason": ""}))
    assert response.status_code == 422 and 'id="cancel-reason-error"' in response.text
    response = client.post(path, data=f.prefixed("cancel", {"reason": "项目结束"}))
    assert response.status_code == 303
    db.session.rollback()
    statuses = [a.status for a in db.session.get(ActivitySeries, series.id).activities]
    assert statuses == ["cancelled"] * 3
    assert db.session.get(Activity, first.id).cancel_reason == "项目结束"
    assert db.session.get(Activity, second.id).cancel_reason == "节日休息"
    response = client.post(path, data=f.prefixed("cancel", {"reason": "再来一次"}))
    assert response.status_code == 422
    assert "series.cancelled" in db.session.scalars(select(AuditEntry.action)).all()


def test_another_units_series_is_404(client, auth, town):
    their_team = f.team(town["elsewhere"])
    db.session.commit()
    theirs = rules.create_series(
        town["elsewhere"], rules.Details(title="梅园系列", project_id=None,
                                         team_id=their_team.id,
                                         site_id=town["elsewhere"].id, category="safety"),
        places=3, weekday=5, from_day=TODAY, weeks=2, starts_min=540, ends_min=660,
        by=town["stranger"],
    )  # fmt: skip
    auth.login(town["staff"])
    assert client.get(base(town) + f"/series/{theirs.id}").status_code == 404
    response = client.post(base(town) + f"/series/{theirs.id}/cancel",
                           data=f.prefixed("cancel", {"reason": "越权"}))  # fmt: skip
    assert response.status_code == 404


# What residents see ------------------------------------------------------------------------


@pytest.fixture
def spread(town):
    """Activities over places, days and categories, for the filters."""
    other = town["elsewhere"]
    other_team = f.team(other, "梅园队")
    db.session.commit()
    rows = {}

    def add(key, site, day, title, category="health_elderly", places=4, starts=540, team=None):
        if team is None:
            ours = site.id in (town["center"].id, town["station"].id)
            team = town["team"] if ours else other_team
        unit = town["center"] if team.id == town["team"].id else other
        by = town["staff"] if team.id == town["team"].id else town["stranger"]
        rows[key] = rules.create_activity(
            unit, rules.Details(title=title, project_id=None, team_id=team.id, site_id=site.id,
                                category=category),
            places=places, day=day, starts_min=starts, ends_min=starts + 60, by=by,
        )  # fmt: skip

    add("today", town["center"], TODAY, "今天的讲座", starts=14 * 60)
    add("weekend", town["station"], SATURDAY, "周六巡逻", category="safety")
    add("sunday", other, SATURDAY + timedelta(days=1), "周日读书会", category="education")
    add("next_week", other, TODAY + timedelta(days=9), "下周义诊")
    add("full", town["center"], TODAY + timedelta(days=2), "满员活动", places=1)
    signups.sign_up(town["vol"], rows["full"].id)
    return rows


def titles(response) -> list[str]:
    found = re.search(r'<section id="results".*?</section>', response.text, re.S).group(0)
    return re.findall(r'<h3 class="card-title"><a href="/activities/\d+">([^<]+)</a>', found)


def test_activities_filters(client, town, spread):
    every = ["今天的讲座", "满员活动", "周六巡逻", "周日读书会", "下周义诊"]
    assert titles(client.get("/activities")) == every
    district, street = town["district"].id, town["street"].id
    cases = [
        ({"district": district}, every),
        ({"district": district, "street": street}, ["今天的讲座", "满员活动", "周六巡逻"]),
        ({"district": district, "street": street, "community": town["community"].id},
         ["今天的讲座", "满员活动", "周六巡逻"]),
        ({"category": "safety"}, ["周六巡逻"]),
        ({"category": "health_elderly"}, ["今天的讲座", "满员活动", "下周义诊"]),
        ({"when": "today"}, ["今天的讲座"]),
        ({"when": "week"}, ["今天的讲座", "满员活动", "周六巡逻", "周日读书会"]),
        ({"when": "weekend"}, ["周六巡逻", "周日读书会"]),
        ({"open": "1"}, ["今天的讲座", "周六巡逻", "周日读书会", "下周义诊"]),
        ({"when": "week", "open": "1", "category": "health_elderly"}, ["今天的讲座"]),
        ({"when": "weekend", "district": district, "street": street}, ["周六巡逻"]),
    ]  # fmt: skip
    for args, expected in cases:
        assert titles(client.get("/activities", query_string=args)) == expected, args


def test_bad_filter_values_are_ignored(client, town, spread):
    every = titles(client.get("/activities"))
    for args in (
        {"district": "x"}, {"district": "-1"}, {"district": "99999999999999999999"},
        {"street": "１２"}, {"community": "0"}, {"category": "poetry"}, {"when": "yesterday"},
        {"open": "maybe"}, {"lat": "NaN", "lng": "inf"}, {"lat": "91", "lng": "200"},
        {"page": "-3"}, {"page": "99999999999999999999"}, {"when": "\u202e"},
        # A street outside the chosen district is dropped, not used.
        {"district": town["district"].id + 1000, "street": town["street"].id},
    ):  # fmt: skip
        response = client.get("/activities", query_string=args)
        assert response.status_code == 200, args
        assert titles(response) == every, args


def test_near_me_sorts_by_distance_and_keeps_the_other_filters(client, town, spread):
    # Standing at 梅园 (31.30, 121.40): its activities first, then those of 锦绣.
    response = client.get("/activities", query_string={"lat": "31.30", "lng": "121.40"})
    # (the station, at 31.21 121.51, is a little nearer to 梅园 than its center)
    assert titles(response) == ["周日读书会", "下周义诊", "周六巡逻", "今天的讲座", "满员活动"]
    assert re.search(r'class="distance">[^<]*(?:m|km|米|公里)', response.text)
    assert 'name="lat" value="31.3"' in response.text  # kept for the next filter
    response = client.get("/activities", query_string={"lat": "31.21", "lng": "121.51",
                                                       "when": "week"})  # fmt: skip
    assert titles(response) == ["周六巡逻", "今天的讲座", "满员活动", "周日读书会"]
    # The "near me" button keeps the filters it is pressed with.
    button = re.search(r'data-near-me="([^"]+)"', response.text).group(1)
    assert "when=week" in button and "lat=" not in button


def test_the_results_come_alone_for_htmx(client, town, spread):
    headers = {"HX-Request": "true", "HX-Target": "results"}
    response = client.get("/activities", query_string={"when": "today"}, headers=headers)
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="results"')
    assert titles(response) == ["今天的讲座"]
    assert "HX-Request" in response.headers["Vary"]
    headers = {"HX-Request": "true", "HX-Target": "place-filters"}
    response = client.get("/activities", query_string={"district": town["district"].id},
                          headers=headers)  # fmt: skip
    assert 'id="place-filters"' in response.text and "花木街道" in response.text


def test_an_activity_page_shows_its_series_address_and_skills(client, town):
    series = rules.create_series(
        town["center"], rules.Details(title="周六助老", project_id=town["project"].id,
                                      team_id=None, site_id=town["center"].id,
                                      address="锦绣小区南门", skills="理发、急救"),
        places=3, weekday=5, from_day=TODAY, weeks=3, starts_min=540, ends_min=660,
        by=town["staff"],
    )  # fmt: skip
    first, second, _third = series.activities
    response = client.get(f"/activities/{first.id}")
    assert response.status_code == 200
    text = response.text
    assert "锦绣小区南门" in text and "理发、急救" in text and "锦绣中心" in text
    assert "09:00–11:00" in text and "星期六" in text
    assert f'href="/activities/{second.id}"' in text  # the other weeks
    assert f'href="/activities/{first.id}"' not in text.split('id="series-dates-title"')[1]


def test_a_site_page_lists_its_coming_activities_and_teams(client, town):
    made(town, details={"title": "中心的活动"})
    made(town, details={"title": "驿站的活动", "site_id": town["station"].id})
    retired = f.team(town["center"], "已解散的队")
    retired.retired_at = NOW - timedelta(days=3)
    f.team(town["station"], "驿站小分队")
    db.session.commit()
    text = client.get(f"/sites/{town['center'].id}").text
    assert 'id="activities"' in text and "中心的活动" in text and "驿站的活动" not in text
    assert "四季歌服务队" in text and "已解散的队" not in text and "驿站小分队" not in text
    assert f"community={town['community'].id}" in text
    station = client.get(f"/sites/{town['station'].id}").text
    assert "驿站的活动" in station and "驿站小分队" in station and "四季歌服务队" not in station


def test_my_volunteering_shows_coming_shifts_first_then_changes_then_history(
    client, auth, town, freeze
):
    later = made(town, day=SATURDAY + timedelta(weeks=1), details={"title": "后一周的活动"})
    sooner = made(town, details={"title": "这周的活动"})
    gone = made(town, day=SATURDAY + timedelta(days=1), details={"title": "被取消的活动"})
    past = made(town, day=TODAY, starts=9 * 60, ends=10 * 60,
                details={"title": "今早的活动", "deadline_hours": 0})  # fmt: skip
    for activity in (later, sooner, gone, past):
        signups.sign_up(town["vol"], activity.id)
    rules.cancel_activity(gone.id, "暴雨预警", by=town["staff"])
    freeze(NOW + timedelta(hours=3))  # the morning's activity is over
    auth.login(town["vol"])
    text = client.get("/me/volunteer").text
    coming = text.index('id="coming-title"')
    changes = text.index('id="changes-title"')
    history = text.index('id="history-title"')
    assert coming < changes < history
    shifts = text[coming:changes]
    assert shifts.index("这周的活动") < shifts.index("后一周的活动")
    assert "被取消的活动" not in shifts and "今早的活动" not in shifts
    assert "暴雨预警" in text[changes:history]
    assert "今早的活动" in text[history:] and "被取消的活动" in text[history:]
    assert "这周的活动" not in text[history:]


# Query counts ---------------------------------------------------------------------------------


def _city(town, n: int):
    """``n`` more activities at both sites over the coming weeks."""
    db.session.rollback()  # a fresh transaction: the requests before it have written
    for i in range(n):
        site = town["center"] if i % 2 else town["station"]
        db.session.add(Activity(
            team_id=town["team"].id, site_id=site.id, title=f"活动{i}", category="safety",
            starts_at=NOW + timedelta(days=1 + i % 20, hours=i % 5),
            ends_at=NOW + timedelta(days=1 + i % 20, hours=i % 5 + 1),
            signup_deadline=NOW + timedelta(hours=12), places=5, taken=i % 6 == 0 and 5 or 0,
            hours=1, checkin_code="123456",
        ))  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"when": "week", "open": "1"},
        {"category": "safety", "lat": "31.2", "lng": "121.5"},
        {"district": "D", "street": "S", "community": "C"},
        {"page": "2"},
    ],
    ids=["plain", "week-open", "category-near", "places", "page-2"],
)
def test_activities_query_count_does_not_grow(client, count_queries, town, args):
    ids = {"D": town["district"].id, "S": town["street"].id, "C": town["community"].id}
    args = {k: ids.get(v, v) for k, v in args.items()}
    _city(town, 25)
    with count_queries() as small:
        assert client.get("/activities", query_string=args).status_code == 200
    _city(town, 300)
    with count_queries() as large:
        assert client.get("/activities", query_string=args).status_code == 200
    assert len(small) == len(large) <= 7


def test_my_volunteering_and_a_site_page_query_counts_do_not_grow(
    client, auth, count_queries, town
):
    auth.login(town["vol"])

    def load():
        with count_queries() as counter:
            assert client.get("/me/volunteer").status_code == 200
            assert client.get(f"/sites/{town['center'].id}").status_code == 200
        return len(counter)

    _city(town, 4)
    for activity in db.session.scalars(select(Activity).limit(3)):
        signups.sign_up(town["vol"], activity.id)
    small = load()
    _city(town, 60)
    for activity in db.session.scalars(select(Activity).order_by(Activity.id.desc()).limit(20)):
        signups.sign_up(town["vol"], activity.id)
        rules.cancel_activity(activity.id, "取消", by=town["staff"])
    assert load() == small
