"""Volunteering rules and pages: teams, projects and 公示, sign-ups, hours,
points, certificates and the love mall. The clock is frozen."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from icalendar import Calendar
from sqlalchemy import func, select

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Activity, AuditEntry, MallItem, Membership, PointsEntry, Project, Signup
from app.volunteers import common, points, projects, record, signups, teams

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
SATURDAY_9 = datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
# Hours are credited once the activity has started (it runs 09:00–11:00).
DURING = SATURDAY_9 + timedelta(hours=1)


@pytest.fixture
def town(app, freeze):
    freeze(NOW)
    site = f.site(name="东方中心")
    leader = f.volunteer("队长")
    vols = [f.volunteer(f"志愿者{i}") for i in range(4)]
    resident = f.user("居民")
    staff = f.user("站长", staff_of=(site,))
    team = f.team(site, "四季歌志愿服务队", leader=leader)
    project = f.project(site, "running", teams=(team,))
    activity = f.activity(site, SATURDAY_9, places=2, project_obj=project, team_obj=team)
    db.session.commit()
    return dict(site=site, leader=leader, vols=vols, resident=resident, staff=staff, team=team,
                project=project, activity=activity)  # fmt: skip


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


# Sign-ups ---------------------------------------------------------------------


def test_sign_up_then_waitlist_then_promotion_on_cancel(town):
    a, v = town["activity"], town["vols"]
    assert not signups.sign_up(v[0], a.id).waitlisted
    assert not signups.sign_up(v[1], a.id).waitlisted
    third = signups.sign_up(v[2], a.id)
    fourth = signups.sign_up(v[3], a.id)
    assert third.waitlisted and fourth.waitlisted
    assert fresh(Activity, a.id).taken == 2
    signups.cancel_signup(v[0], a.id)
    assert fresh(Signup, third.signup.id).status == "signed_up"  # first in the queue moves up
    assert fresh(Signup, fourth.signup.id).status == "waitlisted"
    assert fresh(Activity, a.id).taken == 2


def test_cancelling_a_waitlist_place_frees_no_seat(town):
    a, v = town["activity"], town["vols"]
    signups.sign_up(v[0], a.id)
    signups.sign_up(v[1], a.id)
    signups.sign_up(v[2], a.id)
    signups.cancel_signup(v[2], a.id)
    assert fresh(Activity, a.id).taken == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda a: setattr(a, "signup_deadline", NOW - timedelta(minutes=1)), "deadline"),
        (lambda a: setattr(a, "status", "cancelled"), "cancelled"),
        (lambda a: (setattr(a, "starts_at", NOW - timedelta(hours=1)),
                    setattr(a, "signup_deadline", NOW + timedelta(hours=1))), "past"),
    ],
)  # fmt: skip
def test_sign_up_refusals(town, change, reason):
    change(town["activity"])
    db.session.commit()
    with pytest.raises(common.VolunteerError) as refused:
        signups.sign_up(town["vols"][0], town["activity"].id)
    assert refused.value.reason == reason
    assert db.session.scalar(select(func.count(Signup.id))) == 0


def test_second_sign_up_is_refused_and_the_index_backs_it(town):
    from sqlalchemy.exc import IntegrityError

    signups.sign_up(town["vols"][0], town["activity"].id)
    with pytest.raises(common.VolunteerError) as refused:
        signups.sign_up(town["vols"][0], town["activity"].id)
    assert refused.value.reason == "duplicate"
    db.session.add(
        Signup(activity_id=town["activity"].id, user_id=town["vols"][0].id, status="waitlisted")
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_residents_need_a_volunteer_profile(town):
    with pytest.raises(common.VolunteerError) as refused:
        signups.sign_up(town["resident"], town["activity"].id)
    assert refused.value.reason == "not_volunteer"


def test_cancel_after_the_deadline_is_refused(town, freeze):
    signups.sign_up(town["vols"][0], town["activity"].id)
    freeze(SATURDAY_9 - timedelta(hours=1))
    with pytest.raises(common.VolunteerError) as refused:
        signups.cancel_signup(town["vols"][0], town["activity"].id)
    assert refused.value.reason == "deadline"


# Check-in, hours and points ------------------------------------------------------


def test_check_in_then_check_out_credits_hours_and_points(town, freeze):
    vol = town["vols"][0]
    signups.sign_up(vol, town["activity"].id)
    with pytest.raises(common.VolunteerError) as early:
        signups.self_check_in(vol, town["activity"].id, "123456")
    assert early.value.reason == "not_now"
    freeze(SATURDAY_9 - timedelta(minutes=30))
    with pytest.raises(common.VolunteerError) as wrong:
        signups.self_check_in(vol, town["activity"].id, "000000")
    assert wrong.value.reason == "code"
    signup = signups.self_check_in(vol, town["activity"].id, "123 456")
    assert signup.status == "checked_in" and Decimal(signup.hours_credited) == 0
    assert points.balance(vol.id) == 0  # nothing yet: the hours are the time until check-out
    freeze(SATURDAY_9 + timedelta(hours=2, minutes=10))
    signup = signups.self_check_out(vol, town["activity"].id, "123456")
    assert signup.status == "attended" and Decimal(signup.hours_credited) == Decimal(2)
    assert points.balance(vol.id) == 2  # 1 point per hour
    assert record.hours_summary(vol.id, date(2026, 11, 28)) == {
        "total": Decimal(2), "this_year": Decimal(2), "activities": 1,
    }  # fmt: skip


def test_organiser_marks_attendance_and_adjusts_with_a_reason(town, freeze):
    vol = town["vols"][0]
    signup = signups.sign_up(vol, town["activity"].id).signup
    freeze(DURING)
    staff = town["staff"]
    signups.mark_attendance(signup.id, True, staff)
    assert points.balance(vol.id) == 2
    with pytest.raises(common.VolunteerError) as refused:
        signups.mark_attendance(signup.id, True, staff, Decimal(3))
    assert refused.value.reason == "reason"
    for bad in (Decimal(-1), Decimal(0), Decimal(25)):
        with pytest.raises(common.VolunteerError) as refused:
            signups.mark_attendance(signup.id, True, staff, bad, "原因")
        assert refused.value.reason == "hours"
    signups.mark_attendance(signup.id, True, staff, Decimal(3), "多留了一小时帮忙收拾")
    assert points.balance(vol.id) == 3
    kinds = db.session.scalars(select(PointsEntry.kind).order_by(PointsEntry.id)).all()
    assert kinds == ["earned", "adjusted"]  # append-only: the change is a new line
    signups.mark_attendance(signup.id, False, staff)
    assert points.balance(vol.id) == 0 and fresh(Signup, signup.id).status == "absent"
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 3


def test_check_in_after_being_marked_is_refused_as_already_done(town, freeze):
    vol = town["vols"][0]
    signup = signups.sign_up(vol, town["activity"].id).signup
    freeze(DURING)
    signups.mark_attendance(signup.id, True, town["staff"])
    with pytest.raises(common.VolunteerError) as refused, force_locale("en"):
        signups.self_check_in(vol, town["activity"].id, "123456")
    assert refused.value.reason == "already"
    assert refused.value.message == "You are already checked in for this activity."
    assert points.balance(vol.id) == 2


def test_hours_cannot_be_taken_back_once_the_points_are_spent(town, freeze):
    vol, staff = town["vols"][0], town["staff"]
    signup = signups.sign_up(vol, town["activity"].id).signup
    freeze(DURING)
    signups.mark_attendance(signup.id, True, staff)
    f.points(vol, -1, "spent")
    db.session.commit()
    for attended, hours in ((False, None), (True, Decimal("0.25"))):  # 0 points either way
        with pytest.raises(common.VolunteerError) as refused, force_locale("en"):
            signups.mark_attendance(signup.id, attended, staff, hours, "记错了")
        assert refused.value.reason == "spent"
        assert "already spent these points" in refused.value.message
    row = fresh(Signup, signup.id)
    assert row.status == "attended" and Decimal(row.hours_credited) == 2
    assert points.balance(vol.id) == 1
    signups.mark_attendance(signup.id, True, staff, Decimal(1), "提前离开")  # 1 point back: allowed
    assert points.balance(vol.id) == 0


def test_the_same_mark_twice_credits_once(town, freeze):
    vol, staff = town["vols"][0], town["staff"]
    signup = signups.sign_up(vol, town["activity"].id).signup
    freeze(DURING)
    for _ in range(2):
        signups.mark_attendance(signup.id, True, staff)
    for _ in range(2):
        signups.mark_attendance(signup.id, False, staff)
    ledger = db.session.scalars(select(PointsEntry.points).order_by(PointsEntry.id)).all()
    assert ledger == [2, -2] and points.balance(vol.id) == 0


def test_points_rate_comes_from_config(town, app, freeze):
    app.config["POINTS_PER_HOUR"] = 5
    signup = signups.sign_up(town["vols"][0], town["activity"].id).signup
    freeze(DURING)
    signups.mark_attendance(signup.id, True, town["staff"])
    assert points.balance(town["vols"][0].id) == 10


def test_ledger_arithmetic_and_adjustments(town):
    vol, staff = town["vols"][0], town["staff"]
    f.points(vol, 10, "earned")
    f.points(vol, -4, "spent")
    f.points(vol, 4, "refund")
    db.session.commit()
    assert points.balance(vol.id) == 10
    with pytest.raises(common.VolunteerError) as refused:
        points.adjust_points(vol.id, 5, "  ", staff)
    assert refused.value.reason == "reason"
    with pytest.raises(common.VolunteerError) as refused:
        points.adjust_points(vol.id, -11, "纠错", staff)
    assert refused.value.reason == "negative"
    points.adjust_points(vol.id, -10, "纠错", staff)
    assert points.balance(vol.id) == 0


# The love mall --------------------------------------------------------------------


def test_redeem_spends_points_and_stock_and_cancel_refunds(town):
    vol, staff = town["vols"][0], town["staff"]
    item = f.mall_item(town["site"], cost=10, stock=1)
    f.points(vol, 15, "earned")
    db.session.commit()
    redemption = points.redeem(vol, item.id)
    assert points.balance(vol.id) == 5 and fresh(MallItem, item.id).stock == 0
    with pytest.raises(common.VolunteerError) as refused:
        points.redeem(town["vols"][1], item.id)
    assert refused.value.reason in ("stock", "points")
    points.decide_redemption(redemption.id, False, staff)
    assert points.balance(vol.id) == 15 and fresh(MallItem, item.id).stock == 1
    with pytest.raises(common.VolunteerError):
        points.decide_redemption(redemption.id, True, staff)


def test_redeem_with_too_few_points_changes_nothing(town):
    item = f.mall_item(town["site"], cost=10, stock=3)
    f.points(town["vols"][0], 9)
    db.session.commit()
    with pytest.raises(common.VolunteerError) as refused:
        points.redeem(town["vols"][0], item.id)
    assert refused.value.reason == "points" and "10" in refused.value.message
    assert fresh(MallItem, item.id).stock == 3 and points.balance(town["vols"][0].id) == 9


def test_out_of_stock(town):
    item = f.mall_item(town["site"], cost=1, stock=0)
    f.points(town["vols"][0], 9)
    db.session.commit()
    with pytest.raises(common.VolunteerError) as refused:
        points.redeem(town["vols"][0], item.id)
    assert refused.value.reason == "stock"


# Projects and 公示 ----------------------------------------------------------------


def test_lifecycle_goes_in_order_and_waits_for_publicity(town, freeze):
    """The whole of it, with each refusal, is in tests/test_projects.py."""
    staff = town["staff"]
    project = f.project(town["site"], "draft")
    db.session.commit()
    with pytest.raises(common.VolunteerError):
        projects.start_project(project.id, staff)
    projects.file_project(project.id, "东备2026-100", date(2026, 11, 20), staff)
    with pytest.raises(common.VolunteerError) as refused:
        projects.open_publicity(project.id, date(2026, 11, 30), date(2026, 11, 25), staff)
    assert refused.value.reason == "dates"
    projects.open_publicity(project.id, date(2026, 11, 23), date(2026, 11, 29), staff)
    with pytest.raises(common.VolunteerError) as refused:
        projects.start_project(project.id, staff)
    assert refused.value.reason == "publicity"
    freeze(NOW + timedelta(days=7))
    projects.start_project(project.id, staff)
    with pytest.raises(common.VolunteerError) as refused:
        projects.complete_project(project.id, None, "顺利", None, staff)
    assert refused.value.reason == "outcome"
    done = projects.complete_project(project.id, 120, "顺利", None, staff)
    assert done.status == "completed" and done.outcome_beneficiaries == 120


def test_opinions_only_during_publicity(town, freeze):
    project = f.project(town["site"], "publicity", publicity_starts_on=date(2026, 11, 23),
                        publicity_ends_on=date(2026, 11, 25))  # fmt: skip
    db.session.commit()
    comment = projects.comment_on_project(project.id, town["resident"], "建议周末也开放")
    projects.reply_to_comment(comment.id, "好的，会考虑", town["staff"])
    with pytest.raises(common.VolunteerError) as refused:
        projects.comment_on_project(project.id, town["resident"], " ")
    assert refused.value.reason == "body"
    freeze(NOW + timedelta(days=3))
    with pytest.raises(common.VolunteerError) as refused:
        projects.comment_on_project(project.id, town["resident"], "晚了")
    assert refused.value.reason == "closed"
    with pytest.raises(common.VolunteerError):
        projects.comment_on_project(town["project"].id, town["resident"], "运行中的项目")


def test_the_same_opinion_and_answer_sent_twice_are_kept_once(town):
    from app.models import ProjectComment

    project = f.project(town["site"], "publicity", publicity_starts_on=date(2026, 11, 23),
                        publicity_ends_on=date(2026, 11, 25))  # fmt: skip
    db.session.commit()
    first = projects.comment_on_project(project.id, town["resident"], "建议周末也开放")
    again = projects.comment_on_project(project.id, town["resident"], " 建议周末也开放 ")
    assert again.id == first.id
    projects.comment_on_project(project.id, town["vols"][0], "建议周末也开放")  # someone else
    assert db.session.scalar(select(func.count(ProjectComment.id))) == 2
    for _ in range(2):
        projects.reply_to_comment(first.id, "好的，会考虑", town["staff"])
    projects.reply_to_comment(first.id, "周六开放", town["staff"])  # a changed answer counts
    replies = select(func.count(AuditEntry.id)).where(AuditEntry.action == "project.reply")
    assert db.session.scalar(replies) == 2
    assert fresh(ProjectComment, first.id).reply == "周六开放"


def test_project_outcome_counts_activities_and_hours(town, freeze):
    signup = signups.sign_up(town["vols"][0], town["activity"].id).signup
    freeze(DURING)
    signups.mark_attendance(signup.id, True, town["staff"])
    assert projects.project_outcome(town["project"].id) == {"activities": 1, "hours": Decimal(2)}


# Teams --------------------------------------------------------------------------


def test_join_approve_leave(town):
    vol, team, leader = town["vols"][0], town["team"], town["leader"]
    membership = teams.request_to_join(vol, team.id)
    with pytest.raises(common.VolunteerError):
        teams.request_to_join(vol, team.id)
    assert teams.can_manage_team(leader, team) and teams.can_manage_team(town["staff"], team)
    assert not teams.can_manage_team(town["vols"][1], team)
    teams.decide_membership(membership.id, True, leader)
    assert fresh(Membership, membership.id).status == "member"
    teams.leave_team(vol, team.id)
    assert fresh(Membership, membership.id) is None
    with pytest.raises(common.VolunteerError) as refused:
        teams.leave_team(leader, team.id)
    assert refused.value.reason == "leader"


def test_a_request_is_answered_once(town):
    vol, team, staff = town["vols"][0], town["team"], town["staff"]
    membership = teams.request_to_join(vol, team.id)
    teams.decide_membership(membership.id, False, staff)
    for approve in (True, False):
        with pytest.raises(common.VolunteerError) as refused:
            teams.decide_membership(membership.id, approve, staff)
        assert refused.value.reason == "not_pending"
        assert refused.value.message == "这个申请已经处理过了。"
    decided = select(func.count(AuditEntry.id)).where(AuditEntry.action.like("team.member_%"))
    assert db.session.scalar(decided) == 1
    with pytest.raises(common.VolunteerError) as refused:
        teams.leave_team(vol, team.id)
    assert refused.value.reason == "not_member"


# Pages --------------------------------------------------------------------------


def test_public_pages(client, town):
    paths = ["/teams", f"/teams/{town['team'].id}", "/projects", f"/projects/{town['project'].id}"]
    paths += ["/activities", f"/activities/{town['activity'].id}", "/mall"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
    assert "四季歌志愿服务队" in client.get("/teams").text
    assert "登录后报名" in client.get(f"/activities/{town['activity'].id}").text
    draft = f.project(town["site"], "draft", title="草稿项目")
    db.session.commit()
    assert client.get(f"/projects/{draft.id}").status_code == 404
    assert "草稿项目" not in client.get("/projects").text
    for path in ("/teams/999999", "/projects/999999", "/activities/999999"):
        assert client.get(path).status_code == 404


def test_project_filters_and_fragment(client, town):
    f.project(
        town["site"], "completed", title="完成的项目", category="legal", outcome_beneficiaries=50
    )
    db.session.commit()
    response = client.get("/projects", query_string={"status": "completed"})
    assert "完成的项目" in response.text and town["project"].title not in response.text
    response = client.get(
        "/projects", query_string={"category": "legal", "status": "bogus", "community": "x"}
    )
    assert response.status_code == 200 and "完成的项目" in response.text
    htmx = {"HX-Request": "true", "HX-Target": "project-results"}
    fragment = client.get("/projects", query_string={"category": "legal"}, headers=htmx)
    assert "<html" not in fragment.text and "HX-Request" in fragment.headers["Vary"]


def test_one_tap_sign_up_with_htmx(client, auth, town):
    vol = town["vols"][0]
    auth.login(vol)
    url = f"/activities/{town['activity'].id}/signup"
    response = client.post(url, headers={"HX-Request": "true", "HX-Target": "signup-box"})
    assert response.status_code == 200 and "<html" not in response.text
    assert "报名成功" in response.text and 'id="signup-box"' in response.text
    again = client.post(url, headers={"HX-Request": "true", "HX-Target": "signup-box"})
    assert again.status_code == 422 and "您已经报名这个活动了" in again.text
    db.session.rollback()  # a fresh snapshot: see what the requests wrote
    assert db.session.scalar(select(func.count(Signup.id))) == 1


def test_sign_up_without_javascript(client, auth, town):
    auth.login(town["vols"][0])
    response = client.post(f"/activities/{town['activity'].id}/signup")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "报名成功" in page.text and "取消报名" in page.text


def test_resident_without_profile_is_sent_to_fill_it(client, auth, town):
    auth.login(town["resident"])
    response = client.post(f"/activities/{town['activity'].id}/signup")
    assert response.status_code == 303 and response.headers["Location"] == "/me/volunteer-profile"


def test_sign_up_after_the_deadline_shows_why(client, auth, town, freeze):
    freeze(SATURDAY_9 - timedelta(hours=1))
    auth.login(town["vols"][0])
    response = client.post(f"/activities/{town['activity'].id}/signup",
                           headers={"HX-Request": "true", "HX-Target": "signup-box"})  # fmt: skip
    assert response.status_code == 422 and "报名已于" in response.text


def test_roster_is_for_organisers_only(client, auth, town, freeze):
    signup = signups.sign_up(town["vols"][0], town["activity"].id).signup
    freeze(DURING)
    url = f"/activities/{town['activity'].id}/roster"
    auth.login(town["vols"][1])
    assert client.get(url).status_code == 403
    assert client.post(f"{url}/{signup.id}", data={"attended": "1"}).status_code == 403
    auth.logout()
    db.session.rollback()  # the requests wrote since this session's snapshot
    other_staff = f.user("别处站长", staff_of=(f.site(name="别的中心"),))
    db.session.commit()
    auth.login(other_staff)
    assert client.post(f"{url}/{signup.id}", data={"attended": "1"}).status_code == 403
    assert fresh(Signup, signup.id).status == "signed_up"
    auth.logout()
    auth.login(town["leader"])  # the team leader organises
    assert client.get(url).status_code == 200
    bad = client.post(f"{url}/{signup.id}", data={"attended": "1", "hours": "30", "reason": "x"})
    assert bad.status_code == 422 and "最多 24 小时" in bad.text
    no_reason = client.post(f"{url}/{signup.id}", data={"attended": "1", "hours": "3"})
    assert no_reason.status_code == 422 and "请填写原因" in no_reason.text
    assert client.post(f"{url}/{signup.id}", data={"attended": "1"}).status_code == 303
    assert fresh(Signup, signup.id).status == "attended"


def test_my_volunteering_page(client, auth, town, freeze):
    vol = town["vols"][0]
    signup = signups.sign_up(vol, town["activity"].id).signup
    freeze(DURING)
    signups.mark_attendance(signup.id, True, town["staff"])
    auth.login(vol)
    page = client.get("/me/volunteer")
    assert page.status_code == 200 and "测试活动" in page.text and "+2" in page.text


def test_redeem_page_flow_and_staff_hand_over(client, auth, town):
    vol = town["vols"][0]
    item = f.mall_item(town["site"], cost=5, stock=2, name="毛巾")
    f.points(vol, 5, "earned")
    db.session.commit()
    auth.login(vol)
    response = client.post(f"/mall/{item.id}/redeem")
    assert response.status_code == 303
    assert "毛巾" in client.get("/me/volunteer").text
    again = client.post(f"/mall/{item.id}/redeem")
    assert again.status_code == 303 and "兑换需要 5 积分" in client.get("/mall").text
    auth.logout()
    auth.login(town["staff"])
    page = client.get(f"/staff/sites/{town['site'].id}/redemptions")
    db.session.rollback()
    redemption_id = db.session.scalar(select(func.max(PointsEntry.redemption_id)))
    assert page.status_code == 200 and "毛巾" in page.text
    done = client.post(
        f"/staff/sites/{town['site'].id}/redemptions/{redemption_id}",
        data={"decision": "picked_up"},
    )
    assert done.status_code == 303
    assert client.post(f"/staff/sites/{town['site'].id}/redemptions/{redemption_id}",
                       data={"decision": "steal"}).status_code == 400  # fmt: skip


def test_comment_and_reply_pages(client, auth, town):
    project = f.project(town["site"], "publicity", publicity_starts_on=date(2026, 11, 20),
                        publicity_ends_on=date(2026, 11, 30))  # fmt: skip
    db.session.commit()
    auth.login(town["resident"])
    assert "发表意见" in client.get(f"/projects/{project.id}").text
    assert (
        client.post(f"/projects/{project.id}/comments", data={"body": "<b>好</b>"}).status_code
        == 303
    )
    text = client.get(f"/projects/{project.id}").text
    assert "&lt;b&gt;好&lt;/b&gt;" in text
    closed = client.post(f"/projects/{town['project'].id}/comments", data={"body": "运行中"})
    assert closed.status_code == 422  # the page again, with why
    assert db.session.scalar(select(func.count()).select_from(
        select(Project).where(Project.id == town["project"].id).subquery())) == 1  # fmt: skip


def test_calendar_feeds(client, town):
    for path in (
        f"/teams/{town['team'].id}/calendar.ics",
        f"/sites/{town['site'].id}/calendar.ics",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/calendar"
        events = Calendar.from_ical(response.data).walk("VEVENT")
        assert len(events) == 1 and events[0].decoded("dtstart") == SATURDAY_9
    assert client.get("/teams/999999/calendar.ics").status_code == 404
