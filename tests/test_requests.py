"""The rules of residents' requests (诉求), with the clock frozen.

Routing to the grid of the resident's home (or the community's staff), the
scope of each step, the states and the refused moves, deadlines in working
days across a weekend, escalation to the center's staff and then the admins
(once each), rating and reopening within and after 7 days, "me too" counted
once, and the figures: 响应率, 办结率, 按时办结率, 满意率.
"""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    AuditEntry,
    Building,
    Compound,
    Grid,
    GridScope,
    Home,
    Notification,
    RequestDeadline,
    RequestStep,
    ResidentRequest,
    User,
)
from app.requests import deadlines, figures, service
from app.requests.service import RequestRefused

from . import factories as f

FRIDAY = datetime(2026, 11, 27, 16, 0, tzinfo=LOCAL_TZ)
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=LOCAL_TZ)
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL_TZ)


class World:
    pass


@pytest.fixture
def world(app, freeze):
    freeze(MONDAY)
    w = World()
    w.community = f.community(name="东方社区")
    w.center = f.site(w.community, name="东方中心")
    w.station = f.site(w.community, kind="station", station_type="residential", center=w.center,
                       name="阳光站")  # fmt: skip
    w.other_community = f.community(name="梅园社区")
    w.other_center = f.site(w.other_community, name="梅园中心")
    w.g1 = Grid(community_id=w.community.id, name="第一网格", level=1)
    w.g2 = Grid(community_id=w.community.id, name="第二网格", level=1)
    db.session.add_all([w.g1, w.g2])
    db.session.flush()
    w.g1a = Grid(community_id=w.community.id, parent_id=w.g1.id, name="第一网格一组", level=2)
    db.session.add(w.g1a)
    db.session.flush()
    w.compound = Compound(grid_id=w.g1a.id, name="幸福小区")
    db.session.add(w.compound)
    db.session.flush()
    w.building = Building(compound_id=w.compound.id, name="3号楼")
    db.session.add(w.building)
    w.worker1 = f.user("刘网格")
    w.worker2 = f.user("赵网格")
    db.session.add_all([GridScope(user_id=w.worker1.id, grid_id=w.g1.id),
                        GridScope(user_id=w.worker2.id, grid_id=w.g2.id)])  # fmt: skip
    w.center_staff = f.user("张站长", staff_of=(w.center,))
    w.station_staff = f.user("陈社工", staff_of=(w.station,))
    w.other_staff = f.user("梅园站长", staff_of=(w.other_center,))
    w.admin = f.user("管理员", admin=True)
    w.resident = f.user("王阿姨")
    w.neighbour = f.user("李大爷")
    db.session.add(Home(user_id=w.resident.id, community_id=w.community.id, grid_id=w.g1a.id,
                        compound_id=w.compound.id, building_id=w.building.id))  # fmt: skip
    db.session.commit()
    return w


def _report(w, who=None, **kwargs):
    values = {"category": "repairs", "text": "3号楼东侧路灯坏了", "place_kind": "home",
              "public": True}  # fmt: skip
    values.update(kwargs)
    return service.report(who or w.resident, **values)


def _kinds(user) -> list[str]:
    return list(db.session.scalars(
        select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
    ))  # fmt: skip


# Routing ------------------------------------------------------------------------------


def test_a_report_from_home_goes_to_the_grid_of_the_home(world):
    req = _report(world)
    assert (req.community_id, req.grid_id, req.status) == (world.community.id, world.g1a.id,
                                                           "received")  # fmt: skip
    assert service.handler_ids(req) == [world.worker1.id]  # the grid above covers it
    assert _kinds(world.resident) == ["request_received"]
    assert [s.kind for s in req.steps] == ["report"]


def test_a_report_at_a_site_goes_to_the_community_staff(world):
    req = _report(world, world.neighbour, place_kind="site", site_id=world.other_center.id)
    assert (req.community_id, req.grid_id) == (world.other_community.id, None)
    assert service.handler_ids(req) == [world.other_staff.id]


