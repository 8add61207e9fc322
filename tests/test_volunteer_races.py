"""Volunteering under double taps and two app workers: real parallel HTTP requests
against a live gunicorn server with two workers (SQLite, or PostgreSQL with
TEST_DATABASE_URL). Each test fires its requests together (a barrier) and then
reads the database: one decision per request, places and points that add up,
and never a 500.

The clock is the real one: the server runs in its own processes, so activities
are placed relative to now (one that started 30 minutes ago, one in two days).
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import (
    Activity,
    AuditEntry,
    Booking,
    MallItem,
    Membership,
    PointsEntry,
    Redemption,
    Signup,
    Slot,
    User,
)
from app.volunteers.points import balance

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}
CODE = "123456"


def _signup(activity, user, status, hours=0):
    row = Signup(activity_id=activity.id, user_id=user.id, status=status, hours_credited=hours)
    db.session.add(row)
    db.session.flush()
    return row


def _checked_in(activity, user):
    """A volunteer who checked in at the start and has not checked out."""
    row = _signup(activity, user, "checked_in")
    row.checked_in_at = activity.starts_at
    db.session.flush()
    return row


def _attended_with_points(activity, user, spent=0):
    """An attended sign-up credited 2 hours (2 points), of which ``spent`` are spent."""
    row = _signup(activity, user, "attended", hours=2)
    db.session.add(PointsEntry(user_id=user.id, kind="earned", points=2, signup_id=row.id))
    if spent:
        f.points(user, -spent, "spent")
    db.session.flush()
    return row


def _reserved(item, user):
    """A redemption waiting to be picked up: its points are spent, its stock taken."""
    f.points(user, item.points_cost, "earned")
    row = Redemption(
        item_id=item.id, user_id=user.id, points=item.points_cost, code=f"{item.id:08d}"
    )
    db.session.add(row)
    db.session.flush()
    db.session.add(
        PointsEntry(user_id=user.id, kind="spent", points=-item.points_cost, redemption_id=row.id)
    )
    db.session.flush()
    return row


@pytest.fixture(scope="module")
def arena(databases, template_url):
    """Every scene of the module, built once, served by one two-worker server."""
    url = databases.new_url(template=template_url)
    app = make_app(url)
    now = clock.now().replace(microsecond=0)
    with app.app_context():
        site = f.site(name="东方中心")
        staff = [f.user("站长甲", staff_of=(site,)), f.user("站长乙", staff_of=(site,))]
        leader = f.volunteer("队长")
        team = f.team(site, "四季歌志愿服务队", leader=leader)
        vol = iter(f.volunteer(f"志愿者{i}") for i in range(100))
        ids: dict = {"site": site.id, "team": team.id}

        # Cancelling: places full, a queue behind them.
        later = now + timedelta(days=2)
        queue = f.activity(site, later, places=4, team_obj=team, title="排队活动", taken=4)
        ids["queue"] = queue.id
        ids["queue_holders"] = [_signup(queue, next(vol), "signed_up").user for _ in range(4)]
        ids["queue_waiting"] = [_signup(queue, next(vol), "waitlisted").id for _ in range(12)]
        ids["queue_newcomers"] = [next(vol) for _ in range(4)]
        pair = f.activity(site, later, places=1, team_obj=team, title="单人活动", taken=1)
        ids["pair"] = pair.id
        ids["pair_holder"] = _signup(pair, next(vol), "signed_up").user
        ids["pair_waiting"] = [_signup(pair, next(vol), "waitlisted").id for _ in range(3)]

        # Checking in and marking: an activity that started half an hour ago.
        started = now - timedelta(minutes=30)
        running = f.activity(site, started, places=30, team_obj=team, title="进行中", taken=10)
        ids["running"] = running.id
        ids["checkin"] = [_signup(running, next(vol), "signed_up").id for _ in range(5)]
        ids["checkin_twice"] = _signup(running, next(vol), "signed_up").id
        ids["marked_twice"] = _signup(running, next(vol), "signed_up").id
        ids["absent_many"] = _attended_with_points(running, next(vol)).id
        ids["absent_spent"] = _attended_with_points(running, next(vol), spent=2).id
        ids["absent_twice"] = _attended_with_points(running, next(vol)).id

        # Checking out and confirming the roster: activities 2 hours long that
        # ended half an hour ago, their volunteers checked in at the start.
        ended = now - timedelta(hours=2, minutes=30)
        out = f.activity(site, ended, places=30, team_obj=team, title="刚结束", taken=7)
        ids["ended"] = out.id
        ids["checkout_many"] = _checked_in(out, next(vol)).id
        ids["checkout_twice"] = _checked_in(out, next(vol)).id
        ids["checkout_marked"] = [_checked_in(out, next(vol)).id for _ in range(5)]
        for name, checked_in in (("confirm_many", 4), ("confirm_twice", 2), ("confirm_out", 5)):
            activity = f.activity(site, ended, places=30, team_obj=team, title=name,
                                  taken=checked_in + 1)  # fmt: skip
            ids[name] = activity.id
            ids[f"{name}_in"] = [_checked_in(activity, next(vol)).id for _ in range(checked_in)]
            ids[f"{name}_signed_up"] = _signup(activity, next(vol), "signed_up").id

        # The love mall: reserved redemptions, each on its own item.
        for name in ("cancel_many", "mixed", "cancel_twice"):
            item = f.mall_item(site, cost=5, stock=2, name=f"大米{name}")
            ids[name] = _reserved(item, next(vol)).id

        # Joining the team: pending requests.
        for name in ("join_mixed", "join_many", "join_twice", "decline_twice"):
            membership = Membership(team_id=team.id, user_id=next(vol).id, status="pending")
            db.session.add(membership)
            db.session.flush()
            ids[name] = membership.id

        # 代预约: a bookable service, two slots tomorrow.
        service = f.bookable_service(site, rule={"max_active": 5})
        tomorrow = now + timedelta(days=1)
        ids["slot_many"] = f.slot(service, tomorrow, capacity=5).id
        ids["slot_twice"] = f.slot(service, tomorrow + timedelta(hours=2), capacity=5).id
        db.session.commit()
        ids["staff"] = [s.mobile for s in staff]
        ids["leader"] = leader.mobile
        for key in ("queue_holders", "queue_newcomers"):
            ids[key] = [(u.id, u.mobile) for u in ids[key]]
        ids["pair_holder"] = (ids["pair_holder"].id, ids["pair_holder"].mobile)
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **ids}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobile: str, token_path: str = "/") -> tuple[Visitor, str]:
    """A browser logged in as ``mobile`` and its CSRF token (one login per number:
    a password check is slow by design, and requests go out through ``taps``)."""
    sessions = arena.setdefault("sessions", {})
    if mobile not in sessions:
        visitor = Visitor(arena["base_url"])
        visitor.login(mobile, f.PASSWORD)
        sessions[mobile] = visitor, visitor.token(token_path)
    return sessions[mobile]


def taps(visitor: Visitor, n: int) -> list[Visitor]:
    """``n`` copies of one logged-in browser: the same session, separate connections."""
    copies = []
    for _ in range(n):
        copy = Visitor(visitor.base_url)
        copy.session.cookies.update(visitor.session.cookies)
        copies.append(copy)
    return copies


def mobile_of(arena, signup_id: int) -> str:
    with arena["app"].app_context():
        mobile = db.session.scalar(
            select(User.mobile)
            .join(Signup, Signup.user_id == User.id)
            .where(Signup.id == signup_id)
        )
        db.session.remove()
    return mobile


def no_server_errors(responses) -> list[int]:
    statuses = [r.status_code for r in responses]
    assert all(status < 500 for status in statuses), statuses
    return statuses


def read(arena, query):
    """Run ``query(session)`` against the database, in a fresh session."""
    with arena["app"].app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()


# Cancelling a sign-up: one freed place, one promotion -------------------------------


def _places(session, activity_id):
    taken = session.scalar(select(Activity.taken).where(Activity.id == activity_id))
    rows = session.execute(
        select(Signup.id, Signup.user_id, Signup.status).where(Signup.activity_id == activity_id)
    ).all()
    return taken, rows


def test_twenty_cancel_taps_promote_one_waiting_volunteer_per_freed_place(arena):
    activity = arena["queue"]
    path = f"/activities/{activity}/cancel"
    calls = []
    for _user_id, mobile in arena["queue_holders"]:
        visitor, token = logged_in(arena, mobile, f"/activities/{activity}")
        calls += [lambda v=v, t=token: v.post(path, {}, t) for v in taps(visitor, 5)]
    signup_path = f"/activities/{activity}/signup"
    for _user_id, mobile in arena["queue_newcomers"]:
        visitor, token = logged_in(arena, mobile, f"/activities/{activity}")
        calls.append(lambda v=visitor, t=token: v.post(signup_path, {}, t))
    assert len(calls) == 24
    assert set(no_server_errors(fire_together(calls))) == {303}

    taken, rows = read(arena, lambda s: _places(s, activity))
    by_status = {}
    for signup_id, user_id, status in rows:
        by_status.setdefault(status, []).append((signup_id, user_id))
    holders = {user_id for user_id, _mobile in arena["queue_holders"]}
    newcomers = {user_id for user_id, _mobile in arena["queue_newcomers"]}
    assert {user_id for _id, user_id in by_status["cancelled"]} == holders
    assert len(by_status["cancelled"]) == 4  # each holder cancelled once
    # The four freed places went to the first four in the queue, not to newcomers.
    assert sorted(i for i, _user in by_status["signed_up"]) == arena["queue_waiting"][:4]
    assert taken == len(by_status["signed_up"]) == 4
    waiting_users = {user_id for _id, user_id in by_status["waitlisted"]}
    assert len(by_status["waitlisted"]) == 8 + 4 and newcomers <= waiting_users


def test_double_cancel_frees_one_place(arena):
    activity = arena["pair"]
    visitor, token = logged_in(arena, arena["pair_holder"][1], f"/activities/{activity}")
    path = f"/activities/{activity}/cancel"
    responses = fire_together([lambda v=v: v.post(path, {}, token) for v in taps(visitor, 2)])
    assert set(no_server_errors(responses)) == {303}
    taken, rows = read(arena, lambda s: _places(s, activity))
    status = {signup_id: status for signup_id, _user, status in rows}
    first, *rest = arena["pair_waiting"]
    assert status[first] == "signed_up" and all(status[i] == "waitlisted" for i in rest)
    assert taken == 1 == list(status.values()).count("signed_up")
    assert list(status.values()).count("cancelled") == 1


# Check-in and the organiser's mark: hours credited once ---------------------------


def _credit(session, signup_id):
    row = session.get(Signup, signup_id)
    entries = session.scalars(
        select(PointsEntry.points).where(PointsEntry.signup_id == signup_id)
    ).all()
    return row.status, row.hours_credited, entries, balance(row.user_id)


def _organiser(arena, n: int):
    visitor, token = logged_in(arena, arena["staff"][0], f"/activities/{arena['running']}/roster")
    return [(copy, token) for copy in taps(visitor, n)]


def test_check_in_and_marks_at_once_credit_each_volunteer_once(arena):
    """Two check-in taps and two organiser's marks per volunteer: the marks credit
    the scheduled hours once; a check-in that comes after them is refused."""
    activity = arena["running"]
    organisers = iter(_organiser(arena, 2 * len(arena["checkin"])))
    check_in = f"/activities/{activity}/check-in"
    calls = []
    for signup_id in arena["checkin"]:
        visitor, token = logged_in(arena, mobile_of(arena, signup_id), f"/activities/{activity}")
        calls += [
            lambda v=v, t=token: v.post(check_in, {"code": CODE}, t) for v in taps(visitor, 2)
        ]
        mark = f"/activities/{activity}/roster/{signup_id}"
        for staff, token in (next(organisers), next(organisers)):
            calls.append(lambda v=staff, t=token, p=mark: v.post(p, {"attended": "1"}, t))
    assert len(calls) == 20
    statuses = no_server_errors(fire_together(calls))
    for n in range(len(arena["checkin"])):
        taps_of_one, marks_of_one = statuses[4 * n : 4 * n + 2], statuses[4 * n + 2 : 4 * n + 4]
        assert marks_of_one == [303, 303] and sorted(taps_of_one) in ([303, 422], [422, 422])
    for signup_id in arena["checkin"]:
        status, hours, entries, points = read(arena, lambda s, i=signup_id: _credit(s, i))
        assert (status, hours, entries, points) == ("attended", 2, [2], 2), signup_id


def test_double_check_in_and_double_mark_credit_once(arena):
    activity = arena["running"]
    mobile = mobile_of(arena, arena["checkin_twice"])
    visitor, token = logged_in(arena, mobile, f"/activities/{activity}")
    check_in = f"/activities/{activity}/check-in"
    calls = [lambda v=v: v.post(check_in, {"code": CODE}, token) for v in taps(visitor, 2)]
    mark = f"/activities/{activity}/roster/{arena['marked_twice']}"
    calls += [lambda v=v, t=t: v.post(mark, {"attended": "1"}, t) for v, t in _organiser(arena, 2)]
    statuses = no_server_errors(fire_together(calls))
    assert sorted(statuses[:2]) == [303, 422] and statuses[2:] == [303, 303]
    # Checked in once, and no hours until the check-out.
    outcome = read(arena, lambda s: _credit(s, arena["checkin_twice"]))
    assert outcome == ("checked_in", 0, [], 0)
    outcome = read(arena, lambda s: _credit(s, arena["marked_twice"]))
    assert outcome == ("attended", 2, [2], 2)


# Check-out and the roster's confirmation: hours credited once -----------------------


def _check_out_calls(arena, signup_id, n, activity=None):
    activity = activity or arena["ended"]
    visitor, token = logged_in(arena, mobile_of(arena, signup_id), f"/activities/{activity}")
    path = f"/activities/{activity}/check-out"
    return [lambda v=v: v.post(path, {"code": CODE}, token) for v in taps(visitor, n)]


def test_twenty_check_out_taps_credit_once(arena):
    signup_id = arena["checkout_many"]
    statuses = no_server_errors(fire_together(_check_out_calls(arena, signup_id, 20)))
    assert statuses.count(303) == 1 and statuses.count(422) == 19, statuses
    # Checked in at the start, the check-out after the end: the whole 2 hours.
    assert read(arena, lambda s: _credit(s, signup_id)) == ("attended", 2, [2], 2)


def test_double_check_out_credits_once(arena):
    signup_id = arena["checkout_twice"]
    statuses = no_server_errors(fire_together(_check_out_calls(arena, signup_id, 2)))
    assert sorted(statuses) == [303, 422]
    assert read(arena, lambda s: _credit(s, signup_id)) == ("attended", 2, [2], 2)


def test_check_outs_and_marks_at_once_credit_each_volunteer_once(arena):
    activity = arena["ended"]
    visitor, token = logged_in(arena, arena["staff"][1], f"/activities/{activity}/roster")
    marks = iter(taps(visitor, 2 * len(arena["checkout_marked"])))
    calls = []
    for signup_id in arena["checkout_marked"]:
        calls += _check_out_calls(arena, signup_id, 2)
        path = f"/activities/{activity}/roster/{signup_id}"
        organisers = [next(marks), next(marks)]
        calls += [lambda v=v, p=path: v.post(p, {"attended": "1"}, token) for v in organisers]
    assert len(calls) == 20
    assert set(no_server_errors(fire_together(calls))) <= {303, 422}
    for signup_id in arena["checkout_marked"]:
        outcome = read(arena, lambda s, i=signup_id: _credit(s, i))
        assert outcome == ("attended", 2, [2], 2), signup_id


def _confirms(arena, activity, n):
    paths = f"/activities/{activity}/roster/confirm"
    staff = [logged_in(arena, m, f"/activities/{activity}/roster") for m in arena["staff"]]
    calls = []
    for i in range(n):
        visitor, token = staff[i % 2]
        [copy] = taps(visitor, 1)
        calls.append(lambda v=copy, t=token: v.post(paths, {}, t))
    return calls


def _confirmed(arena, name):
    def outcome(session):
        activity = session.get(Activity, arena[name])
        audited = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "activity.roster_confirmed",
                AuditEntry.target_id == activity.id,
            )
        )
        return activity.roster_confirmed_at is not None, audited

    assert read(arena, outcome) == (True, 1)
    for signup_id in arena[f"{name}_in"]:
        assert read(arena, lambda s, i=signup_id: _credit(s, i)) == ("attended", 2, [2], 2)
    untouched = read(arena, lambda s: _credit(s, arena[f"{name}_signed_up"]))
    assert untouched == ("signed_up", 0, [], 0)  # left for the organiser to mark


def test_twenty_confirms_of_one_roster_confirm_it_once(arena):
    statuses = no_server_errors(fire_together(_confirms(arena, arena["confirm_many"], 20)))
    assert statuses.count(303) == 1 and statuses.count(422) == 19, statuses
    _confirmed(arena, "confirm_many")


def test_double_confirm_confirms_once(arena):
    statuses = no_server_errors(fire_together(_confirms(arena, arena["confirm_twice"], 2)))
    assert sorted(statuses) == [303, 422]
    _confirmed(arena, "confirm_twice")


def test_check_outs_during_the_confirmation_credit_each_volunteer_once(arena):
    activity = arena["confirm_out"]
    calls = _confirms(arena, activity, 10)
    for signup_id in arena["confirm_out_in"]:
        calls += _check_out_calls(arena, signup_id, 2, activity)
    assert len(calls) == 20
    statuses = no_server_errors(fire_together(calls))
    assert statuses[:10].count(303) == 1 and set(statuses) <= {303, 422}
    _confirmed(arena, "confirm_out")


def _mark_absent(arena, signup_id, n):
    path = f"/activities/{arena['running']}/roster/{signup_id}"
    calls = [lambda v=v, t=t: v.post(path, {"attended": "0"}, t) for v, t in _organiser(arena, n)]
    return no_server_errors(fire_together(calls))


def test_twenty_absent_marks_take_the_points_back_once(arena):
    statuses = _mark_absent(arena, arena["absent_many"], 20)
    assert set(statuses) <= {303, 422}
    status, hours, entries, points = read(arena, lambda s: _credit(s, arena["absent_many"]))
    assert (status, hours, sorted(entries), points) == ("absent", 0, [-2, 2], 0)


def test_absent_marks_never_drive_a_spent_balance_below_zero(arena):
    statuses = _mark_absent(arena, arena["absent_spent"], 20)
    assert set(statuses) == {422}  # the points are spent: the mark is refused
    status, hours, entries, points = read(arena, lambda s: _credit(s, arena["absent_spent"]))
    assert (status, hours, entries, points) == ("attended", 2, [2], 0)


def test_double_absent_mark_takes_the_points_back_once(arena):
    _mark_absent(arena, arena["absent_twice"], 2)
    status, hours, entries, points = read(arena, lambda s: _credit(s, arena["absent_twice"]))
    assert (status, hours, sorted(entries), points) == ("absent", 0, [-2, 2], 0)


# The love mall: one refund per cancelled redemption --------------------------------


def _decide_redemption(arena, redemption_id, decisions):
    path = f"/staff/sites/{arena['site']}/redemptions/{redemption_id}"
    visitor, token = logged_in(
        arena, arena["staff"][1], f"/staff/sites/{arena['site']}/redemptions"
    )
    calls = [
        lambda v=v, d=d: v.post(path, {"decision": d}, token)
        for v, d in zip(taps(visitor, len(decisions)), decisions, strict=True)
    ]
    assert set(no_server_errors(fire_together(calls))) == {303}

    def outcome(session):
        row = session.get(Redemption, redemption_id)
        refunds = session.scalars(
            select(PointsEntry.points).where(
                PointsEntry.redemption_id == redemption_id, PointsEntry.kind == "refund"
            )
        ).all()
        stock = session.scalar(select(MallItem.stock).where(MallItem.id == row.item_id))
        audits = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.target_type == "redemption", AuditEntry.target_id == redemption_id
            )
        ).all()
        return row.status, refunds, stock, audits, balance(row.user_id)

    return read(arena, outcome)


def test_twenty_cancels_of_one_redemption_refund_once(arena):
    status, refunds, stock, audits, points = _decide_redemption(
        arena, arena["cancel_many"], ["cancel"] * 20
    )
    assert (status, refunds, stock, audits, points) == (
        "cancelled", [5], 3, ["redemption.cancelled"], 5,
    )  # fmt: skip


def test_hand_over_and_cancel_at_once_decide_once(arena):
    status, refunds, stock, audits, points = _decide_redemption(
        arena, arena["mixed"], ["cancel", "picked_up"] * 10
    )
    assert audits == [f"redemption.{status}"]
    if status == "cancelled":
        assert (refunds, stock, points) == ([5], 3, 5)
    else:
        assert (status, refunds, stock, points) == ("picked_up", [], 2, 0)


def test_double_cancel_of_a_redemption_refunds_once(arena):
    outcome = _decide_redemption(arena, arena["cancel_twice"], ["cancel", "cancel"])
    assert outcome == ("cancelled", [5], 3, ["redemption.cancelled"], 5)


# Joining a team: one answer per request ---------------------------------------------


def _decide_membership(arena, membership_id, decisions):
    team = arena["team"]
    user_id = read(arena, lambda s: s.get(Membership, membership_id).user_id)
    path = f"/teams/{team}/members/{membership_id}"
    deciders = [logged_in(arena, m, f"/teams/{team}") for m in (arena["staff"][0], arena["leader"])]
    calls = []
    for i, decision in enumerate(decisions):
        visitor, token = deciders[i % 2]
        [copy] = taps(visitor, 1)
        calls.append(lambda v=copy, t=token, d=decision: v.post(path, {"decision": d}, t))
    statuses = no_server_errors(fire_together(calls))
    # A declined request is gone: a later answer finds nothing to answer (404).
    assert set(statuses) <= {303, 404}, statuses

    def outcome(session):
        row = session.get(Membership, membership_id)
        audits = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_type == "team", AuditEntry.target_id == team)
            .where(AuditEntry.action.in_(("team.member_approved", "team.member_declined")))
        ).all()
        mine = [a.action for a in audits if (a.after or {}).get("user_id") == user_id]
        return (row.status if row else None), mine

    return read(arena, outcome)


@pytest.mark.parametrize(
    ("scene", "decisions"),
    [
        ("join_mixed", ["approve", "decline"] * 10),
        ("join_many", ["approve"] * 20),
        ("join_twice", ["approve", "approve"]),
        ("decline_twice", ["decline", "decline"]),
    ],
)
def test_one_join_request_is_answered_once(arena, scene, decisions):
    state, audits = _decide_membership(arena, arena[scene], decisions)
    assert audits in (["team.member_approved"], ["team.member_declined"]), audits
    assert state == ("member" if audits == ["team.member_approved"] else None)
    if "decline" not in decisions:
        assert state == "member"
    if "approve" not in decisions:
        assert state is None


# 代预约: one new account for one new number -----------------------------------------


def _proxy_book(arena, mobile, slot_id, n):
    path = f"/staff/sites/{arena['site']}/proxy-book"
    staff = [logged_in(arena, m, path) for m in arena["staff"]]
    calls = []
    for i in range(n):
        visitor, token = staff[i % 2]
        [copy] = taps(visitor, 1)
        data = {"mobile": mobile, "display_name": "王阿姨", "slot_id": slot_id, "seats": 1}
        calls.append(lambda v=copy, t=token, d=data: v.post(path, d, t))
    statuses = no_server_errors(fire_together(calls))

    def outcome(session):
        users = session.scalars(select(User.id).where(User.mobile == mobile)).all()
        created = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "user.created_by_staff", AuditEntry.target_id.in_(users)
            )
        )
        bookings = session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot_id))
        taken = session.scalar(select(Slot.taken).where(Slot.id == slot_id))
        return len(users), created, bookings, taken

    return statuses, read(arena, outcome)


def test_twenty_proxy_bookings_of_one_new_number_make_one_account(arena):
    statuses, outcome = _proxy_book(arena, "13700000001", arena["slot_many"], 20)
    assert outcome == (1, 1, 1, 1)
    # One booking; the others are told the resident already has this time.
    assert statuses.count(303) == 1 and set(statuses) == {303, 422}, statuses


def test_double_proxy_booking_of_a_new_number_makes_one_account(arena):
    statuses, outcome = _proxy_book(arena, "13700000002", arena["slot_twice"], 2)
    assert outcome == (1, 1, 1, 1)
    assert sorted(statuses) == [303, 422]


def test_proxy_booking_that_loses_the_insert_race_books_for_the_new_account(app, monkeypatch):
    """The path the live race takes on PostgreSQL, made to happen on any database:
    the number was free when looked up, and taken by the time of the insert."""
    from app.accounts import service as accounts
    from app.bookings import service as bookings

    site = f.site()
    staff = f.user("站长", staff_of=(site,))
    slot = f.slot(f.bookable_service(site), clock.now() + timedelta(days=1))
    other = User(mobile="13700000009", display_name="王阿姨", created_by_staff=True)
    db.session.add(other)  # what the other staff's request has just committed
    db.session.commit()
    real_lookup, lookups = accounts.find_by_mobile, []

    def looked_up_too_early(mobile):
        lookups.append(mobile)
        return None if len(lookups) == 1 else real_lookup(mobile)

    monkeypatch.setattr(accounts, "find_by_mobile", looked_up_too_early)
    outcome = bookings.proxy_book(staff, site, "13700000009", "王阿姨", slot.id)
    assert outcome.booking.user_id == other.id and len(lookups) == 2
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id)).where(User.mobile == "13700000009")) == 1
    created = select(func.count(AuditEntry.id)).where(AuditEntry.action == "user.created_by_staff")
    assert db.session.scalar(created) == 0  # the account was not made here
    assert db.session.scalar(select(func.count(Booking.id))) == 1
