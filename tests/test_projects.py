"""Service projects (服务项目), the rules: draft, filing (备案), publicity (公示) with
opinions answered or hidden, running, completion with its outcome, and spending
against the budget. The clock is frozen; every step is one decision under the
project's row lock, so a step sent twice is taken once."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import (
    AuditEntry,
    Project,
    ProjectComment,
    ProjectSpending,
    Signup,
    Upload,
)
from app.volunteers import projects
from app.volunteers.common import VolunteerError
from app.volunteers.projects import Draft

from . import factories as f

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL_TZ)  # Monday 08:00
TODAY = NOW.date()


@pytest.fixture
def unit(app, freeze):
    """A 1+N unit (a center and a station) with a team, and another unit."""
    freeze(NOW)
    center = f.site(name="东方中心")
    station = f.site(kind="station", center=center, name="阳光站")
    other = f.site(name="梅园中心")
    staff = f.user("站长", staff_of=(center,))
    station_staff = f.user("社工", staff_of=(station,))
    resident = f.user("居民")
    team = f.team(center, "四季歌志愿服务队")
    second = f.team(station, "红马甲志愿服务队")
    foreign = f.team(other, "梅园志愿服务队")
    db.session.commit()
    return dict(center=center, station=station, other=other, staff=staff,
                station_staff=station_staff, resident=resident, team=team, second=second,
                foreign=foreign)  # fmt: skip


def draft(unit, **changes) -> Draft:
    values = dict(
        title="爱心理发进小区", category="daily_life", site_id=unit["center"].id,
        team_ids=[unit["team"].id], beneficiaries="独居老人", budget_yuan=2000,
        fund_source="社区公益金", description="每月上门理发",
    )  # fmt: skip
    return Draft(**{**values, **changes})


def fresh(model, ident):
    db.session.rollback()
    return db.session.get(model, ident)


def audits(action: str) -> list[AuditEntry]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def refused(reason: str, call, *args, **kwargs) -> VolunteerError:
    with pytest.raises(VolunteerError) as caught:
        call(*args, **kwargs)
    assert caught.value.reason == reason, (caught.value.reason, caught.value.message)
    return caught.value


def at_stage(unit, stage: str, **fields) -> Project:
    """A project already at ``stage``, with what the steps before it would have set."""
    values = {"filing_number": f"东备-{stage}-{len(stage)}", "filed_on": TODAY - timedelta(days=20)}
    if stage in ("publicity", "running", "completed"):
        values |= {"publicity_starts_on": TODAY - timedelta(days=15),
                   "publicity_ends_on": TODAY - timedelta(days=8)}  # fmt: skip
    if stage == "draft":
        values = {}
    project = f.project(unit["center"], stage, teams=(unit["team"],), budget_yuan=2000,
                        **{**values, **fields})  # fmt: skip
    db.session.commit()
    return project


# Drafts -------------------------------------------------------------------------


def test_a_draft_at_a_site_or_for_the_whole_community(unit):
    made = projects.create_project(unit["center"], draft(unit), unit["staff"])
    project = fresh(Project, made.id)
    assert project.status == "draft" and project.site_id == unit["center"].id
    assert project.community_id == unit["center"].community_id
    assert [t.name for t in project.teams] == ["四季歌志愿服务队"]
    assert (project.budget_yuan, project.fund_source) == (2000, "社区公益金")
    wide = projects.create_project(
        unit["center"], draft(unit, site_id=None, team_ids=[unit["team"].id, unit["second"].id]),
        unit["staff"],
    )  # fmt: skip
    wide = fresh(Project, wide.id)
    assert wide.site_id is None and len(wide.teams) == 2  # a station's team takes part too
    [entry, _second] = audits("project.created")
    assert entry.actor_id == unit["staff"].id and entry.site_id == unit["center"].id
    assert entry.after["title"] == "爱心理发进小区" and entry.after["team_ids"] == [unit["team"].id]
    # A community-wide project is the center's: its audit entries are the center's.
    assert _second.site_id == unit["center"].id
    at_station = projects.create_project(
        unit["station"], draft(unit, site_id=unit["station"].id), unit["station_staff"]
    )
    assert fresh(Project, at_station.id).site_id == unit["station"].id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 81}, "title"),
        ({"category": "fishing"}, "category"),
        ({"budget_yuan": -1}, "budget_yuan"),
        ({"budget_yuan": 100_000_001}, "budget_yuan"),
        ({"fund_source": "长" * 81}, "fund_source"),
        ({"beneficiaries": "长" * 201}, "beneficiaries"),
        ({"description": "长" * 2001}, "description"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"team_ids": ["foreign"]}, "team_ids"),
        ({"site_id": "other"}, "site_id"),
    ],
)
def test_a_draft_refuses_what_cannot_be(unit, changes, field):
    # Names of the unit's sites and teams stand for their ids.
    named = lambda v: unit[v].id if isinstance(v, str) else v  # noqa: E731
    if "team_ids" in changes:
        changes["team_ids"] = [named(v) for v in changes["team_ids"]]
    if "site_id" in changes:
        changes["site_id"] = named(changes["site_id"])
    error = refused("draft", projects.create_project, unit["center"], draft(unit, **changes),
                    unit["staff"])  # fmt: skip
    assert error.field == field and error.message
    assert db.session.scalar(select(func.count(Project.id))) == 0
    assert audits("project.created") == []


def test_a_station_drafts_at_the_station_only(unit):
    for site_id in (None, unit["center"].id):
        error = refused("draft", projects.create_project, unit["station"],
                        draft(unit, site_id=site_id), unit["station_staff"])  # fmt: skip
        assert error.field == "site_id"


def test_a_retired_team_takes_no_part(unit):
    team = fresh(type(unit["team"]), unit["team"].id)
    team.retired_at = NOW
    db.session.commit()
    error = refused("draft", projects.create_project, unit["center"], draft(unit), unit["staff"])
    assert error.field == "team_ids"


def test_only_a_draft_is_edited_and_each_edit_is_audited(unit):
    made = projects.create_project(unit["center"], draft(unit), unit["staff"])
    projects.edit_draft(
        made.id, unit["center"],
        draft(unit, title="爱心理发", budget_yuan=3000, site_id=unit["station"].id, team_ids=[]),
        unit["staff"],
    )  # fmt: skip
    project = fresh(Project, made.id)
    assert (project.title, project.budget_yuan, project.site_id) == (
        "爱心理发", 3000, unit["station"].id)  # fmt: skip
    assert project.teams == []
    [entry] = audits("project.edited")
    assert entry.before == {"title": "爱心理发进小区", "site_id": unit["center"].id,
                            "team_ids": [unit["team"].id], "budget_yuan": 2000}  # fmt: skip
    assert entry.after == {"title": "爱心理发", "site_id": unit["station"].id, "team_ids": [],
                           "budget_yuan": 3000}  # fmt: skip
    # The same values again change nothing and record nothing.
    projects.edit_draft(made.id, unit["center"], draft(unit, title="爱心理发", budget_yuan=3000,
                        site_id=unit["station"].id, team_ids=[]), unit["staff"])  # fmt: skip
    assert len(audits("project.edited")) == 1
    projects.file_project(made.id, "东备2026-001", TODAY, unit["staff"])
    refused("order", projects.edit_draft, made.id, unit["center"], draft(unit), unit["staff"])
    assert fresh(Project, made.id).title == "爱心理发"


# Filing (备案) ------------------------------------------------------------------------


def test_filing_gives_the_number_and_date(unit):
    project = at_stage(unit, "draft")
    # Typed with a Chinese keyboard: full-width digits and dash become ASCII.
    projects.file_project(project.id, " 东备２０２６－００１ ", TODAY - timedelta(days=3),
                          unit["staff"])  # fmt: skip
    filed = fresh(Project, project.id)
    assert filed.status == "filed" and filed.filing_number == "东备2026-001"
    assert filed.filed_on == TODAY - timedelta(days=3)
    [entry] = audits("project.filed")
    assert entry.before == {"status": "draft"}
    assert entry.after == {"status": "filed", "filing_number": "东备2026-001",
                           "filed_on": (TODAY - timedelta(days=3)).isoformat()}  # fmt: skip


@pytest.mark.parametrize(
    ("number", "day", "field"),
    [
        ("", TODAY, "filing_number"),
        ("长" * 41, TODAY, "filing_number"),
        ("东备-1", TODAY + timedelta(days=1), "filed_on"),  # not filed yet
        ("东备-1", TODAY - timedelta(days=366), "filed_on"),
        ("东备-1", None, "filed_on"),
        ("东备-taken", TODAY, "filing_number"),  # another project's number
    ],
)
def test_filing_refuses(unit, number, day, field):
    at_stage(unit, "filed", filing_number="东备-taken")
    project = at_stage(unit, "draft")
    error = refused("filing", projects.file_project, project.id, number, day, unit["staff"])
    assert error.field == field
    assert fresh(Project, project.id).status == "draft" and audits("project.filed") == []


# Publicity (公示) -----------------------------------------------------------------------


def test_publicity_opens_for_a_real_period_from_today(unit):
    project = at_stage(unit, "filed")
    ends = TODAY + timedelta(days=7)
    projects.open_publicity(project.id, TODAY, ends, unit["staff"])
    opened = fresh(Project, project.id)
    assert opened.status == "publicity"
    assert (opened.publicity_starts_on, opened.publicity_ends_on) == (TODAY, ends)
    assert projects.in_publicity(opened, TODAY)
    [entry] = audits("project.publicity_opened")
    assert entry.after == {"status": "publicity", "starts_on": TODAY.isoformat(),
                           "ends_on": ends.isoformat()}  # fmt: skip


@pytest.mark.parametrize(
    ("starts", "ends", "field"),
    [
        (TODAY - timedelta(days=1), TODAY + timedelta(days=5), "starts_on"),  # begun already
        (TODAY + timedelta(days=5), TODAY + timedelta(days=4), "ends_on"),  # ends first
        (TODAY, TODAY + timedelta(days=91), "ends_on"),  # longer than 90 days
        (date(2031, 11, 24), date(2031, 11, 30), "starts_on"),  # past the date window
        (None, TODAY + timedelta(days=5), "starts_on"),
        (TODAY, None, "ends_on"),
    ],
)
def test_publicity_refuses_dates(unit, starts, ends, field):
    project = at_stage(unit, "filed")
    error = refused("dates", projects.open_publicity, project.id, starts, ends, unit["staff"])
    assert error.field == field
    assert fresh(Project, project.id).status == "filed"


def test_a_one_day_publicity_is_a_period(unit):
    project = at_stage(unit, "filed")
    projects.open_publicity(project.id, TODAY, TODAY, unit["staff"])
    assert fresh(Project, project.id).publicity_ends_on == TODAY


# Running ----------------------------------------------------------------------------


def test_running_only_after_the_publicity_period_ends(unit, freeze):
    project = at_stage(unit, "filed")
    projects.open_publicity(project.id, TODAY, TODAY + timedelta(days=6), unit["staff"])
    for days in (0, 6):  # the first and the last day of the period
        freeze(NOW + timedelta(days=days))
        refused("publicity", projects.start_project, project.id, unit["staff"])
    freeze(NOW + timedelta(days=7))
    projects.start_project(project.id, unit["staff"])
    running = fresh(Project, project.id)
    assert running.status == "running" and running.started_on == TODAY + timedelta(days=7)
    [entry] = audits("project.started")
    assert entry.before == {"status": "publicity"} and entry.after == {"status": "running"}


# Every step in its order ----------------------------------------------------------------

STEPS = {
    "file": lambda p, by: projects.file_project(p, "东备-order", TODAY, by),
    "publicity": lambda p, by: projects.open_publicity(p, TODAY, TODAY + timedelta(days=5), by),
    "start": lambda p, by: projects.start_project(p, by),
    "complete": lambda p, by: projects.complete_project(p, 10, "顺利完成", None, by),
}
ALLOWED = {"draft": "file", "filed": "publicity", "publicity": "start", "running": "complete"}


@pytest.mark.parametrize("stage", ["draft", "filed", "publicity", "running", "completed"])
def test_each_step_comes_only_after_the_one_before(unit, stage):
    for step, take in STEPS.items():
        if ALLOWED.get(stage) == step:
            continue
        project = at_stage(unit, stage, title=f"{stage}-{step}")
        if (stage, step) == ("running", "start"):
            take(project.id, unit["staff"])  # the step that made it so, sent again: a no-op
        else:
            refused("order", take, project.id, unit["staff"])
        assert fresh(Project, project.id).status == stage, step
    for action in ("project.filed", "project.publicity_opened", "project.started",
                   "project.completed"):  # fmt: skip
        assert audits(action) == [], action


def test_the_whole_lifecycle_in_order(unit, freeze):
    made = projects.create_project(unit["center"], draft(unit), unit["staff"])
    projects.file_project(made.id, "东备2026-002", TODAY, unit["staff"])
    projects.open_publicity(made.id, TODAY, TODAY + timedelta(days=4), unit["staff"])
    freeze(NOW + timedelta(days=5))
    projects.start_project(made.id, unit["staff"])
    projects.complete_project(made.id, 80, "服务了八十位老人", None, unit["staff"])
    done = fresh(Project, made.id)
    assert done.status == "completed" and done.completed_on == TODAY + timedelta(days=5)
    assert done.outcome_beneficiaries == 80 and done.outcome_summary == "服务了八十位老人"
    assert done.outcome_hours == Decimal(0) and done.outcome_photo_id is None


def test_a_step_sent_twice_is_taken_once(unit, freeze):
    project = at_stage(unit, "draft")
    for _ in range(2):
        projects.file_project(project.id, "东备-twice", TODAY, unit["staff"])
    # Another number for a project already filed is not the same step.
    refused("order", projects.file_project, project.id, "东备-other", TODAY, unit["staff"])
    for _ in range(2):
        projects.open_publicity(project.id, TODAY, TODAY + timedelta(days=2), unit["staff"])
    refused("order", projects.open_publicity, project.id, TODAY, TODAY + timedelta(days=3),
            unit["staff"])  # fmt: skip
    freeze(NOW + timedelta(days=3))
    for _ in range(2):
        projects.start_project(project.id, unit["staff"])
    for _ in range(2):
        projects.complete_project(project.id, 5, "完成", None, unit["staff"])
    refused("order", projects.complete_project, project.id, 6, "完成", None, unit["staff"])
    for action in ("project.filed", "project.publicity_opened", "project.started",
                   "project.completed"):  # fmt: skip
        assert len(audits(action)) == 1, action


# Completion -------------------------------------------------------------------------


def _held(unit, project, hours_by_status, *, days_ago=3, status="open"):
    """An activity of ``project`` held ``days_ago``, with sign-ups (status, hours credited)."""
    activity = f.activity(unit["center"], NOW - timedelta(days=days_ago), project_obj=project,
                          status=status)  # fmt: skip
    for n, (signup_status, hours) in enumerate(hours_by_status):
        person = f.volunteer(f"志愿者{activity.id}-{n}")
        db.session.add(Signup(activity_id=activity.id, user_id=person.id, status=signup_status,
                              hours_credited=Decimal(hours)))  # fmt: skip
    db.session.commit()
    return activity


def test_completion_hours_are_the_credited_hours_at_completion(unit):
    project = at_stage(unit, "running")
    _held(unit, project, [("attended", "2"), ("attended", "1.75"), ("absent", "0")])
    _held(unit, project, [("attended", "2.5")], days_ago=10)
    _held(unit, project, [("attended", "9")], status="cancelled")  # not held: not counted
    other = at_stage(unit, "running", title="别的项目")
    _held(unit, other, [("attended", "4")])  # another project's hours
    projects.complete_project(project.id, 120, "顺利完成", None, unit["staff"])
    done = fresh(Project, project.id)
    assert done.outcome_hours == Decimal("6.25")
    [entry] = audits("project.completed")
    assert entry.after["hours"] == "6.25" and entry.after["beneficiaries"] == 120
    # Hours credited later do not rewrite the outcome recorded at completion.
    signup = db.session.scalar(select(Signup).where(Signup.hours_credited == Decimal("2.5")))
    signup.hours_credited = Decimal(3)
    db.session.commit()
    assert fresh(Project, project.id).outcome_hours == Decimal("6.25")


def test_completion_waits_for_the_activities_still_to_come(unit):
    project = at_stage(unit, "running")
    f.activity(unit["center"], NOW + timedelta(days=2), project_obj=project)
    db.session.commit()
    refused("activities", projects.complete_project, project.id, 10, "完成", None, unit["staff"])
    assert fresh(Project, project.id).status == "running"


@pytest.mark.parametrize(
    ("served", "summary", "field"),
    [
        (-1, "完成", "beneficiaries"),
        (1_000_001, "完成", "beneficiaries"),
        (None, "完成", "beneficiaries"),
        (10, "  ", "summary"),
        (10, "长" * 501, "summary"),
    ],
)
def test_completion_refuses_an_outcome_that_cannot_be(unit, served, summary, field):
    project = at_stage(unit, "running")
    error = refused("outcome", projects.complete_project, project.id, served, summary, None,
                    unit["staff"])  # fmt: skip
    assert error.field == field and fresh(Project, project.id).status == "running"


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_completion_keeps_a_public_photo(unit):
    project = at_stage(unit, "running")
    photo = FileStorage(io.BytesIO(jpeg()), filename="合影.jpg", content_type="image/jpeg")
    projects.complete_project(project.id, 10, "合影留念", photo, unit["staff"])
    done = fresh(Project, project.id)
    upload = db.session.get(Upload, done.outcome_photo_id)
    assert upload.public and upload.purpose == "project" and upload.owner_id == unit["staff"].id
    assert (upload.width, upload.height) == (64, 48)


def test_a_file_that_is_not_a_photo_completes_nothing(unit):
    project = at_stage(unit, "running")
    text = FileStorage(io.BytesIO(b"not a photo at all"), filename="x.jpg")
    error = refused("photo", projects.complete_project, project.id, 10, "完成", text,
                    unit["staff"])  # fmt: skip
    assert error.field == "photo"
    assert fresh(Project, project.id).status == "running"
    assert db.session.scalar(select(func.count(Upload.id))) == 0


# Opinions: answered or hidden ------------------------------------------------------


def _opinion(unit, body="建议周末也开放") -> ProjectComment:
    project = at_stage(unit, "publicity", publicity_starts_on=TODAY - timedelta(days=1),
                       publicity_ends_on=TODAY + timedelta(days=5))  # fmt: skip
    return projects.comment_on_project(project.id, unit["resident"], body)


def test_hiding_an_opinion_needs_a_reason_and_is_audited(unit):
    comment = _opinion(unit, "我的电话是13800000000")
    for reason in ("", "   ", "长" * 201):
        error = refused("reason", projects.hide_comment, comment.id, reason, unit["staff"])
        assert error.field == "reason"
    assert fresh(ProjectComment, comment.id).hidden_at is None
    projects.hide_comment(comment.id, " 含有个人电话 ", unit["staff"])
    hidden = fresh(ProjectComment, comment.id)
    assert hidden.hidden_at == NOW and hidden.hidden_by_id == unit["staff"].id
    assert hidden.hidden_reason == "含有个人电话"
    assert hidden.body == "我的电话是13800000000"  # kept for the record, never shown
    [entry] = audits("project.comment_hidden")
    assert entry.target_id == hidden.project_id and entry.actor_id == unit["staff"].id
    assert entry.after == {"comment_id": comment.id, "reason": "含有个人电话"}
    assert entry.before == {"comment_id": comment.id, "hidden": False}
    # Hidden twice (a double tap) is hidden once; a hidden opinion takes no answer.
    projects.hide_comment(comment.id, "含有个人电话", unit["staff"])
    assert len(audits("project.comment_hidden")) == 1
    error = refused("hidden", projects.reply_to_comment, comment.id, "好的", unit["staff"])
    assert fresh(ProjectComment, comment.id).reply == ""
    assert error.message


def test_answering_an_opinion_is_audited_once_per_answer(unit):
    comment = _opinion(unit)
    for _ in range(2):
        projects.reply_to_comment(comment.id, "好的，周六也开放", unit["staff"])
    assert fresh(ProjectComment, comment.id).reply == "好的，周六也开放"
    assert len(audits("project.reply")) == 1


# Spending against the budget ---------------------------------------------------------


def _spend(project, amount, purpose="理发工具", day=TODAY, payee="五金店", by=None):
    return projects.add_spending(project.id, day, Decimal(amount), purpose, payee, by)


def test_spending_adds_up_to_the_fen_and_says_what_is_left(unit):
    project = at_stage(unit, "running")  # budget 2000 yuan
    _spend(project, "1280.50", by=unit["staff"])
    _spend(project, "0.10", purpose="塑料袋", by=unit["staff"])
    _spend(project, "0.20", purpose="纸巾", by=unit["staff"])
    totals = projects.spending_totals(fresh(Project, project.id))
    assert totals.spent == Decimal("1280.80") and totals.left == Decimal("719.20")
    assert totals.over == 0 and not totals.over_budget
    _spend(project, "719.20", purpose="毛巾", by=unit["staff"])
    totals = projects.spending_totals(fresh(Project, project.id))
    assert (totals.spent, totals.left, totals.over_budget) == (Decimal("2000.00"), 0, False)
    # Spending past the budget is recorded (it was spent), and said: nothing left, over by.
    _spend(project, "0.01", purpose="胶带", by=unit["staff"])
    totals = projects.spending_totals(fresh(Project, project.id))
    assert totals.left == 0 and totals.over == Decimal("0.01") and totals.over_budget
    [first, *_rest] = audits("project.spending_added")
    assert first.after == {"spent_on": TODAY.isoformat(), "amount_yuan": "1280.50",
                           "purpose": "理发工具", "payee": "五金店"}  # fmt: skip
    assert len(audits("project.spending_added")) == 5


def test_the_same_entry_sent_twice_is_kept_once(unit):
    project = at_stage(unit, "running")
    first, made = _spend(project, "35.00", by=unit["staff"])
    again, made_again = _spend(project, "35", by=unit["staff"])
    assert made and not made_again and again.id == first.id
    assert db.session.scalar(select(func.count(ProjectSpending.id))) == 1
    # The same amount for another purpose is another entry.
    _spend(project, "35", purpose="剪刀", by=unit["staff"])
    assert db.session.scalar(select(func.count(ProjectSpending.id))) == 2


@pytest.mark.parametrize(
    ("amount", "day", "purpose", "payee", "field"),
    [
        ("NaN", TODAY, "x", "y", "amount"),
        ("Infinity", TODAY, "x", "y", "amount"),
        ("-5", TODAY, "x", "y", "amount"),
        ("0", TODAY, "x", "y", "amount"),
        ("0.001", TODAY, "x", "y", "amount"),
        ("100000000", TODAY, "x", "y", "amount"),  # more than the column holds
        ("5", TODAY + timedelta(days=1), "x", "y", "spent_on"),  # not spent yet
        ("5", TODAY - timedelta(days=366), "x", "y", "spent_on"),
        ("5", None, "x", "y", "spent_on"),
        ("5", TODAY, " ", "y", "purpose"),
        ("5", TODAY, "长" * 201, "y", "purpose"),
        ("5", TODAY, "x", "", "payee"),
        ("5", TODAY, "x", "长" * 101, "payee"),
    ],
)
def test_spending_refuses(unit, amount, day, purpose, payee, field):
    project = at_stage(unit, "running")
    error = refused("spending", _spend, project, amount, purpose, day, payee, unit["staff"])
    assert error.field == field
    assert db.session.scalar(select(func.count(ProjectSpending.id))) == 0


def test_a_draft_has_no_spending_yet(unit):
    project = at_stage(unit, "draft")
    refused("order", _spend, project, "5", by=unit["staff"])


def test_spending_on_each_stage_after_filing(unit):
    for stage in ("filed", "publicity", "running", "completed"):
        _entry, made = _spend(at_stage(unit, stage, title=stage), "5", by=unit["staff"])
        assert made, stage


def test_a_mistaken_entry_is_removed_with_its_record(unit):
    project = at_stage(unit, "running")
    entry, _made = _spend(project, "99.90", by=unit["staff"])
    _spend(project, "10", purpose="纸巾", by=unit["staff"])
    assert projects.remove_spending(project.id, entry.id, unit["staff"])
    assert not projects.remove_spending(project.id, entry.id, unit["staff"])  # sent twice
    totals = projects.spending_totals(fresh(Project, project.id))
    assert totals.spent == Decimal("10.00") and totals.left == Decimal("1990.00")
    [removed] = audits("project.spending_removed")
    assert removed.before == {"spending_id": entry.id, "spent_on": TODAY.isoformat(),
                              "amount_yuan": "99.90", "purpose": "理发工具",
                              "payee": "五金店"}  # fmt: skip
    # Another project's entry is not this project's to remove.
    other = at_stage(unit, "running", title="别的")
    theirs, _made = _spend(other, "1", by=unit["staff"])
    assert not projects.remove_spending(project.id, theirs.id, unit["staff"])
    assert fresh(ProjectSpending, theirs.id) is not None


# Who manages a project -------------------------------------------------------------


def test_who_manages_a_project(unit):
    at_center = at_stage(unit, "running")
    at_station = f.project(unit["station"], "running")
    wide = f.project(unit["center"], "running")
    wide.site_id = None  # for the whole community
    db.session.commit()
    staff, station_staff = unit["staff"], unit["station_staff"]
    assert projects.manages(staff, at_center) and projects.manages(staff, wide)
    assert projects.manages(staff, at_station) and projects.manages(station_staff, at_station)
    assert not projects.manages(station_staff, at_center)
    assert not projects.manages(station_staff, wide)
    assert not projects.manages(unit["resident"], at_center)
    assert projects.in_unit(wide, unit["center"]) and not projects.in_unit(wide, unit["station"])
    assert projects.in_unit(at_station, unit["center"])
    assert not projects.in_unit(at_center, unit["other"])