def test_without_a_home_a_report_must_name_a_site(world):
    with pytest.raises(RequestRefused) as refused:
        _report(world, world.neighbour)
    assert refused.value.reason == "no_home"
    assert db.session.scalar(select(func.count(ResidentRequest.id))) == 0


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"category": "weather"}, "bad_category"),
        ({"text": "   "}, "empty"),
        ({"text": "坏" * 1001}, "too_long"),
        ({"text": "路灯\x00坏了"}, "bad_text"),
        ({"place_kind": "moon"}, "bad_place"),
        ({"place_kind": "site", "site_id": 2**31 - 1}, "no_site"),
    ],
)
def test_bad_reports_are_refused_and_keep_nothing(world, change, reason):
    with pytest.raises(RequestRefused) as refused:
        _report(world, **change)
    assert refused.value.reason == reason
    assert db.session.scalar(select(func.count(ResidentRequest.id))) == 0


def test_staff_log_a_request_for_a_resident_and_it_is_audited(world):
    req = service.report(
        None, category="environment", text="垃圾没人清", place_kind="location", public=False,
        community_id=world.community.id, grid_id=world.g2.id, logged_by=world.center_staff,
        resident_mobile="13912345678", resident_name="孙奶奶",
    )  # fmt: skip
    resident = db.session.scalar(select(User).where(User.mobile == "13912345678"))
    assert resident.created_by_staff and req.resident_id == resident.id
    assert (req.grid_id, req.logged_by_id) == (world.g2.id, world.center_staff.id)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"request.logged_for", "user.created_by_staff"} <= actions


# Deadlines -----------------------------------------------------------------------------


def test_deadlines_count_working_days_across_a_weekend():
    assert deadlines.add_working_days(FRIDAY, 1) == datetime(2026, 11, 30, 16, 0, tzinfo=LOCAL_TZ)
    assert deadlines.add_working_days(FRIDAY, 7) == datetime(2026, 12, 8, 16, 0, tzinfo=LOCAL_TZ)
    # Reported on Saturday: the count starts on Monday, so "1 day" is the end of Monday.
    assert deadlines.add_working_days(SATURDAY, 1) == datetime(2026, 12, 1, 0, 0, tzinfo=LOCAL_TZ)
    assert deadlines.add_working_days(MONDAY, 1) == MONDAY + timedelta(days=1)


def test_deadlines_are_set_per_category(world, freeze):
    freeze(FRIDAY)
    db.session.add(RequestDeadline(category="safety", accept_days=2, resolve_days=3))
    db.session.commit()
    req = _report(world, category="safety")
    assert req.accept_due_at == datetime(2026, 12, 1, 16, 0, tzinfo=LOCAL_TZ)
    assert req.resolve_due_at == datetime(2026, 12, 2, 16, 0, tzinfo=LOCAL_TZ)
    other = _report(world, category="repairs")
    assert other.accept_due_at == datetime(2026, 11, 30, 16, 0, tzinfo=LOCAL_TZ)


# States and scope ------------------------------------------------------------------------


def test_the_whole_way_with_a_note_at_each_step(world):
    req = _report(world)
    service.move(req.id, "accept", world.worker1, "明天上午来修")
    service.move(req.id, "start", world.worker1)
    service.move(req.id, "resolve", world.worker1, "已更换灯泡")
    req = db.session.get(ResidentRequest, req.id)
    db.session.refresh(req)
    assert req.status == "resolved" and req.accepted_at and req.resolved_at
    assert [s.kind for s in req.steps] == ["report", "accept", "start", "resolve"]
    assert [s.note for s in req.steps][1:] == ["明天上午来修", "", "已更换灯泡"]
    assert _kinds(world.resident) == ["request_received", "request_accepted",
                                      "request_in_progress", "request_resolved"]  # fmt: skip


@pytest.mark.parametrize("who", ["worker2", "station_staff", "other_staff", "neighbour"])
def test_a_step_outside_the_scope_is_refused(world, who):
    req = _report(world)
    with pytest.raises(RequestRefused) as refused:
        service.move(req.id, "accept", getattr(world, who))
    assert refused.value.reason == "not_yours"
    assert db.session.get(ResidentRequest, req.id).status == "received"


@pytest.mark.parametrize("who", ["worker1", "center_staff", "admin"])
def test_the_grid_above_the_community_staff_and_admins_may_step(world, who):
    req = _report(world)
    service.move(req.id, "accept", getattr(world, who))
    assert db.session.get(ResidentRequest, req.id).status == "accepted"


