"""Signing up for activities, the waiting list, check-in and the organiser's roster.

Places move only through conditional updates under the activity's row lock;
hours become points through the append-only ledger.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import Activity, Membership, PointsEntry, Signup, User
from ..permissions import can_manage_site
from .common import MAX_HOURS, VolunteerError, locked, points_per_hour, refuse, require_volunteer
from .points import balance

CHECKIN_EARLY = timedelta(hours=1)  # self check-in opens an hour before the start


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
    require_volunteer(user)
    # Every change of the activity's places holds its row: a sign-up cannot
    # slip into a place that a cancellation is handing to the waiting list.
    activity = locked(Activity, Activity.id == activity_id)
    if activity is None or activity.status != "open":
        refuse("cancelled", _("This activity has been cancelled."))
    if activity.starts_at <= now:
        refuse("past", _("This activity has already started."))
    if activity.signup_deadline < now:
        refuse(
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
        refuse("duplicate", _("You have already signed up for this activity."))
    status = "signed_up" if _take_place(activity.id) else "waitlisted"
    signup = Signup(activity_id=activity.id, user_id=user.id, status=status)
    db.session.add(signup)
    try:
        db.session.commit()
    except IntegrityError:
        refuse("duplicate", _("You have already signed up for this activity."))
    return SignupOutcome(signup, waitlisted=status == "waitlisted")


def cancel_signup(user: User, activity_id: int) -> Signup:
    """Cancel before the deadline; the first on the waiting list moves up at once."""
    now = clock.now()
    begin_write()
    # The activity first: cancellations and sign-ups of one activity take
    # turns, so a double tap cancels once and one freed place promotes one.
    activity = locked(Activity, Activity.id == activity_id)
    signup = None
    if activity is not None:
        # Locked too: a check-in or an organiser's mark may be changing it.
        signup = locked(
            Signup,
            Signup.activity_id == activity_id,
            Signup.user_id == user.id,
            Signup.status.in_(("signed_up", "waitlisted")),
        )
    if signup is None:
        refuse("not_signed_up", _("You are not signed up for this activity."))
    if activity.signup_deadline < now:
        refuse("deadline", _("The sign-up deadline has passed; please tell the organiser instead."))
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
            refuse(
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
    signup = locked(
        Signup,
        Signup.activity_id == activity_id,
        Signup.user_id == user.id,
        Signup.status != "cancelled",
        options=(joinedload(Signup.activity),),
    )
    if signup is not None and signup.status == "attended":
        refuse("already", _("You are already checked in for this activity."))
    if signup is None or signup.status != "signed_up":
        refuse("not_signed_up", _("You are not signed up for this activity."))
    activity = signup.activity
    if not checkin_open(activity, now):
        refuse("not_now", _("Check-in opens an hour before the start and closes at the end."))
    if "".join(code.split()) != activity.checkin_code:
        refuse("code", _("That code is not right. Ask the organiser for the activity's code."))
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
    signup = locked(Signup, Signup.id == signup_id, options=(joinedload(Signup.activity),))
    if signup is None or signup.status not in ("signed_up", "attended", "absent"):
        refuse("status", _("Only volunteers with a place can be marked."))
    activity = signup.activity
    before = {"status": signup.status, "hours": str(signup.hours_credited)}
    if attended:
        hours = Decimal(activity.hours) if hours is None else Decimal(hours)
        if hours <= 0 or hours > MAX_HOURS:
            refuse("hours", _("Hours must be more than 0 and at most 24."))
        if hours != Decimal(activity.hours) and not reason:
            refuse("reason", _("Give a reason when the hours differ from the schedule."))
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
