"""The rules of volunteering, called by the views and the tests.

Writers start with ``begin_write()``. Places and stock move only through
conditional updates; a volunteer's points are a ledger whose sum is checked
under a lock on the volunteer's row before any spending or taking back.

Every read-then-write holds the row it decides on (``_locked``): on SQLite the
write lock of ``begin_write()`` already serialises writers, on PostgreSQL a
row lock does, so a double tap or two app hosts make one decision. Locks are
taken in one order, so two writers never wait for each other in a circle: an
activity before its sign-ups, a sign-up or a redemption before the volunteer's
user row, and that row before a mall item.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write, is_sqlite, lock_row
from ..extensions import db
from ..models import (
    Activity,
    MallItem,
    Membership,
    PointsEntry,
    Project,
    ProjectComment,
    Redemption,
    Signup,
    Team,
    User,
    VolunteerProfile,
)
from ..permissions import can_manage_site

MAX_HOURS = Decimal(24)
CHECKIN_EARLY = timedelta(hours=1)  # self check-in opens an hour before the start


class VolunteerError(Exception):
    """A rule refused the request; ``reason`` for code, ``message`` for people."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _refuse(reason: str, message: str):
    db.session.rollback()
    raise VolunteerError(reason, message)


def _locked(model, *criteria, options=()):
    """The one ``model`` row matching ``criteria``, held until the transaction ends.

    On PostgreSQL the SELECT takes a row lock and, once any other writer of the
    row has committed, returns the row as that writer left it (READ COMMITTED
    re-reads a locked row; one that no longer matches is not returned). The
    values overwrite any copy of the object the session already holds, so the
    checks that follow judge the latest state. On SQLite ``begin_write()``
    already holds the database's write lock.
    """
    query = (
        select(model).where(*criteria).options(*options).execution_options(populate_existing=True)
    )
    if not is_sqlite():
        query = query.with_for_update(of=model)
    return db.session.scalar(query)


def points_per_hour() -> Decimal:
    return Decimal(str(current_app.config.get("POINTS_PER_HOUR", 1)))


def _require_volunteer(user: User) -> None:
    if user.volunteer is None:
        _refuse("not_volunteer", _("Please fill in your volunteer profile first."))


# Teams -------------------------------------------------------------------------


def can_manage_team(user: User, team: Team) -> bool:
    """The team's leader, staff of its home site, or an admin."""
    if not user.is_authenticated:
        return False
    if can_manage_site(user, team.home_site):
        return True
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.team_id == team.id,
                Membership.user_id == user.id,
                Membership.status == "leader",
            )
        )
        is not None
    )


def request_to_join(user: User, team_id: int) -> Membership:
    begin_write()
    user = db.session.get(User, user.id)
    _require_volunteer(user)
    membership = Membership(team_id=team_id, user_id=user.id, status="pending")
    db.session.add(membership)
    try:
        db.session.commit()
    except IntegrityError:
        _refuse("already", _("You have already asked to join this team."))
    return membership


def decide_membership(membership_id: int, approve: bool, by: User) -> None:
    """The leader or staff accept or decline a request to join."""
    begin_write()
    # Approve and decline at once: the second waits here, then finds the
    # request answered (a member now, or gone).
    membership = _locked(
        Membership, Membership.id == membership_id, options=(joinedload(Membership.team),)
    )
    if membership is None or membership.status != "pending":
        _refuse("not_pending", _("This request has already been answered."))
    team = membership.team
    if approve:
        membership.status = "member"
    else:
        db.session.delete(membership)
    audit.record(
        "team.member_approved" if approve else "team.member_declined", "team", team.id,
        site_id=team.home_site_id, actor=by, summary=team.name,
        after={"user_id": membership.user_id},
    )  # fmt: skip
    db.session.commit()


def leave_team(user: User, team_id: int) -> None:
    begin_write()
    membership = _locked(Membership, Membership.team_id == team_id, Membership.user_id == user.id)
    if membership is None:
        _refuse("not_member", _("You are not in this team."))
    if membership.status == "leader":
        _refuse("leader", _("A leader cannot leave; ask the staff to name a new leader first."))
    db.session.delete(membership)
    db.session.commit()


# Projects ----------------------------------------------------------------------

NEXT_STATUS = {"draft": "publicity", "publicity": "running", "running": "completed"}