def test_refused_moves_change_nothing(world):
    req = _report(world)
    with pytest.raises(RequestRefused) as refused:
        service.move(req.id, "resolve", world.worker1)
    assert refused.value.reason == "state"
    service.move(req.id, "accept", world.worker1)
    with pytest.raises(RequestRefused):  # a second tap
        service.move(req.id, "accept", world.worker1)
    with pytest.raises(RequestRefused) as refused:
        service.move(req.id, "reject", world.worker1, "  ")
    assert refused.value.reason == "empty"
    service.move(req.id, "reject", world.worker1, "属于物业管辖，已转告物业")
    with pytest.raises(RequestRefused):
        service.move(req.id, "start", world.worker1)
    statuses = [
        s.to_status
        for s in db.session.scalars(
            select(RequestStep).where(RequestStep.request_id == req.id).order_by(RequestStep.id)
        )
    ]
    assert statuses == ["received", "accepted", "rejected"]


def test_reassignment_stays_within_the_workers_scope(world):
    req = _report(world)
    service.reassign(req.id, world.g1.id, world.worker1)  # from 一组 up to 第一网格: both his
    assert db.session.get(ResidentRequest, req.id).grid_id == world.g1.id
    with pytest.raises(RequestRefused) as refused:
        service.reassign(req.id, world.g2.id, world.worker1)
    assert refused.value.reason == "out_of_scope"
    with pytest.raises(RequestRefused) as refused:
        service.reassign(req.id, None, world.worker1)
    assert refused.value.reason == "out_of_scope"
    other_grid = Grid(community_id=world.other_community.id, name="梅园一格", level=1)
    db.session.add(other_grid)
    db.session.commit()
    with pytest.raises(RequestRefused) as refused:
        service.reassign(req.id, other_grid.id, world.admin)
    assert refused.value.reason == "wrong_grid"
    service.reassign(req.id, world.g2.id, world.center_staff)
    req = db.session.get(ResidentRequest, req.id)
    assert req.grid_id == world.g2.id
    with pytest.raises(RequestRefused):  # no longer in worker1's grids
        service.move(req.id, "accept", world.worker1)
    service.move(req.id, "accept", world.worker2)


# Escalation ---------------------------------------------------------------------------------


def test_overdue_requests_go_to_the_center_staff_then_the_admins_once_each(world, freeze):
    req = _report(world)  # Monday 09:00: accept by Tuesday 09:00
    freeze(datetime(2026, 11, 24, 8, 0, tzinfo=LOCAL_TZ))
    assert service.escalate_overdue() == 0
    freeze(datetime(2026, 11, 24, 10, 0, tzinfo=LOCAL_TZ))
    assert service.is_overdue(db.session.get(ResidentRequest, req.id))
    assert service.escalate_overdue() == 1
    assert service.escalate_overdue() == 0  # the job again: nothing more
    assert _kinds(world.center_staff) == ["request_overdue"]
    assert _kinds(world.admin) == []
    freeze(datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ))  # one more working day
    assert service.escalate_overdue() == 1
    assert service.escalate_overdue() == 0
    assert _kinds(world.admin) == ["request_overdue"]
    assert _kinds(world.center_staff) == ["request_overdue"]
    assert db.session.get(ResidentRequest, req.id).escalation == 2


def test_an_accepted_request_is_overdue_only_after_its_resolve_deadline(world, freeze):
    req = _report(world)
    service.move(req.id, "accept", world.worker1)
    freeze(datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL_TZ))
    assert service.escalate_overdue() == 0
    freeze(datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ))  # past 7 working days
    assert service.escalate_overdue() == 1


# Rating and reopening -------------------------------------------------------------------------


def _resolved(world):
    req = _report(world)
    service.move(req.id, "accept", world.worker1)
    service.move(req.id, "resolve", world.worker1, "已修好")
    return req.id


def test_a_satisfied_rating_closes_the_request(world):
    request_id = _resolved(world)
    with pytest.raises(RequestRefused):
        service.rate(request_id, world.neighbour, "satisfied")
    service.rate(request_id, world.resident, "basic", "修得挺快")
    req = db.session.get(ResidentRequest, request_id)
    assert (req.status, req.rating) == ("closed", "basic")
    with pytest.raises(RequestRefused) as refused:
        service.rate(request_id, world.resident, "satisfied")
    assert refused.value.reason == "state"


