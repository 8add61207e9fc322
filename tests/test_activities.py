"""The rules of activities staff run (app/volunteers/activities.py), on a frozen clock.

Creating one (and its bounds), a weekly series whose occurrences live on
their own, capacity that never falls below the places taken and that hands
new places to the waiting list, and the changes volunteers are told about.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Activity, ActivityChange, ActivitySeries, AuditEntry, Signup
from app.volunteers import activities as rules
from app.volunteers import queries, signups
from app.volunteers.common import VolunteerError

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # a Monday morning
TODAY = NOW.date()
SATURDAY = date(2026, 11, 28)


@pytest.fixture
def unit(app, freeze):
    """A center with a station, its team and running project, and one of another center."""
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    staff = f.user("站长", staff_of=(center,))
    team = f.team(center, "四季歌服务队")
    project = f.project(center, "running", teams=(team,), category="health_elderly")
    elsewhere = f.site(name="梅园中心")
    foreign_team = f.team(elsewhere, "梅园服务队")
    foreign_project = f.project(elsewhere, "running")
    vols = [f.volunteer(f"志愿者{i}") for i in range(6)]
    db.session.commit()
    return dict(center=center, station=station, staff=staff, team=team, project=project,
                elsewhere=elsewhere, foreign_team=foreign_team,
                foreign_project=foreign_project, vols=vols)  # fmt: skip


def details(unit, **changes) -> rules.Details:
    values = dict(
        title="敲门行动", project_id=unit["project"].id, team_id=unit["team"].id,
        site_id=unit["center"].id, address="", category="", description="上门看望独居老人",
        requirements="有耐心", skills="急救", hours=None, deadline_hours=2,
    )  # fmt: skip
    return rules.Details(**{**values, **changes})


def create(unit, day=SATURDAY, starts=540, ends=660, places=6, **changes) -> Activity:
    return rules.create_activity(
        unit["center"], details(unit, **changes), places=places, day=day,
        starts_min=starts, ends_min=ends, by=unit["staff"],
    )  # fmt: skip


def weekly(unit, weeks=8, weekday=5, from_day=TODAY, starts=540, ends=660, **changes):
    return rules.create_series(
        unit["center"], details(unit, **changes), places=3, weekday=weekday,
        from_day=from_day, weeks=weeks, starts_min=starts, ends_min=ends, by=unit["staff"],
    )  # fmt: skip


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def actions() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Creating one -------------------------------------------------------------------


def test_an_activity_is_created_with_local_times_and_a_fresh_code(unit):
    activity = create(unit)
    db.session.rollback()
    activity = db.session.get(Activity, activity.id)
    assert clock.local(activity.starts_at) == datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
    assert clock.local(activity.ends_at) == datetime(2026, 11, 28, 11, 0, tzinfo=LOCAL_TZ)
    assert activity.signup_deadline == activity.starts_at - timedelta(hours=2)
    assert activity.hours == Decimal("2")  # blank: as long as it lasts
    assert activity.category == "health_elderly"  # from the project
    assert (activity.places, activity.taken, activity.status) == (6, 0, "open")
    assert activity.skills == "急救" and activity.requirements == "有耐心"
    assert len(activity.checkin_code) == 6 and activity.checkin_code.isdigit()
    assert actions() == ["activity.created"]
    other = create(unit, title="另一个活动")
    assert other.checkin_code != activity.checkin_code or other.id != activity.id


def test_a_station_of_the_unit_and_an_address_elsewhere(unit):
    activity = create(unit, site_id=unit["station"].id, address="锦绣小区南门", category="safety",
                      project_id=None, hours=Decimal("1.5"))  # fmt: skip
    assert (activity.site_id, activity.address) == (unit["station"].id, "锦绣小区南门")
    assert activity.category == "safety" and activity.hours == Decimal("1.5")
    assert activity.project_id is None and activity.team_id == unit["team"].id


BOUNDS = [
    # (what is wrong, the form's arguments, the field refused, the reason)
    ("started already", {"day": TODAY, "starts": 7 * 60, "ends": 9 * 60}, "starts", "past"),
    ("ends before it starts", {"starts": 600, "ends": 540}, "ends", "times"),
    ("ends as it starts", {"starts": 600, "ends": 600}, "ends", "times"),
    ("longer than 12 hours", {"starts": 6 * 60, "ends": 18 * 60 + 15}, "ends", "length"),
    ("more than a year ahead", {"day": TODAY + timedelta(days=367)}, "day", "ahead"),
    ("sign-up already closed", {"day": TODAY, "starts": 9 * 60, "ends": 10 * 60,
                                "deadline_hours": 2}, "deadline_hours", "deadline"),
    ("hours over its length", {"hours": Decimal("2.25")}, "hours", "hours"),
    ("no hours", {"hours": Decimal("0")}, "hours", "hours"),
    ("no places", {"places": 0}, "places", "places"),
    ("too many places", {"places": 501}, "places", "places"),
    ("a deadline a month before", {"deadline_hours": 24 * 30}, "deadline_hours", "deadline"),
    ("nobody runs it", {"project_id": None, "team_id": None}, "project_id", "owner"),
    ("no category without a project", {"project_id": None}, "category", "category"),
    ("an unknown category", {"category": "poetry"}, "category", "category"),
    ("an empty title", {"title": "  "}, "title", "title"),
    ("a long title", {"title": "长" * 81}, "title", "title"),
    ("a long address", {"address": "长" * 201}, "address", "address"),
    ("long skills", {"skills": "长" * 201}, "skills", "skills"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "args", "field", "reason"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_creation_bounds(unit, case, args, field, reason):
    with pytest.raises(VolunteerError) as refused:
        create(unit, **args)
    assert (refused.value.field, refused.value.reason) == (field, reason), case
    assert count(Activity) == 0 and actions() == []


def test_projects_teams_and_sites_of_another_unit_are_refused(unit):
    cases = [
        ({"project_id": unit["foreign_project"].id}, "project_id"),
        ({"team_id": unit["foreign_team"].id}, "team_id"),
        ({"site_id": unit["elsewhere"].id}, "site_id"),
        ({"project_id": 999999}, "project_id"),
    ]
    for changes, field in cases:
        with pytest.raises(VolunteerError) as refused:
            create(unit, **changes)
        assert refused.value.field == field, changes
    # A station's staff run activities at their station alone, for the teams of its center.
    with pytest.raises(VolunteerError) as refused:
        rules.create_activity(
            unit["station"], details(unit), places=2, day=SATURDAY, starts_min=540,
            ends_min=600, by=unit["staff"],
        )  # fmt: skip
    assert refused.value.field == "site_id"
    made = rules.create_activity(
        unit["station"], details(unit, site_id=unit["station"].id), places=2, day=SATURDAY,
        starts_min=540, ends_min=600, by=unit["staff"],
    )  # fmt: skip
    assert made.site_id == unit["station"].id
    assert count(Activity) == 1


def test_a_retired_team_and_a_completed_project_run_nothing_new(unit):
    unit["team"].retired_at = NOW - timedelta(days=1)
    done = f.project(unit["center"], "completed")
    db.session.commit()
    for changes, field in (({"team_id": unit["team"].id}, "team_id"),
                           ({"project_id": done.id, "team_id": None}, "project_id")):  # fmt: skip
        with pytest.raises(VolunteerError) as refused:
            create(unit, **changes)
        assert refused.value.field == field


def test_the_same_activity_twice_is_made_once(unit):
    create(unit)
    with pytest.raises(VolunteerError) as refused:
        create(unit)
    assert refused.value.reason == "duplicate"
    assert count(Activity) == 1
    create(unit, starts=600, ends=660)  # another time is another activity
    assert count(Activity) == 2


# A weekly series ---------------------------------------------------------------------


def test_a_weekly_series_makes_one_activity_per_saturday(unit):
    series = weekly(unit)
    db.session.rollback()
    series = db.session.get(ActivitySeries, series.id)
    assert (series.weekday, series.first_on, series.weeks) == (5, SATURDAY, 8)
    assert (series.starts_min, series.ends_min) == (540, 660)
    occurrences = series.activities
    assert len(occurrences) == 8
    for n, activity in enumerate(occurrences):
        start = clock.local(activity.starts_at)
        assert start == datetime.combine(SATURDAY + timedelta(weeks=n), datetime.min.time(),
                                         LOCAL_TZ).replace(hour=9)  # fmt: skip
        assert clock.local(activity.ends_at).hour == 11
        assert (activity.places, activity.hours, activity.series_id) == (3, Decimal(2), series.id)
    assert len({a.checkin_code for a in occurrences}) > 1  # each its own code
    assert actions() == ["series.created"]


def test_a_series_with_one_cancelled_occurrence(unit):
    series = weekly(unit, weeks=4)
    third = series.activities[2]
    rules.cancel_activity(third.id, "社区停电", by=unit["staff"])
    db.session.rollback()
    statuses = [a.status for a in db.session.get(ActivitySeries, series.id).activities]
    assert statuses == ["open", "open", "cancelled", "open"]
    vol = unit["vols"][0]
    with pytest.raises(VolunteerError) as refused:
        signups.sign_up(vol, third.id)
    assert refused.value.reason == "cancelled"
    assert signups.sign_up(vol, series.activities[3].id).waitlisted is False
    cancelled = db.session.get(Activity, third.id)
    assert cancelled.cancel_reason == "社区停电" and cancelled.cancelled_at == NOW


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        ({"weeks": 0}, "weeks", "weeks"),
        ({"weeks": 53}, "weeks", "weeks"),
        ({"weekday": 7}, "weekday", "weekday"),
        ({"weekday": 0, "from_day": TODAY, "starts": 7 * 60, "ends": 9 * 60}, "starts", "past"),
        ({"weeks": 52, "from_day": TODAY + timedelta(days=30)}, "weeks", "ahead"),
        ({"starts": 600, "ends": 540}, "ends", "times"),
        ({"hours": Decimal(3)}, "hours", "hours"),
    ],
)
def test_series_bounds(unit, args, field, reason):
    with pytest.raises(VolunteerError) as refused:
        weekly(unit, **args)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert count(ActivitySeries) == 0 and count(Activity) == 0


def test_a_series_starting_today_begins_today_when_its_time_is_ahead(unit):
    # Monday 11:00, sign-up until 09:00; it is 08:00.
    series = weekly(unit, weeks=2, weekday=0, from_day=TODAY, starts=11 * 60, ends=12 * 60)
    assert series.first_on == TODAY
    assert [clock.local(a.starts_at).date() for a in series.activities] == [
        TODAY, TODAY + timedelta(weeks=1)]  # fmt: skip


def test_the_same_series_twice_is_made_once(unit):
    weekly(unit, weeks=3)
    with pytest.raises(VolunteerError) as refused:
        weekly(unit, weeks=3)
    assert refused.value.reason == "duplicate"
    assert count(ActivitySeries) == 1 and count(Activity) == 3


def test_cancelling_what_remains_of_a_series(unit, freeze):
    series = weekly(unit, weeks=4)
    first, second = series.activities[0], series.activities[1]
    rules.cancel_activity(second.id, "下雨", by=unit["staff"])
    freeze(clock.local(first.ends_at) + timedelta(hours=1))  # the first one is over
    cancelled = rules.cancel_series(series.id, "项目暂停", by=unit["staff"])
    assert cancelled == 2
    db.session.rollback()
    rows = db.session.get(ActivitySeries, series.id).activities
    assert [a.status for a in rows] == ["open", "cancelled", "cancelled", "cancelled"]
    assert [a.cancel_reason for a in rows] == ["", "下雨", "项目暂停", "项目暂停"]
    assert count(ActivityChange, ActivityChange.kind == "cancelled") == 3
    with pytest.raises(VolunteerError) as refused:
        rules.cancel_series(series.id, "再取消一次", by=unit["staff"])
    assert refused.value.reason == "nothing_left"
    assert actions() == ["series.created", "activity.cancelled", "series.cancelled"]


# Editing --------------------------------------------------------------------------------


def edit(unit, activity, day=SATURDAY, starts=540, ends=660, reason="", **changes):
    return rules.edit_activity(
        activity.id, unit["center"], details(unit, **changes), day=day, starts_min=starts,
        ends_min=ends, reason=reason, by=unit["staff"],
    )  # fmt: skip


def test_editing_one_occurrence_leaves_the_others(unit):
    series = weekly(unit, weeks=3)
    before = [(a.id, a.starts_at, a.ends_at, a.title, a.address) for a in series.activities]
    second = series.activities[1]
    old_start, day = second.starts_at, clock.local(second.starts_at).date()
    kinds = edit(unit, second, day=day, starts=600, ends=720, address="小区花园",
                 title="敲门行动（改时间）")  # fmt: skip
    assert sorted(kinds) == ["details", "place", "time"]
    db.session.rollback()
    after = db.session.get(ActivitySeries, series.id).activities
    assert [(a.id, a.starts_at, a.ends_at, a.title, a.address) for a in after][0::2] == before[0::2]
    moved = db.session.get(Activity, second.id)
    assert clock.local(moved.starts_at).hour == 10 and clock.local(moved.ends_at).hour == 12
    assert moved.address == "小区花园" and moved.series_id == series.id
    assert moved.signup_deadline == moved.starts_at - timedelta(hours=2)
    changes = db.session.scalars(select(ActivityChange).order_by(ActivityChange.id)).all()
    assert [c.kind for c in changes] == ["time", "place", "details"]
    assert changes[0].before["starts_at"] == old_start.isoformat()
    assert changes[0].after["starts_at"] == moved.starts_at.isoformat()
    assert changes[1].after == {"site": "东方中心", "address": "小区花园"}
    assert changes[2].after == {"title": "敲门行动（改时间）"}
    assert actions() == ["series.created", "activity.edited"]


def test_an_edit_that_changes_nothing_records_nothing(unit):
    activity = create(unit)
    assert edit(unit, activity) == []
    assert count(ActivityChange) == 0 and actions() == ["activity.created"]


def test_new_times_for_signed_up_volunteers_need_a_reason(unit):
    activity = create(unit)
    signups.sign_up(unit["vols"][0], activity.id)
    with pytest.raises(VolunteerError) as refused:
        edit(unit, activity, starts=600, ends=720)
    assert (refused.value.field, refused.value.reason) == ("reason", "reason")
    edit(unit, activity, description="带上血压计")  # details alone need no reason
    edit(unit, activity, starts=600, ends=720, reason="场地冲突，推迟一小时")
    db.session.rollback()
    change = db.session.scalar(select(ActivityChange).where(ActivityChange.kind == "time"))
    assert change.reason == "场地冲突，推迟一小时"
    signup = db.session.scalar(select(Signup))
    assert signup.status == "signed_up"  # the sign-up holds, at the new time


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"starts": 600, "ends": 560}, "ends", "times"),
        ({"day": TODAY, "starts": 7 * 60, "ends": 9 * 60}, "starts", "past"),
        ({"hours": Decimal(5)}, "hours", "hours"),
        ({"site_id": 999999}, "site_id", "site"),
        ({"reason": "长" * 201, "starts": 600, "ends": 720}, "reason", "reason"),
    ],
)
def test_bad_edits_change_nothing(unit, changes, field, reason):
    activity = create(unit)
    with pytest.raises(VolunteerError) as refused:
        edit(unit, activity, **changes)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    db.session.rollback()
    again = db.session.get(Activity, activity.id)
    assert (again.starts_at, again.ends_at, again.hours) == (
        activity.starts_at, activity.ends_at, activity.hours)  # fmt: skip
    assert count(ActivityChange) == 0


def test_started_or_cancelled_activities_are_not_edited(unit, freeze):
    activity = create(unit)
    rules.cancel_activity(activity.id, "天气", by=unit["staff"])
    with pytest.raises(VolunteerError) as refused:
        edit(unit, activity, title="新名字")
    assert refused.value.reason == "cancelled"
    other = create(unit, title="另一个")
    freeze(other.starts_at + timedelta(minutes=5))
    with pytest.raises(VolunteerError) as refused:
        edit(unit, other, title="新名字")
    assert refused.value.reason == "started"
    with pytest.raises(VolunteerError) as refused:
        rules.cancel_activity(other.id, "来不及了", by=unit["staff"])
    assert refused.value.reason == "started"


def test_an_edit_keeps_a_team_retired_and_a_project_completed_since(unit):
    activity = create(unit)
    unit["team"].retired_at = NOW
    unit["project"].status = "completed"
    db.session.commit()
    assert edit(unit, activity, title="换个名字") == ["details"]
    with pytest.raises(VolunteerError) as refused:
        edit(unit, activity, title="再换", team_id=999999)
    assert refused.value.field == "team_id"


# Capacity ----------------------------------------------------------------------------------


def test_lowering_capacity_below_the_places_taken_is_refused(unit):
    activity = create(unit, places=4)
    for vol in unit["vols"][:3]:
        signups.sign_up(vol, activity.id)
    with pytest.raises(VolunteerError) as refused:
        rules.set_places(activity.id, 2, by=unit["staff"])
    assert (refused.value.field, refused.value.reason) == ("places", "below_taken")
    assert "3" in refused.value.message
    assert db.session.get(Activity, activity.id).places == 4
    assert rules.set_places(activity.id, 3, by=unit["staff"]) == 0
    db.session.rollback()
    assert db.session.get(Activity, activity.id).places == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.places"))
    assert entry.before == {"places": 4, "taken": 3} and entry.after["places"] == 3


def test_raising_capacity_promotes_the_waiting_list_first_come_first_served(unit):
    activity = create(unit, places=2)
    outcomes = [signups.sign_up(vol, activity.id) for vol in unit["vols"][:5]]
    assert [o.waitlisted for o in outcomes] == [False, False, True, True, True]
    assert rules.set_places(activity.id, 4, by=unit["staff"]) == 2
    db.session.rollback()
    statuses = db.session.execute(select(Signup.user_id, Signup.status).order_by(Signup.id)).all()
    assert [s for _u, s in statuses] == ["signed_up"] * 4 + ["waitlisted"]
    again = db.session.get(Activity, activity.id)
    assert (again.places, again.taken) == (4, 4)
    assert rules.set_places(activity.id, 10, by=unit["staff"]) == 1
    db.session.rollback()
    again = db.session.get(Activity, activity.id)
    assert (again.places, again.taken) == (10, 5)
    assert signups.sign_up(unit["vols"][5], activity.id).waitlisted is False


@pytest.mark.parametrize("places", [0, -1, 501])
def test_places_out_of_bounds_are_refused(unit, places):
    activity = create(unit, places=4)
    with pytest.raises(VolunteerError) as refused:
        rules.set_places(activity.id, places, by=unit["staff"])
    assert refused.value.field == "places"
    assert db.session.get(Activity, activity.id).places == 4


def test_a_cancelled_activity_keeps_its_places(unit):
    activity = create(unit, places=4)
    rules.cancel_activity(activity.id, "天气", by=unit["staff"])
    with pytest.raises(VolunteerError) as refused:
        rules.set_places(activity.id, 8, by=unit["staff"])
    assert refused.value.reason == "cancelled"


# Cancelling, and what volunteers are told --------------------------------------------------


def test_cancelling_keeps_every_sign_up_and_records_the_change(unit):
    activity = create(unit, places=2)
    for vol in unit["vols"][:3]:
        signups.sign_up(vol, activity.id)
    rules.cancel_activity(activity.id, "  社区停电，  改期另行通知 ", by=unit["staff"])
    db.session.rollback()
    assert [s.status for s in db.session.scalars(select(Signup).order_by(Signup.id))] == [
        "signed_up", "signed_up", "waitlisted"]  # fmt: skip
    change = db.session.scalar(select(ActivityChange))
    assert (change.kind, change.reason) == ("cancelled", "社区停电， 改期另行通知")
    assert change.created_by_id == unit["staff"].id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.cancelled"))
    assert entry.after["reason"] == "社区停电， 改期另行通知" and entry.after["signups"] == 3
    # Each of them sees it; nobody else does.
    for vol in unit["vols"][:3]:
        assert [c.kind for c in queries.changes_for(vol.id)] == ["cancelled"]
    assert queries.changes_for(unit["vols"][3].id) == []
    with pytest.raises(VolunteerError) as refused:
        signups.sign_up(unit["vols"][3], activity.id)
    assert refused.value.reason == "cancelled"


@pytest.mark.parametrize("reason", ["", "   ", "长" * 201])
def test_cancelling_needs_a_reason(unit, reason):
    activity = create(unit)
    with pytest.raises(VolunteerError) as refused:
        rules.cancel_activity(activity.id, reason, by=unit["staff"])
    assert refused.value.field == "reason"
    assert db.session.get(Activity, activity.id).status == "open"
    assert count(ActivityChange) == 0


def test_cancelling_twice_cancels_once(unit):
    activity = create(unit)
    rules.cancel_activity(activity.id, "天气", by=unit["staff"])
    with pytest.raises(VolunteerError) as refused:
        rules.cancel_activity(activity.id, "天气", by=unit["staff"])
    assert refused.value.reason == "already_cancelled"
    assert count(ActivityChange) == 1


def test_a_volunteer_sees_each_change_of_their_activities_in_words(unit):
    activity = create(unit)
    vol = unit["vols"][0]
    signups.sign_up(vol, activity.id)
    edit(unit, activity, starts=600, ends=720, address="小区花园", reason="挪到花园")
    seen = queries.changes_for(vol.id)
    assert [c.kind for c in seen] == ["place", "time"]  # the newest first
    assert all(c.reason == "挪到花园" for c in seen)
    texts = [rules.describe_change(c) for c in seen]
    assert "小区花园" in texts[0], texts
    assert "10:00" in texts[1] and "09:00" in texts[1], texts
    # Cancelling their own sign-up: no more news of it.
    signups.cancel_signup(vol, activity.id)
    assert queries.changes_for(vol.id) == []


def test_coming_shifts_are_the_signed_up_and_waiting_ones_soonest_first(unit):
    vol = unit["vols"][0]
    later = create(unit, day=SATURDAY + timedelta(weeks=1), places=1, title="后一个")
    sooner = create(unit, places=1, title="先一个")
    signups.sign_up(unit["vols"][1], later.id)
    signups.sign_up(vol, later.id)  # waiting
    signups.sign_up(vol, sooner.id)
    gone = create(unit, title="被取消的")
    signups.sign_up(vol, gone.id)
    rules.cancel_activity(gone.id, "天气", by=unit["staff"])
    shifts = queries.coming_shifts(vol.id)
    assert [(s.activity.title, s.status) for s in shifts] == [
        ("先一个", "signed_up"), ("后一个", "waitlisted")]  # fmt: skip
