"""Service projects (服务项目): the lifecycle, 公示 and its opinions, the outcome."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write
from ..extensions import db
from ..models import Activity, Project, ProjectComment, Signup, User
from .common import locked, refuse

NEXT_STATUS = {"draft": "publicity", "publicity": "running", "running": "completed"}


def check_transition(project: Project, target: str, today: date) -> None:
    """Refuse a lifecycle step that is not allowed (draft → 公示 → running → completed)."""
    if NEXT_STATUS.get(project.status) != target:
        refuse("order", _("A project goes from draft to publicity, to running, to completed."))
    if target == "running" and (
        project.publicity_ends_on is None or today <= project.publicity_ends_on
    ):
        refuse(
            "publicity",
            _("The project can start once its publicity period has ended (%(day)s).",
              day=project.publicity_ends_on),
        )  # fmt: skip


def advance_project(
    project_id: int,
    target: str,
    by: User,
    *,
    publicity: tuple[date, date] | None = None,
    outcome: tuple[int, str] | None = None,
) -> Project:
    """Move a project one step along its lifecycle (audited)."""
    today = clock.today()
    begin_write()
    project = locked(Project, Project.id == project_id)  # two taps make one step
    check_transition(project, target, today)
    before = {"status": project.status}
    if target == "publicity":
        if publicity is None or publicity[1] < publicity[0] or publicity[0] < today:
            refuse(
                "dates",
                _("Choose a publicity period that starts today or later and ends after it starts."),
            )
        project.publicity_starts_on, project.publicity_ends_on = publicity
    elif target == "running":
        project.started_on = today
    elif target == "completed":
        if outcome is None or outcome[0] < 0:
            refuse("outcome", _("Enter how many people the project served."))
        project.outcome_beneficiaries, project.outcome_summary = outcome
        project.completed_on = today
    project.status = target
    audit.record(
        "project.status", "project", project.id, site_id=project.site_id, actor=by,
        summary=project.title, before=before, after={"status": target},
    )  # fmt: skip
    db.session.commit()
    return project


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
        refuse("closed", _("Opinions are taken only during the publicity period."))
    if not body or len(body) > 500:
        refuse("body", _("Write your opinion in 1 to 500 characters."))
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


def reply_to_comment(comment_id: int, body: str, by: User) -> None:
    """Staff answer an opinion, or change their answer (each change audited)."""
    body = body.strip()
    begin_write()
    comment = locked(
        ProjectComment,
        ProjectComment.id == comment_id,
        options=(joinedload(ProjectComment.project),),
    )
    if not body or len(body) > 500:
        refuse("body", _("Write the answer in 1 to 500 characters."))
    if comment.reply == body:  # the same answer sent twice: nothing changes
        db.session.rollback()
        return
    comment.reply, comment.replied_by_id, comment.replied_at = body, by.id, clock.now()
    audit.record("project.reply", "project", comment.project_id, actor=by,
                 site_id=comment.project.site_id, after={"comment_id": comment.id})  # fmt: skip
    db.session.commit()


def project_outcome(project_id: int) -> dict:
    """Activities held and volunteer hours of a project (for its completed page)."""
    row = db.session.execute(
        select(
            func.count(func.distinct(Activity.id)),
            func.coalesce(func.sum(Signup.hours_credited), 0),
        )
        .select_from(Activity)
        .outerjoin(Signup, (Signup.activity_id == Activity.id) & (Signup.status == "attended"))
        .where(Activity.project_id == project_id, Activity.status == "open")
    ).one()
    return {"activities": row[0], "hours": Decimal(row[1])}
