"""Service projects (服务项目): draft → filed (备案) → publicity (公示) → running →
completed, the opinions of the publicity period, and spending against the budget.

Every step is one decision under the project's row lock (``locked``): two taps,
two staff or two app hosts make one step. A step sent again with the same
values finds it taken and changes nothing (the person who tapped twice sees it
done, not an error); the same step with other values is refused, because it
no longer comes next.

Who manages a project: the staff of its site, or for a project of the whole
community (no site) the staff of the community's center. Its teams come from
the project's 1+N unit (teams whose home site is in its community).

Spending: entries are allowed from filing on (the filed budget is what they
count against) and after completion (late invoices). Spending over the budget
is recorded, since it happened, and the project page says "over budget by …";
what is left is never shown below zero.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write
from ..extensions import db
from ..inputs import latest_day
from ..models import (
    Activity,
    Project,
    ProjectComment,
    ProjectSpending,
    Signup,
    Site,
    Team,
    User,
)
from ..permissions import can_manage_site, covers
from ..uploads import UploadRefused, save_photo
from ..vocab import PROJECT_CATEGORIES, PROJECT_STATUSES
from .common import locked, refuse

NEXT_STATUS = {
    "draft": "filed",
    "filed": "publicity",
    "publicity": "running",
    "running": "completed",
}
# Spending is recorded against a filed budget, and after completion for late invoices.
SPENDING_STAGES = ("filed", "publicity", "running", "completed")
# A publicity period is a real window: at most this long, so a project cannot
# sit "in publicity" for years.
MAX_PUBLICITY_DAYS = 90
# How far back a date staff enter may go (a filing, a spending): one year.
DAYS_BACK = 365
MAX_BUDGET_YUAN = 100_000_000
# The spending column holds 12 digits with 2 after the point; stay well inside.
MAX_AMOUNT = Decimal("99999999.99")
MAX_SERVED = 1_000_000
MAX_TEAMS = 20


@dataclass(frozen=True)
class Draft:
    """What staff write about a project before it is filed (the form checks it first)."""

    title: str
    category: str
    site_id: int | None  # None: the whole community
    team_ids: list[int]
    beneficiaries: str
    budget_yuan: int
    fund_source: str
    description: str


@dataclass(frozen=True)
class SpendingTotals:
    budget: Decimal
    spent: Decimal
    left: Decimal  # never below zero
    over: Decimal  # how much past the budget (zero when within it)

    @property
    def over_budget(self) -> bool:
        return self.over > 0


# Who and where ---------------------------------------------------------------------


def community_center(community_id: int) -> Site | None:
    return db.session.scalar(
        select(Site).where(Site.community_id == community_id, Site.kind == "center")
    )


def home_site(project: Project) -> Site | None:
    """The site whose staff run the project: its own, or its community's center."""
    return project.site if project.site_id is not None else community_center(project.community_id)


def audit_site_id(project: Project) -> int | None:
    """The site the project's audit entries belong to (the center for a community's)."""
    site = home_site(project)
    return site.id if site is not None else None


def manages(user: User | None, project: Project) -> bool:
    site = home_site(project)
    if site is None:
        return bool(user is not None and user.is_authenticated and user.is_admin)
    return can_manage_site(user, site)


def in_unit(project: Project, site: Site) -> bool:
    """Is ``project`` one of those the console of ``site`` runs?

    A center's console runs the projects of the center, of its stations and of
    the whole community; a station's, those of the station.
    """
    if project.site_id is None:
        return site.kind == "center" and site.community_id == project.community_id
    return covers(site, project.site)


def places_for(site: Site) -> list[Site]:
    """The sites a project drafted from ``site``'s console may be at (a center: itself
    and its stations; a station: itself). A center's console may also choose the
    whole community (site None)."""
    if site.kind != "center":
        return [site]
    stations = db.session.scalars(
        select(Site).where(Site.center_id == site.id).order_by(Site.name, Site.id)
    )
    return [site, *stations]


def unit_teams(community_id: int) -> list[Team]:
    """The teams that may take part in a project of the community: its unit's, not retired."""
    return list(
        db.session.scalars(
            select(Team)
            .join(Site, Team.home_site_id == Site.id)
            .where(Site.community_id == community_id, Team.retired_at.is_(None))
            .order_by(Team.name, Team.id)
        )
    )


# Drafts -----------------------------------------------------------------------------