def test_an_unsatisfied_rating_reopens_it_and_needs_a_comment(world):
    request_id = _resolved(world)
    with pytest.raises(RequestRefused) as refused:
        service.rate(request_id, world.resident, "unsatisfied", "")
    assert refused.value.reason == "empty"
    service.rate(request_id, world.resident, "unsatisfied", "灯还是不亮")
    req = db.session.get(ResidentRequest, request_id)
    assert (req.status, req.reopened, req.resolved_at) == ("in_progress", 1, None)
    assert _kinds(world.worker1) == ["request_reopened"]


def test_a_resident_reopens_within_7_days_not_after(world, freeze):
    request_id = _resolved(world)
    service.rate(request_id, world.resident, "satisfied")
    freeze(MONDAY + timedelta(days=6))
    service.reopen(request_id, world.resident, "又坏了")
    assert db.session.get(ResidentRequest, request_id).status == "in_progress"
    service.move(request_id, "resolve", world.worker1, "换了新灯")
    freeze(MONDAY + timedelta(days=6 + 8))
    with pytest.raises(RequestRefused) as refused:
        service.reopen(request_id, world.resident, "又坏了")
    assert refused.value.reason == "too_late"


def test_unrated_requests_close_after_7_days(world, freeze):
    request_id = _resolved(world)
    freeze(MONDAY + timedelta(days=6))
    assert service.close_unrated() == 0
    freeze(MONDAY + timedelta(days=8))
    assert service.close_unrated() == 1
    assert db.session.get(ResidentRequest, request_id).status == "closed"


def test_the_follow_up_call_comes_after_resolution(world):
    req = _report(world)
    with pytest.raises(RequestRefused):
        service.follow_up(req.id, world.worker1, "居民满意")
    request_id = _resolved(world)
    service.follow_up(request_id, world.worker1, "居民表示满意")
    assert db.session.get(ResidentRequest, request_id).followed_up_at is not None


# Me too --------------------------------------------------------------------------------------


def test_me_too_counts_once_per_resident(world):
    req = _report(world)
    assert service.support(req.id, world.neighbour) is True
    assert service.support(req.id, world.neighbour) is False
    assert service.support(req.id, world.worker1) is True
    with pytest.raises(RequestRefused) as refused:
        service.support(req.id, world.resident)
    assert refused.value.reason == "own"
    private = _report(world, public=False)
    with pytest.raises(RequestRefused) as refused:
        service.support(private.id, world.neighbour)
    assert refused.value.reason == "not_public"
    assert db.session.get(ResidentRequest, req.id).me_too == 2


# Figures ---------------------------------------------------------------------------------------


def test_the_rates_are_computed_from_the_records(world, freeze):
    on_time = _resolved(world)  # accepted and resolved on Monday
    service.rate(on_time, world.resident, "satisfied")
    unhappy = _resolved(world)
    service.rate(unhappy, world.resident, "unsatisfied", "没修好")  # reopened: not resolved
    late = _report(world).id
    rejected = _report(world).id
    service.move(rejected, "reject", world.worker1, "不属于社区")
    freeze(datetime(2026, 11, 25, 10, 0, tzinfo=LOCAL_TZ))  # Wednesday: Monday's accept is late
    service.move(late, "accept", world.worker1)
    service.move(late, "resolve", world.worker1)
    still_in_time = _report(world).id  # reported now: its accept deadline has not passed
    numbers = figures.figures(community_id=world.community.id)
    assert numbers.received == 5
    # 响应率: accepted on time among those accepted or past the deadline
    # (on_time, unhappy: on time; late: late; rejected: past its deadline, never accepted).
    assert (numbers.accepted_on_time, numbers.due_or_accepted) == (2, 4)
    assert numbers.response_rate == pytest.approx(0.5)
    # 办结率: resolved or closed among the 4 not rejected (on_time closed, late resolved).
    assert (numbers.resolved, numbers.not_rejected) == (2, 4)
    assert numbers.resolution_rate == pytest.approx(0.5)
    assert numbers.resolved_on_time == 2  # late was resolved within its 7 working days
    # 满意率: 满意 + 基本满意 among the rated (on_time satisfied, unhappy not).
    assert (numbers.satisfied, numbers.rated) == (1, 2)
    assert figures.figures(community_id=world.other_community.id).received == 0
    assert figures.figures(street_id=world.community.street_id).received == 5
    assert figures.figures().satisfaction_rate == pytest.approx(0.5)
    assert still_in_time is not None
