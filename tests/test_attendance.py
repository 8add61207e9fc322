"""Hours that are true: the rules of check-in, check-out, the organiser's marks and
the roster's confirmation, with the clock frozen.

One activity, Saturday 09:00–11:00, 2 hours credited. Hours exist only for time
that happened: nothing before the start, marks until 7 days after the end, a
check-out credits the time between check-in and check-out within the activity's
own times (quarter hours), and more than the activity's length takes staff, a
reason and an audit entry. Nobody credits their own sign-up.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Activity, AuditEntry, Membership, PointsEntry, Signup
from app.volunteers import points, signups
from app.volunteers.common import VolunteerError
from app.volunteers.points import balance

from . import factories as f

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)
START = datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)  # Saturday 09:00
END = START + timedelta(hours=2)
CODE = "123456"


@pytest.fixture
def day(app, freeze):
    """A team's activity with its leader, a deputy, staff, and volunteers signed up
    on Monday; the leader and the deputy signed up too."""
    freeze(MONDAY)
    site = f.site(name="东方中心")
    leader, deputy = f.volunteer("队长"), f.volunteer("副队长")
    vols = [f.volunteer(f"志愿者{i}") for i in range(4)]
    staff = f.user("站长", staff_of=(site,))
    other_site_staff = f.user("别处站长", staff_of=(f.site(name="别的中心"),))
    team = f.team(site, "四季歌志愿服务队", leader=leader)
    db.session.add(Membership(team_id=team.id, user_id=deputy.id, status="deputy"))
    other_leader = f.volunteer("别队队长")
    f.team(site, "别的服务队", leader=other_leader)
    activity = f.activity(site, START, places=10, team_obj=team, checkin_code=CODE)
    db.session.commit()
    rows = {}
    for person in (*vols, leader, deputy):
        rows[person.id] = signups.sign_up(person, activity.id).signup.id
    return dict(site=site, leader=leader, deputy=deputy, vols=vols, staff=staff, team=team,
                other_site_staff=other_site_staff, other_leader=other_leader,
                activity=activity, signup=rows)  # fmt: skip


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def ledger(signup_id):
    db.session.rollback()
    return db.session.scalars(
        select(PointsEntry.points)
        .where(PointsEntry.signup_id == signup_id)
        .order_by(PointsEntry.id)
    ).all()


def refused(reason, call, *args, **kwargs):
    with pytest.raises(VolunteerError) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason, caught.value.message
    return caught.value


def unchanged(signup_id, status="signed_up"):
    row = fresh(Signup, signup_id)
    assert (row.status, Decimal(row.hours_credited)) == (status, 0)
    assert ledger(signup_id) == []


# No hours before the start, none after the window -----------------------------------


def test_the_reported_mints_are_refused(day, freeze):
    """A leader crediting himself 24 h for a 2-hour activity 10 days ahead, and
    staff crediting an activity 3 days before it happened."""
    leader, staff = day["leader"], day["staff"]
    mine = day["signup"][leader.id]
    far = f.activity(day["site"], MONDAY + timedelta(days=10), team_obj=day["team"])
    db.session.commit()
    far_signup = signups.sign_up(leader, far.id).signup.id
    refused("own", signups.mark_attendance, far_signup, True, leader, Decimal(24), "加班")
    unchanged(far_signup)
    freeze(START - timedelta(days=3))
    vol = day["signup"][day["vols"][0].id]
    refused("not_started", signups.mark_attendance, vol, True, staff)
    unchanged(vol)
    # Even once it has happened: not his own, and not 24 h for 2.
    freeze(END)
    refused("own", signups.mark_attendance, mine, True, leader, Decimal(24), "加班")
    unchanged(mine)
    refused("over", signups.mark_attendance, vol, True, leader, Decimal(24), "加班")
    unchanged(vol)


@pytest.mark.parametrize("attended", [True, False])
def test_marks_open_at_the_start(day, freeze, attended):
    vol = day["signup"][day["vols"][0].id]
    freeze(START - timedelta(minutes=1))
    error = refused("not_started", signups.mark_attendance, vol, attended, day["staff"])
    assert "09:00" in error.message
    unchanged(vol)
    freeze(START)
    row = signups.mark_attendance(vol, attended, day["staff"])
    assert row.status == ("attended" if attended else "absent")


def test_marks_close_seven_days_after_the_end(day, freeze):
    vol, other = day["signup"][day["vols"][0].id], day["signup"][day["vols"][1].id]
    freeze(END + timedelta(days=7))
    signups.mark_attendance(vol, True, day["staff"])
    assert points.balance(day["vols"][0].id) == 2
    freeze(END + timedelta(days=7, minutes=1))
    for attended in (True, False):
        error = refused("closed", signups.mark_attendance, other, attended, day["staff"])
        assert "2026-12-05 11:00" in error.message
    unchanged(other)
    refused("closed", signups.mark_attendance, vol, False, day["staff"], None, "记错了")
    assert fresh(Signup, vol).status == "attended" and ledger(vol) == [2]


def test_a_cancelled_activity_credits_nothing(day, freeze):
    vol = day["signup"][day["vols"][0].id]
    activity = db.session.get(Activity, day["activity"].id)
    activity.status = "cancelled"
    db.session.commit()
    freeze(START + timedelta(minutes=10))
    refused("cancelled", signups.mark_attendance, vol, True, day["staff"])
    refused("cancelled", signups.self_check_in, day["vols"][0], activity.id, CODE)
    freeze(END)
    refused("cancelled", signups.confirm_roster, activity.id, day["staff"])
    unchanged(vol)


# Who may credit whom -------------------------------------------------------------------


def test_leaders_and_deputies_mark_others_but_never_themselves(day, freeze):
    leader, deputy = day["leader"], day["deputy"]
    freeze(START + timedelta(hours=1))
    assert signups.can_organise(deputy, day["activity"])
    own = {leader: day["signup"][leader.id], deputy: day["signup"][deputy.id],
           day["staff"]: _staff_signup(day)}  # fmt: skip
    for person, signup_id in own.items():
        refused("own", signups.mark_attendance, signup_id, True, person)
        refused("own", signups.mark_attendance, signup_id, False, person)
    unchanged(day["signup"][leader.id])
    unchanged(day["signup"][deputy.id])
    signups.mark_attendance(day["signup"][leader.id], True, deputy)  # another organiser
    signups.mark_attendance(day["signup"][deputy.id], True, leader)
    assert points.balance(leader.id) == points.balance(deputy.id) == 2


def _staff_signup(day):
    """Staff who volunteer too: their own sign-up is marked by someone else as well."""
    staff = day["staff"]
    from app.models import VolunteerProfile

    db.session.add(VolunteerProfile(user_id=staff.id, real_name="王站长"))
    db.session.add(Signup(activity_id=day["activity"].id, user_id=staff.id, status="signed_up"))
    db.session.commit()
    return db.session.scalar(select(Signup.id).where(Signup.user_id == staff.id))


def test_people_who_do_not_organise_credit_nobody(day, freeze):
    freeze(START + timedelta(hours=1))
    vol = day["signup"][day["vols"][0].id]
    for outsider in (day["vols"][1], day["other_leader"], day["other_site_staff"]):
        assert not signups.can_organise(outsider, day["activity"])
        refused("not_organiser", signups.mark_attendance, vol, True, outsider)
        refused("not_staff", signups.confirm_roster, day["activity"].id, outsider)
    unchanged(vol)


def test_more_than_the_length_takes_staff_a_reason_and_an_audit_entry(day, freeze):
    freeze(END)
    vol = day["signup"][day["vols"][0].id]
    refused("over", signups.mark_attendance, vol, True, day["leader"], Decimal("2.25"), "收尾")
    refused("over", signups.mark_attendance, vol, True, day["deputy"], Decimal("3"), "收尾")
    refused("reason", signups.mark_attendance, vol, True, day["staff"], Decimal("3"), "  ")
    unchanged(vol)
    signups.mark_attendance(vol, True, day["staff"], Decimal("3"), "帮忙收拾场地")
    row = fresh(Signup, vol)
    assert (row.status, row.hours_credited, row.credit_reason) == ("attended", 3, "帮忙收拾场地")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signup.over_hours"))
    assert entry.actor_id == day["staff"].id and entry.after["hours"] == "3"
    assert entry.after["reason"] == "帮忙收拾场地"


def test_scheduled_hours_below_the_length_are_the_ceiling(day, freeze):
    """An activity of 2 hours that credits 1.5 (a break in the middle): more is
    'above its scheduled hours' and takes staff too; a check-out never passes it."""
    short = f.activity(day["site"], START, hours="1.5", team_obj=day["team"], checkin_code=CODE)
    db.session.commit()
    vol = day["vols"][0]
    freeze(MONDAY)
    row = signups.sign_up(vol, short.id).signup.id
    other = signups.sign_up(day["vols"][1], short.id).signup.id
    freeze(START - timedelta(minutes=20))
    signups.self_check_in(vol, short.id, CODE)
    freeze(END)
    assert Decimal(signups.self_check_out(vol, short.id, CODE).hours_credited) == Decimal("1.5")
    refused("over", signups.mark_attendance, other, True, day["leader"], Decimal(2), "全程")
    assert fresh(Signup, other).status == "signed_up"
    signups.mark_attendance(other, True, day["leader"])  # blank: the scheduled 1.5
    assert Decimal(fresh(Signup, other).hours_credited) == Decimal("1.5")
    assert ledger(row) == [2] and ledger(other) == [2]  # 1.5 h → 2 points (half up)


def test_hours_go_in_quarter_hours(day, freeze):
    freeze(END)
    vol = day["signup"][day["vols"][0].id]
    for bad in (Decimal("1.3"), Decimal("0.1"), Decimal("1.26")):
        refused("quarter", signups.mark_attendance, vol, True, day["staff"], bad, "提前离开")
    unchanged(vol)
    for good in (Decimal("0.25"), Decimal("1.75"), Decimal("1.5")):
        signups.mark_attendance(vol, True, day["staff"], good, "提前离开")
        assert Decimal(fresh(Signup, vol).hours_credited) == good


# Check-in and check-out -----------------------------------------------------------------


def test_check_in_opens_an_hour_before_and_credits_nothing(day, freeze):
    vol = day["vols"][0]
    activity_id = day["activity"].id
    freeze(START - timedelta(hours=1, seconds=1))
    refused("not_now", signups.self_check_in, vol, activity_id, CODE)
    freeze(START - timedelta(hours=1))
    refused("code", signups.self_check_in, vol, activity_id, "654321")
    row = signups.self_check_in(vol, activity_id, "１２３ ４５６")  # full-width, as typed
    assert (row.status, row.checked_in_at, row.checked_out_at) == (
        "checked_in", START - timedelta(hours=1), None,
    )  # fmt: skip
    assert Decimal(row.hours_credited) == 0 and ledger(row.id) == []
    assert points.balance(vol.id) == 0
    refused("already", signups.self_check_in, vol, activity_id, CODE)
    freeze(END + timedelta(seconds=1))
    refused("not_now", signups.self_check_in, day["vols"][1], activity_id, CODE)
    unchanged(day["signup"][day["vols"][1].id])


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "hours", "points"),
    [
        (timedelta(minutes=-30), timedelta(hours=2, minutes=30), "2", 20),  # 09:00–11:00 only
        (timedelta(minutes=10), timedelta(minutes=100), "1.5", 15),
        (timedelta(0), timedelta(minutes=67), "1", 10),  # 4.47 quarters
        (timedelta(0), timedelta(minutes=67, seconds=30), "1.25", 13),  # 4.5: half up; 12.5 too
        (timedelta(0), timedelta(minutes=68), "1.25", 13),
        (timedelta(minutes=-50), timedelta(minutes=52, seconds=29), "0.75", 8),  # from 09:00
        (timedelta(minutes=5), timedelta(minutes=10), "0", 0),  # five minutes: nothing to count
        (timedelta(minutes=115), timedelta(hours=3), "0", 0),  # in at 10:55, 5 minutes to go
    ],
)  # fmt: skip
def test_check_out_credits_the_time_between_within_the_activity(
    day, freeze, app, checked_in, checked_out, hours, points
):
    app.config["POINTS_PER_HOUR"] = 10
    vol, activity_id = day["vols"][0], day["activity"].id
    freeze(START + checked_in)
    signups.self_check_in(vol, activity_id, CODE)
    freeze(START + checked_out)
    row = signups.self_check_out(vol, activity_id, CODE)
    assert (row.status, row.checked_out_at) == ("attended", START + checked_out)
    assert Decimal(row.hours_credited) == Decimal(hours)
    assert ledger(row.id) == ([points] if points else [])
    assert balance(vol.id) == points


def test_check_out_refusals_change_nothing(day, freeze):
    vol, activity_id = day["vols"][0], day["activity"].id
    row = day["signup"][vol.id]
    freeze(START + timedelta(minutes=30))
    refused("not_checked_in", signups.self_check_out, vol, activity_id, CODE)  # never checked in
    stranger = f.volunteer("路人")
    db.session.commit()
    refused("not_checked_in", signups.self_check_out, stranger, activity_id, CODE)
    unchanged(row)
    freeze(START - timedelta(minutes=30))
    signups.self_check_in(vol, activity_id, CODE)
    refused("not_started", signups.self_check_out, vol, activity_id, CODE)
    freeze(START + timedelta(minutes=30))
    refused("code", signups.self_check_out, vol, activity_id, "000000")
    refused("code", signups.self_check_out, vol, activity_id, "")
    freeze(END + timedelta(hours=2, seconds=1))
    error = refused("too_late", signups.self_check_out, vol, activity_id, CODE)
    assert "13:00" in error.message
    unchanged(row, "checked_in")
    freeze(END + timedelta(hours=2))
    assert Decimal(signups.self_check_out(vol, activity_id, CODE).hours_credited) == 2
    refused("already", signups.self_check_out, vol, activity_id, CODE)  # twice
    assert ledger(row) == [2]


def test_organisers_mark_a_checked_in_volunteer_and_check_out_then_finds_it_done(day, freeze):
    vol = day["vols"][0]
    row = day["signup"][vol.id]
    freeze(START)
    signups.self_check_in(vol, day["activity"].id, CODE)
    signups.mark_attendance(row, True, day["leader"])
    assert fresh(Signup, row).checked_out_at is None and ledger(row) == [2]
    freeze(END)
    refused("already", signups.self_check_out, vol, day["activity"].id, CODE)
    assert ledger(row) == [2]


def test_an_absent_mark_is_not_undone_by_a_check_in(day, freeze):
    vol = day["vols"][0]
    freeze(START)
    signups.mark_attendance(day["signup"][vol.id], False, day["staff"])
    refused("absent", signups.self_check_in, vol, day["activity"].id, CODE)
    assert fresh(Signup, day["signup"][vol.id]).status == "absent"


def test_changing_measured_hours_takes_a_reason(day, freeze):
    vol = day["vols"][0]
    row = day["signup"][vol.id]
    freeze(START)
    signups.self_check_in(vol, day["activity"].id, CODE)
    freeze(START + timedelta(minutes=90))
    signups.self_check_out(vol, day["activity"].id, CODE)
    refused("reason", signups.mark_attendance, row, True, day["leader"])  # blank would be 2 h
    assert Decimal(fresh(Signup, row).hours_credited) == Decimal("1.5")
    signups.mark_attendance(row, True, day["leader"], Decimal(2), "签退前在帮忙搬桌子")
    assert Decimal(fresh(Signup, row).hours_credited) == 2
    assert ledger(row) == [2]  # 1.5 h was already 2 points (half up): nothing to add


# Confirming the roster ----------------------------------------------------------------------


def test_confirm_credits_forgotten_check_outs_and_leaves_the_rest(day, freeze):
    a, b, c, d = day["vols"]
    activity_id = day["activity"].id
    freeze(START - timedelta(minutes=10))
    for vol in (a, b, c):
        signups.self_check_in(vol, activity_id, CODE)
    freeze(START + timedelta(minutes=45))
    signups.self_check_out(c, activity_id, CODE)  # 0.75 h, as it happened
    error = refused("not_ended", signups.confirm_roster, activity_id, day["staff"])
    assert "11:00" in error.message
    refused("not_staff", signups.confirm_roster, activity_id, day["leader"])
    freeze(END + timedelta(minutes=5))
    assert signups.confirm_roster(activity_id, day["staff"]) == 2
    status = {vol.id: fresh(Signup, day["signup"][vol.id]) for vol in (a, b, c, d)}
    assert [(status[v.id].status, Decimal(status[v.id].hours_credited)) for v in (a, b, c, d)] == [
        ("attended", 2), ("attended", 2), ("attended", Decimal("0.75")), ("signed_up", 0),
    ]  # fmt: skip
    assert status[a.id].checked_out_at is None  # nobody claims they checked out
    assert fresh(Activity, activity_id).roster_confirmed_at == END + timedelta(minutes=5)
    audits = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "activity.roster_confirmed")
    ).all()
    assert len(audits) == 1 and audits[0].after == {"credited": 2, "hours": "2"}
    assert audits[0].target_id == activity_id and audits[0].actor_id == day["staff"].id
    refused("confirmed", signups.confirm_roster, activity_id, day["staff"])
    refused("already", signups.self_check_out, a, activity_id, CODE)
    assert ledger(day["signup"][a.id]) == [2] and ledger(day["signup"][c.id]) == [1]
    # Those who never checked in are still the organiser's to mark.
    signups.mark_attendance(day["signup"][d.id], False, day["leader"])
    assert fresh(Signup, day["signup"][d.id]).status == "absent"


def test_staff_confirming_leave_their_own_check_in_to_someone_else(day, freeze):
    staff_signup = _staff_signup(day)
    freeze(START)
    signups.self_check_in(day["staff"], day["activity"].id, CODE)
    signups.self_check_in(day["vols"][0], day["activity"].id, CODE)
    freeze(END)
    assert signups.confirm_roster(day["activity"].id, day["staff"]) == 1
    assert fresh(Signup, staff_signup).status == "checked_in" and ledger(staff_signup) == []
    signups.mark_attendance(staff_signup, True, day["leader"])
    assert ledger(staff_signup) == [2]


# Points follow hours ---------------------------------------------------------------------


def test_points_always_equal_the_rounded_hours_across_corrections(day, freeze, app):
    """Rounding each change separately drifts (1.25 → 1, then +0.25 → +0 leaves
    1.5 h at 1 point); the sign-up's points are always round(hours × rate)."""
    freeze(END)
    vol = day["vols"][0]
    row = day["signup"][vol.id]
    for hours, total in (("1.25", 1), ("1.5", 2), ("1.75", 2), ("1.25", 1), ("2", 2),
                         ("0.25", 0), ("0.5", 1)):  # fmt: skip
        signups.mark_attendance(row, True, day["staff"], Decimal(hours), f"更正为{hours}")
        assert sum(ledger(row)) == total == points.balance(vol.id), hours
    reasons = db.session.scalars(
        select(PointsEntry.reason).where(PointsEntry.signup_id == row).order_by(PointsEntry.id)
    ).all()
    kinds = db.session.scalars(
        select(PointsEntry.kind).where(PointsEntry.signup_id == row).order_by(PointsEntry.id)
    ).all()
    assert kinds[0] == "earned" and set(kinds[1:]) == {"adjusted"}
    assert reasons[0] == "更正为1.25" and all(r.startswith("更正为") for r in reasons)
    signups.mark_attendance(row, False, day["staff"])
    assert sum(ledger(row)) == 0 == points.balance(vol.id)


def test_a_rate_of_ten_points_an_hour_counts_quarters(day, freeze, app):
    app.config["POINTS_PER_HOUR"] = 10
    freeze(END)
    row = day["signup"][day["vols"][0].id]
    signups.mark_attendance(row, True, day["staff"], Decimal("1.25"), "提前离开")
    signups.mark_attendance(row, True, day["staff"], Decimal("1.75"), "更正")
    assert ledger(row) == [13, 5]  # 12.5 → 13, then 17.5 → 18 in all


def test_taking_points_back_never_drives_a_balance_below_zero(day, freeze):
    freeze(END)
    vol = day["vols"][0]
    row = day["signup"][vol.id]
    signups.mark_attendance(row, True, day["staff"])
    f.points(vol, -2, "spent")
    db.session.commit()
    refused("spent", signups.mark_attendance, row, False, day["staff"])
    refused("spent", signups.mark_attendance, row, True, day["staff"], Decimal("0.5"), "更正")
    assert fresh(Signup, row).status == "attended" and points.balance(vol.id) == 0
    assert db.session.scalar(select(func.count(PointsEntry.id))) == 2