def _clean(text: str | None) -> str:
    """One line of text as typed: full-width letters and digits made plain, spaces tidied."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _check_draft(console: Site, values: Draft) -> tuple[Draft, list[Team]]:
    """The draft's values tidied and checked, and its teams; refused field by field."""
    title = _clean(values.title)
    fund_source = _clean(values.fund_source)
    beneficiaries = _clean(values.beneficiaries)
    description = (values.description or "").strip()
    if not title or len(title) > 80:
        refuse("draft", _("Give the project a title of 1 to 80 characters."), "title")
    if values.category not in PROJECT_CATEGORIES:
        refuse("draft", _("Choose a category from the list."), "category")
    allowed = {s.id for s in places_for(console)}
    if values.site_id is None and console.kind != "center":
        refuse("draft", _("A project of the whole community is drafted by its center."),
               "site_id")  # fmt: skip
    if values.site_id is not None and values.site_id not in allowed:
        refuse("draft", _("Choose a site of this center or station."), "site_id")
    if len(beneficiaries) > 200:
        refuse("draft", _("Keep this to %(most)s characters or fewer.", most=200), "beneficiaries")
    budget = values.budget_yuan
    if budget is None or not 0 <= budget <= MAX_BUDGET_YUAN:
        refuse("draft", _("Enter the budget in whole yuan, from 0 to 100,000,000."),
               "budget_yuan")  # fmt: skip
    if len(fund_source) > 80:
        refuse("draft", _("Keep this to %(most)s characters or fewer.", most=80), "fund_source")
    if len(description) > 2000:
        refuse("draft", _("Keep this to %(most)s characters or fewer.", most=2000), "description")
    wanted = set(values.team_ids)
    if len(wanted) > MAX_TEAMS:
        refuse("draft", _("Choose at most 20 teams."), "team_ids")
    teams = [t for t in unit_teams(console.community_id) if t.id in wanted]
    if len(teams) != len(wanted):
        refuse("draft", _("Choose teams of this community that are still active."), "team_ids")
    cleaned = Draft(
        title=title, category=values.category, site_id=values.site_id,
        team_ids=sorted(wanted), beneficiaries=beneficiaries, budget_yuan=budget,
        fund_source=fund_source, description=description,
    )  # fmt: skip
    return cleaned, teams


DRAFT_FIELDS = ("title", "category", "site_id", "beneficiaries", "budget_yuan", "fund_source",
                "description")  # fmt: skip


def create_project(console: Site, values: Draft, by: User) -> Project:
    """A new draft, at a site of the console's unit or for its whole community (audited)."""
    begin_write()
    values, teams = _check_draft(console, values)
    project = Project(
        community_id=console.community_id, status="draft",
        **{name: getattr(values, name) for name in DRAFT_FIELDS},
    )  # fmt: skip
    project.teams = teams
    db.session.add(project)
    db.session.flush()
    audit.record(
        "project.created", "project", project.id, site_id=audit_site_id(project), actor=by,
        summary=project.title,
        after={**{name: getattr(values, name) for name in DRAFT_FIELDS},
               "team_ids": values.team_ids},
    )  # fmt: skip
    db.session.commit()
    return project


def edit_draft(project_id: int, console: Site, values: Draft, by: User) -> Project:
    """Change a draft; once filed, what was filed stays. The fields that changed are audited."""
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status != "draft":
        refuse("order", _("Only a draft can be edited; this project is already filed."))
    values, teams = _check_draft(console, values)
    before, after = {}, {}
    for name in DRAFT_FIELDS:
        if getattr(project, name) != getattr(values, name):
            before[name], after[name] = getattr(project, name), getattr(values, name)
            setattr(project, name, getattr(values, name))
    old_teams = sorted(t.id for t in project.teams)
    if old_teams != values.team_ids:
        before["team_ids"], after["team_ids"] = old_teams, values.team_ids
        project.teams = teams
    if not after:  # the same values sent again
        db.session.rollback()
        return project
    audit.record("project.edited", "project", project.id, site_id=audit_site_id(project),
                 actor=by, summary=project.title, before=before, after=after)  # fmt: skip
    db.session.commit()
    return project


# The steps --------------------------------------------------------------------------


def check_transition(project: Project, target: str, today: date) -> None:
    """Refuse a step that does not come next (draft → filed → 公示 → running → completed)."""
    if NEXT_STATUS.get(project.status) != target:
        refuse(
            "order",
            _("This project is “%(stage)s”: that step does not come next. A project is "
              "drafted, filed, published for comment, run, then completed.",
              stage=PROJECT_STATUSES[project.status].label),
        )  # fmt: skip
    if target == "running" and (
        project.publicity_ends_on is None or today <= project.publicity_ends_on
    ):
        refuse(
            "publicity",
            _("The project can start once its publicity period has ended (%(day)s).",
              day=project.publicity_ends_on),
        )  # fmt: skip