def check_transition(project: Project, target: str, today: date) -> None:
    """Refuse a lifecycle step that is not allowed (draft → 公示 → running → completed)."""
    if NEXT_STATUS.get(project.status) != target:
        _refuse("order", _("A project goes from draft to publicity, to running, to completed."))
    if target == "running" and (
        project.publicity_ends_on is None or today <= project.publicity_ends_on
    ):
        _refuse(
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
    project = _locked(Project, Project.id == project_id)  # two taps make one step
    check_transition(project, target, today)
    before = {"status": project.status}
    if target == "publicity":
        if publicity is None or publicity[1] < publicity[0] or publicity[0] < today:
            _refuse(
                "dates",
                _("Choose a publicity period that starts today or later and ends after it starts."),
            )
        project.publicity_starts_on, project.publicity_ends_on = publicity
    elif target == "running":
        project.started_on = today
    elif target == "completed":
        if outcome is None or outcome[0] < 0:
            _refuse("outcome", _("Enter how many people the project served."))
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
    project = _locked(Project, Project.id == project_id)
    if not in_publicity(project, clock.today()):
        _refuse("closed", _("Opinions are taken only during the publicity period."))
    if not body or len(body) > 500:
        _refuse("body", _("Write your opinion in 1 to 500 characters."))
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
    comment = _locked(
        ProjectComment,
        ProjectComment.id == comment_id,
        options=(joinedload(ProjectComment.project),),
    )
    if not body or len(body) > 500:
        _refuse("body", _("Write the answer in 1 to 500 characters."))
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


# Activities and sign-ups --------------------------------------------------------


@dataclass(frozen=True)
class SignupOutcome:
    signup: Signup
    waitlisted: bool


def _take_place(activity_id: int) -> bool:
    result = db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.taken < Activity.places)
        .values(taken=Activity.taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_place(activity_id: int) -> None:
    db.session.execute(
        update(Activity)
        .where(Activity.id == activity_id)
        .values(taken=Activity.taken - 1)
        .execution_options(synchronize_session=False)
    )


def sign_up(user: User, activity_id: int) -> SignupOutcome:
    """Take a place, or a place on the waiting list when the activity is full."""
    now = clock.now()
    begin_write()
    user = db.session.get(User, user.id)
    _require_volunteer(user)
    # Every change of the activity's places holds its row: a sign-up cannot
    # slip into a place that a cancellation is handing to the waiting list.
    activity = _locked(Activity, Activity.id == activity_id)
    if activity is None or activity.status != "open":
        _refuse("cancelled", _("This activity has been cancelled."))
    if activity.starts_at <= now:
        _refuse("past", _("This activity has already started."))
    if activity.signup_deadline < now:
        _refuse(
            "deadline", _("Sign-up closed at %(when)s.", when=clock.stamp(activity.signup_deadline))
        )
    existing = db.session.scalar(
        select(Signup).where(
            Signup.activity_id == activity.id,
            Signup.user_id == user.id,
            Signup.status != "cancelled",
        )
    )
    if existing is not None:
        _refuse("duplicate", _("You have already signed up for this activity."))
    status = "signed_up" if _take_place(activity.id) else "waitlisted"
    signup = Signup(activity_id=activity.id, user_id=user.id, status=status)
    db.session.add(signup)
    try:
        db.session.commit()
    except IntegrityError:
        _refuse("duplicate", _("You have already signed up for this activity."))
    return SignupOutcome(signup, waitlisted=status == "waitlisted")


def cancel_signup(user: User, activity_id: int) -> Signup:
    """Cancel before the deadline; the first on the waiting list moves up at once."""
    now = clock.now()
    begin_write()
    # The activity first: cancellations and sign-ups of one activity take
    # turns, so a double tap cancels once and one freed place promotes one.
    activity = _locked(Activity, Activity.id == activity_id)
    signup = None
    if activity is not None:
        # Locked too: a check-in or an organiser's mark may be changing it.
        signup = _locked(
            Signup,
            Signup.activity_id == activity_id,
            Signup.user_id == user.id,
            Signup.status.in_(("signed_up", "waitlisted")),
        )
    if signup is None:
        _refuse("not_signed_up", _("You are not signed up for this activity."))
    if activity.signup_deadline < now:
        _refuse(
            "deadline", _("The sign-up deadline has passed; please tell the organiser instead.")
        )
    held = signup.status == "signed_up"
    signup.status = "cancelled"
    if held:
        waiting = db.session.scalar(
            select(Signup)
            .where(Signup.activity_id == activity_id, Signup.status == "waitlisted")
            .order_by(Signup.id)
            .limit(1)
            .execution_options(populate_existing=True)
        )
        if waiting is not None:
            waiting.status = "signed_up"  # the freed place passes straight to the queue
        else:
            _release_place(activity_id)
    db.session.commit()
    return signup


def _credit(signup: Signup, hours: Decimal, reason: str, by: User | None) -> None:
    """Set the hours of an attended sign-up and put the points difference in the ledger.

    The caller holds the sign-up's row (``_locked``), so ``hours_credited`` is
    the latest: the same mark arriving twice credits nothing the second time.
    Taking points back never drives the balance below zero.
    """
    old = Decimal(signup.hours_credited or 0)
    delta = int(((hours - old) * points_per_hour()).to_integral_value())
    if delta < 0:
        lock_row(User, signup.user_id)  # against a redemption spending the same points
        if balance(signup.user_id) + delta < 0:
            _refuse(
                "spent",
                _("The volunteer has already spent these points, so the hours cannot be lowered."),
            )
    signup.hours_credited = hours
    signup.credit_reason = reason
    if delta:
        db.session.add(PointsEntry(
            user_id=signup.user_id, kind="earned" if old == 0 else "adjusted", points=delta,
            reason=reason or signup.activity.title, signup_id=signup.id,
            created_by_id=by.id if by else None,
        ))  # fmt: skip


def checkin_open(activity: Activity, now: datetime) -> bool:
    """Self check-in runs from an hour before the start to the end."""
    return activity.starts_at - CHECKIN_EARLY <= now <= activity.ends_at


def self_check_in(user: User, activity_id: int, code: str) -> Signup:
    """A volunteer checks in with the activity's short code, on the day."""
    now = clock.now()
    begin_write()
    # A double tap, or the organiser marking at the same moment, waits here
    # and then finds the sign-up already attended: the hours are credited once.
    signup = _locked(
        Signup,
        Signup.activity_id == activity_id,
        Signup.user_id == user.id,
        Signup.status != "cancelled",
        options=(joinedload(Signup.activity),),
    )
    if signup is not None and signup.status == "attended":
        _refuse("already", _("You are already checked in for this activity."))
    if signup is None or signup.status != "signed_up":
        _refuse("not_signed_up", _("You are not signed up for this activity."))
    activity = signup.activity
    if not checkin_open(activity, now):
        _refuse("not_now", _("Check-in opens an hour before the start and closes at the end."))
    if "".join(code.split()) != activity.checkin_code:
        _refuse("code", _("That code is not right. Ask the organiser for the activity's code."))
    signup.status = "attended"
    signup.checked_in_at = now
    _credit(signup, Decimal(activity.hours), "", None)
    db.session.commit()
    return signup


def mark_attendance(
    signup_id: int, attended: bool, by: User, hours: Decimal | None = None, reason: str = ""
) -> Signup:
    """The organiser marks who came; attended volunteers get the scheduled hours
    by default, and a different number needs a reason."""
    reason = " ".join(reason.split())
    # NaN and infinities compare by raising, not by being out of range.
    if hours is not None and not Decimal(hours).is_finite():
        raise VolunteerError("hours", _("Hours must be more than 0 and at most 24."))
    begin_write()
    signup = _locked(Signup, Signup.id == signup_id, options=(joinedload(Signup.activity),))
    if signup is None or signup.status not in ("signed_up", "attended", "absent"):
        _refuse("status", _("Only volunteers with a place can be marked."))
    activity = signup.activity
    before = {"status": signup.status, "hours": str(signup.hours_credited)}
    if attended:
        hours = Decimal(activity.hours) if hours is None else Decimal(hours)
        if hours <= 0 or hours > MAX_HOURS:
            _refuse("hours", _("Hours must be more than 0 and at most 24."))
        if hours != Decimal(activity.hours) and not reason:
            _refuse("reason", _("Give a reason when the hours differ from the schedule."))
        signup.status = "attended"
        signup.checked_in_at = signup.checked_in_at or clock.now()
        _credit(signup, hours, reason, by)
    else:
        signup.status = "absent"
        _credit(signup, Decimal(0), reason or _("Marked absent"), by)
    audit.record(
        "signup.marked", "activity", activity.id, site_id=activity.site_id, actor=by,
        summary=activity.title, before=before,
        after={"status": signup.status, "hours": str(signup.hours_credited)},
    )  # fmt: skip
    db.session.commit()
    return signup


def can_organise(user: User, activity: Activity) -> bool:
    """Staff of the activity's site, or the leader of its team (or a project team)."""
    if can_manage_site(user, activity.site):
        return True
    team_ids = [activity.team_id] if activity.team_id else []
    if activity.project is not None:
        team_ids += [t.id for t in activity.project.teams]
    if not team_ids:
        return False
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.team_id.in_(team_ids),
                Membership.user_id == user.id,
                Membership.status == "leader",
            )
        )
        is not None
    )