def _step(project: Project, target: str, by: User, before: dict, after: dict, action: str):
    project.status = target
    audit.record(action, "project", project.id, site_id=audit_site_id(project), actor=by,
                 summary=project.title, before=before,
                 after={"status": target, **after})  # fmt: skip
    db.session.commit()
    return project


def file_project(project_id: int, number: str, filed_on: date | None, by: User) -> Project:
    """备案: the filing number and the day it was filed (audited)."""
    number = _clean(number)
    today = clock.today()
    if not number or len(number) > 40:
        refuse("filing", _("Enter the filing number, up to 40 characters."), "filing_number")
    if filed_on is None:
        refuse("filing", _("Enter the day the project was filed."), "filed_on")
    if filed_on > today:
        refuse("filing", _("The filing day cannot be in the future."), "filed_on")
    if filed_on < today - timedelta(days=DAYS_BACK):
        refuse("filing", _("Choose a filing day within the past year."), "filed_on")
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status == "filed" and (project.filing_number, project.filed_on) == (
        number, filed_on,
    ):  # fmt: skip
        db.session.rollback()
        return project
    check_transition(project, "filed", today)
    taken = db.session.scalar(
        select(exists().where(Project.filing_number == number, Project.id != project.id))
    )
    if taken:
        refuse("filing", _("Another project already has this filing number."), "filing_number")
    project.filing_number, project.filed_on = number, filed_on
    return _step(project, "filed", by, {"status": "draft"},
                 {"filing_number": number, "filed_on": filed_on.isoformat()},
                 "project.filed")  # fmt: skip


def open_publicity(project_id: int, starts: date | None, ends: date | None, by: User) -> Project:
    """公示: the period when residents leave opinions, from today or later (audited)."""
    today = clock.today()
    last = latest_day(today)
    if starts is None or starts < today or starts > last:
        refuse("dates", _("Choose a first day of publicity from today to %(last)s.",
                          last=last.isoformat()), "starts_on")  # fmt: skip
    if ends is None or ends < starts:
        refuse("dates", _("Choose a last day on or after the first day."), "ends_on")
    if (ends - starts).days + 1 > MAX_PUBLICITY_DAYS:
        refuse("dates", _("A publicity period lasts at most 90 days."), "ends_on")
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status == "publicity" and (
        project.publicity_starts_on, project.publicity_ends_on
    ) == (starts, ends):  # fmt: skip
        db.session.rollback()
        return project
    check_transition(project, "publicity", today)
    project.publicity_starts_on, project.publicity_ends_on = starts, ends
    return _step(project, "publicity", by, {"status": "filed"},
                 {"starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
                 "project.publicity_opened")  # fmt: skip


def start_project(project_id: int, by: User) -> Project:
    """Running, once the publicity period has ended (audited)."""
    today = clock.today()
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status == "running":
        db.session.rollback()
        return project
    check_transition(project, "running", today)
    project.started_on = today
    return _step(project, "running", by, {"status": "publicity"}, {}, "project.started")


def credited_hours(project_id: int) -> Decimal:
    """Volunteer hours credited for the project's activities (cancelled ones held none)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Signup.hours_credited), 0))
        .join(Activity, Signup.activity_id == Activity.id)
        .where(
            Activity.project_id == project_id,
            Activity.status == "open",
            Signup.status == "attended",
        )
    )
    return Decimal(total).quantize(Decimal("0.01"))


def complete_project(project_id: int, served: int | None, summary: str, photo, by: User) -> Project:
    """Completed, with its outcome: people served, a summary, an optional public photo.

    The hours are those credited for its activities now, and stay as recorded:
    hours credited later (a late roster) do not rewrite a completed outcome.
    """
    summary = (summary or "").strip()
    if served is None or not 0 <= served <= MAX_SERVED:
        refuse("outcome", _("Enter how many people the project served, from 0 to 1,000,000."),
               "beneficiaries")  # fmt: skip
    if not summary or len(summary) > 500:
        refuse("outcome", _("Write a short summary of 1 to 500 characters."), "summary")
    today, now = clock.today(), clock.now()
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status == "completed" and (
        project.outcome_beneficiaries, project.outcome_summary
    ) == (served, summary):  # fmt: skip
        db.session.rollback()
        return project
    check_transition(project, "completed", today)
    coming = db.session.scalar(
        select(
            exists().where(
                Activity.project_id == project.id, Activity.status == "open", Activity.ends_at > now
            )
        )  # fmt: skip
    )
    if coming:
        refuse("activities", _("Some of the project's activities have not ended yet. "
                               "Cancel them, or complete the project after they end."))  # fmt: skip
    hours = credited_hours(project.id)
    if photo:
        # Read under the lock, after the checks: a refused step keeps no photo.
        try:
            upload = save_photo(photo, purpose="project", public=True, owner=by, field="photo")
        except UploadRefused as error:
            refuse("photo", error.message, "photo")
        db.session.flush()
        project.outcome_photo_id = upload.id
    project.outcome_beneficiaries, project.outcome_summary = served, summary
    project.outcome_hours, project.completed_on = hours, today
    return _step(project, "completed", by, {"status": "running"},
                 {"beneficiaries": served, "hours": str(hours), "summary": summary,
                  "photo": bool(photo)}, "project.completed")  # fmt: skip


# Opinions of the publicity period -------------------------------------------------------


def in_publicity(project: Project, today: date) -> bool:
    return (
        project.status == "publicity"
        and project.publicity_starts_on is not None
        and project.publicity_starts_on <= today <= project.publicity_ends_on
    )


def comment_on_project(project_id: int, user: User, body: str) -> ProjectComment:
    """A resident's opinion, only while the project is in its publicity period.

    The same opinion sent twice (a double tap) is published once.
    """
    body = body.strip()
    begin_write()
    # The project's lock keeps the publicity check true until the comment is
    # in, and lets the duplicate check below see a comment sent a moment ago.
    project = locked(Project, Project.id == project_id)
    if not in_publicity(project, clock.today()):
        refuse("closed", _("Opinions are taken only during the publicity period."), "body")
    if not body or len(body) > 500:
        refuse("body", _("Write your opinion in 1 to 500 characters."), "body")
    same = db.session.scalar(
        select(ProjectComment).where(
            ProjectComment.project_id == project.id,
            ProjectComment.user_id == user.id,
            ProjectComment.body == body,
        )
    )
    if same is not None:
        db.session.rollback()
        return same
    comment = ProjectComment(project_id=project.id, user_id=user.id, body=body)
    db.session.add(comment)
    db.session.commit()
    return comment


def _locked_comment(comment_id: int) -> ProjectComment:
    return locked(
        ProjectComment,
        ProjectComment.id == comment_id,
        options=(joinedload(ProjectComment.project),),
    )


def reply_to_comment(comment_id: int, body: str, by: User) -> None:
    """Staff answer an opinion, or change their answer (each change audited)."""
    body = body.strip()
    if not body or len(body) > 500:
        refuse("body", _("Write the answer in 1 to 500 characters."), "body")
    begin_write()
    comment = _locked_comment(comment_id)
    if comment.hidden_at is not None:
        refuse("hidden", _("This opinion is hidden, so it takes no answer."), "body")
    if comment.reply == body:  # the same answer sent twice: nothing changes
        db.session.rollback()
        return
    comment.reply, comment.replied_by_id, comment.replied_at = body, by.id, clock.now()
    audit.record("project.reply", "project", comment.project_id, actor=by,
                 site_id=audit_site_id(comment.project), summary=comment.project.title,
                 after={"comment_id": comment.id})  # fmt: skip
    db.session.commit()


def hide_comment(comment_id: int, reason: str, by: User) -> ProjectComment:
    """Staff hide an opinion (abuse, someone's personal data), with the reason the
    public page shows in its place. The text stays in the database, never shown."""
    reason = _clean(reason)
    if not reason:
        refuse("reason", _("Say why the opinion is hidden: residents see the reason."),
               "reason")  # fmt: skip
    if len(reason) > 200:
        refuse("reason", _("Keep this to %(most)s characters or fewer.", most=200), "reason")
    begin_write()
    comment = _locked_comment(comment_id)
    if comment.hidden_at is not None:  # hidden a moment ago (a double tap)
        db.session.rollback()
        return comment
    comment.hidden_at, comment.hidden_reason, comment.hidden_by_id = clock.now(), reason, by.id
    audit.record("project.comment_hidden", "project", comment.project_id, actor=by,
                 site_id=audit_site_id(comment.project), summary=comment.project.title,
                 before={"comment_id": comment.id, "hidden": False},
                 after={"comment_id": comment.id, "reason": reason})  # fmt: skip
    db.session.commit()
    return comment


# Spending against the budget --------------------------------------------------------------


def _spending_record(entry: ProjectSpending) -> dict:
    return {
        "spent_on": entry.spent_on.isoformat(),
        "amount_yuan": f"{Decimal(entry.amount_yuan):.2f}",
        "purpose": entry.purpose,
        "payee": entry.payee,
    }


def _check_amount(amount) -> Decimal:
    message = _("Enter an amount in yuan above 0, with at most two decimals, such as 1280.50.")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        refuse("spending", message, "amount")
    if amount > MAX_AMOUNT:  # first: a huge number cannot be rounded to the fen
        refuse("spending", _("An entry is at most 99,999,999.99 yuan."), "amount")
    if amount != amount.quantize(Decimal("0.01")):  # parts of a fen
        refuse("spending", message, "amount")
    return amount.quantize(Decimal("0.01"))


def add_spending(
    project_id: int, spent_on: date | None, amount, purpose: str, payee: str, by: User
) -> tuple[ProjectSpending, bool]:
    """Record money spent for the project (audited); (the entry, whether it is new).

    An entry like one already recorded (same day, amount, purpose and payee) is
    that entry sent again, and kept once: a second purchase of the same says so
    in its purpose.
    """
    today = clock.today()
    amount = _check_amount(amount)
    purpose, payee = _clean(purpose), _clean(payee)
    if spent_on is None:
        refuse("spending", _("Enter the day the money was spent."), "spent_on")
    if spent_on > today:
        refuse("spending", _("The day cannot be in the future."), "spent_on")
    if spent_on < today - timedelta(days=DAYS_BACK):
        refuse("spending", _("Choose a day within the past year."), "spent_on")
    if not purpose or len(purpose) > 200:
        refuse("spending", _("Say what it was for, in 1 to 200 characters."), "purpose")
    if not payee or len(payee) > 100:
        refuse("spending", _("Say who was paid, in 1 to 100 characters."), "payee")
    begin_write()
    project = locked(Project, Project.id == project_id)
    if project.status not in SPENDING_STAGES:
        refuse("order", _("Spending is recorded once the project is filed."))
    same = db.session.scalar(
        select(ProjectSpending).where(
            ProjectSpending.project_id == project.id, ProjectSpending.spent_on == spent_on,
            ProjectSpending.amount_yuan == amount, ProjectSpending.purpose == purpose,
            ProjectSpending.payee == payee,
        )
    )  # fmt: skip
    if same is not None:
        db.session.rollback()
        return same, False
    entry = ProjectSpending(project_id=project.id, spent_on=spent_on, amount_yuan=amount,
                            purpose=purpose, payee=payee, created_by_id=by.id)  # fmt: skip
    db.session.add(entry)
    db.session.flush()
    audit.record("project.spending_added", "project", project.id,
                 site_id=audit_site_id(project), actor=by, summary=project.title,
                 after=_spending_record(entry))  # fmt: skip
    db.session.commit()
    return entry, True


def remove_spending(project_id: int, spending_id: int, by: User) -> bool:
    """Remove a mistaken entry (audited with what it said); False if it is not there
    (removed a moment ago, or another project's)."""
    begin_write()
    project = locked(Project, Project.id == project_id)
    entry = db.session.scalar(
        select(ProjectSpending).where(
            ProjectSpending.id == spending_id, ProjectSpending.project_id == project.id
        )
    )
    if entry is None:
        db.session.rollback()
        return False
    audit.record("project.spending_removed", "project", project.id,
                 site_id=audit_site_id(project), actor=by, summary=project.title,
                 before={"spending_id": entry.id, **_spending_record(entry)})  # fmt: skip
    db.session.delete(entry)
    db.session.commit()
    return True


def spending_totals(project: Project) -> SpendingTotals:
    """Spent, left and over the budget, to the fen (from the project's loaded entries)."""
    budget = Decimal(project.budget_yuan or 0)
    spent = sum((Decimal(e.amount_yuan) for e in project.spending), Decimal("0.00"))
    return SpendingTotals(
        budget=budget,
        spent=spent,
        left=max(budget - spent, Decimal(0)),
        over=max(spent - budget, Decimal(0)),
    )


def project_outcome(project_id: int) -> dict:
    """Activities held and volunteer hours of a project so far (for a running one)."""
    activities = db.session.scalar(
        select(func.count(Activity.id)).where(
            Activity.project_id == project_id,
            Activity.status == "open",
            Activity.starts_at <= clock.now(),
        )
    )
    return {"activities": activities, "hours": credited_hours(project_id)}