# Points and the love mall --------------------------------------------------------


def balance(user_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == user_id)
    )


def adjust_points(user_id: int, points: int, reason: str, by: User) -> PointsEntry:
    """Staff correct a balance; a reason is required and it never goes negative."""
    reason = " ".join(reason.split())
    if not reason:
        raise VolunteerError("reason", _("Give a reason for the adjustment."))
    if points == 0:
        raise VolunteerError("points", _("Enter a number of points other than 0."))
    begin_write()
    lock_row(User, user_id)
    if balance(user_id) + points < 0:
        _refuse("negative", _("The balance cannot go below zero."))
    entry = PointsEntry(user_id=user_id, kind="adjusted", points=points, reason=reason,
                        created_by_id=by.id)  # fmt: skip
    db.session.add(entry)
    audit.record("points.adjusted", "user", user_id, actor=by, summary=reason,
                 after={"points": points})  # fmt: skip
    db.session.commit()
    return entry


def redeem(user: User, item_id: int) -> Redemption:
    """Exchange points for an item: stock and balance are checked atomically."""
    begin_write()
    lock_row(User, user.id)  # the balance check and the spend stay one step
    item = db.session.get(MallItem, item_id, populate_existing=True)
    if item is None or not item.active:
        _refuse("item", _("This item is no longer offered."))
    if balance(user.id) < item.points_cost:
        _refuse("points", _("You need %(cost)s points for this; you have %(have)s.",
                            cost=item.points_cost, have=balance(user.id)))  # fmt: skip
    taken = db.session.execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.stock >= 1)
        .values(stock=MallItem.stock - 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        _refuse("stock", _("Sorry, this item is out of stock."))
    redemption = Redemption(item_id=item.id, user_id=user.id, points=item.points_cost,
                            code=f"{secrets.randbelow(10**8):08d}")  # fmt: skip
    db.session.add(redemption)
    db.session.flush()
    db.session.add(PointsEntry(user_id=user.id, kind="spent", points=-item.points_cost,
                               reason=item.name, redemption_id=redemption.id))  # fmt: skip
    db.session.commit()
    return redemption


def decide_redemption(redemption_id: int, picked_up: bool, by: User) -> Redemption:
    """Staff hand the item over, or cancel the redemption (points and stock come back)."""
    begin_write()
    # Hand-over and cancel (or two cancels) at once: the second waits here and
    # finds the redemption handled, so points and stock come back once.
    redemption = _locked(
        Redemption, Redemption.id == redemption_id, options=(joinedload(Redemption.item),)
    )
    if redemption is None or redemption.status != "reserved":
        _refuse("status", _("This redemption has already been handled."))
    redemption.decided_at = clock.now()
    if picked_up:
        redemption.status = "picked_up"
    else:
        # The volunteer before the item, in the order redeem() takes them.
        lock_row(User, redemption.user_id)
        redemption.status = "cancelled"
        db.session.execute(
            update(MallItem)
            .where(MallItem.id == redemption.item_id)
            .values(stock=MallItem.stock + 1)
        )
        refund = PointsEntry(
            user_id=redemption.user_id, kind="refund", points=redemption.points,
            reason=redemption.item.name, redemption_id=redemption.id, created_by_id=by.id,
        )  # fmt: skip
        db.session.add(refund)
    audit.record(
        "redemption.picked_up" if picked_up else "redemption.cancelled",
        "redemption", redemption.id,
        site_id=redemption.item.site_id, actor=by, summary=redemption.item.name,
    )  # fmt: skip
    db.session.commit()
    return redemption


# The volunteer's record ---------------------------------------------------------


def hours_summary(user_id: int, today: date) -> dict:
    """Total hours, this year's hours and activities attended."""
    year_start = datetime(today.year, 1, 1, tzinfo=clock.LOCAL_TZ)
    total, count = db.session.execute(
        select(func.coalesce(func.sum(Signup.hours_credited), 0), func.count(Signup.id)).where(
            Signup.user_id == user_id, Signup.status == "attended"
        )
    ).one()
    this_year = db.session.scalar(
        select(func.coalesce(func.sum(Signup.hours_credited), 0))
        .join(Activity)
        .where(
            Signup.user_id == user_id, Signup.status == "attended", Activity.starts_at >= year_start
        )
    )
    return {"total": Decimal(total), "this_year": Decimal(this_year), "activities": count}


def profile_by_certificate(code: str) -> VolunteerProfile | None:
    if not code or len(code) > 24:
        return None
    return db.session.scalar(
        select(VolunteerProfile).where(VolunteerProfile.certificate_code == code)
    )
