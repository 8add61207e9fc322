"""Signing up for activities, the waiting list, and hours that are true: check-in
and check-out, the organiser's roster and the staff's confirmation of it.

Places move only through conditional updates under the activity's row lock;
hours become points through the append-only ledger.

Hours are credited only for time that happened:

- nothing before the activity starts; an organiser's mark is taken from the
  start until ``MARK_WINDOW`` after the end;
- a check-out credits the time between check-in and check-out, within the
  activity's own times, in quarter hours, and never more than its scheduled
  hours; a volunteer who forgot to check out gets the scheduled hours when
  the staff confirm the roster;
- more than the activity's length (or its scheduled hours) takes staff, a
  reason and an audit entry; nobody marks their own sign-up;
- a sign-up's points are always round(hours × rate) in all, whatever
  corrections came between: each correction adds the difference to the ledger.

Every writer locks in one order: the activity, then its sign-ups, then (to
take points back) the volunteer's user row.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit, clock
from ..database import begin_write, is_sqlite, lock_row
from ..extensions import db
from ..models import Activity, Membership, PointsEntry, Signup, User
from ..permissions import can_manage_site
from .common import (
    MAX_HOURS,
    VolunteerError,
    locked,
    points_per_hour,
    refuse,
    require_volunteer,
    tell_signed_up,
)
from .points import balance

CHECKIN_EARLY = timedelta(hours=1)  # self check-in opens an hour before the start
CHECKOUT_LATE = timedelta(hours=2)  # and check-out closes two hours after the end
MARK_WINDOW = timedelta(days=7)  # organisers mark attendance until a week after the end
QUARTER = Decimal("0.25")
# The sign-ups an organiser marks (came, or did not come).
MARKABLE = ("signed_up", "checked_in", "attended", "absent")


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
    if status == "signed_up":  # they see it on the page: the inbox keeps it, no text
        tell_signed_up(activity, "activity_signed_up", user_ids=[user.id], sms=False)
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
    _end_place(signup)
    db.session.commit()
    return signup


def _end_place(signup: Signup) -> None:
    """Cancel a sign-up (its activity locked); a freed place passes straight to the queue."""
    held = signup.status == "signed_up"
    signup.status = "cancelled"
    if not held:
        return
    waiting = db.session.scalar(
        select(Signup)
        .where(Signup.activity_id == signup.activity_id, Signup.status == "waitlisted")
        .order_by(Signup.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )
    if waiting is not None:
        waiting.status = "signed_up"
        activity = db.session.get(Activity, signup.activity_id)
        tell_signed_up(activity, "activity_promoted", user_ids=[waiting.user_id])
    else:
        _release_place(signup.activity_id)


def let_go(user_id: int, activity_id: int) -> None:
    """The account is being deleted: its place in an activity still to come ends,
    whatever the deadline (in the caller's transaction)."""
    activity = locked(Activity, Activity.id == activity_id)
    signup = locked(
        Signup,
        Signup.activity_id == activity_id,
        Signup.user_id == user_id,
        Signup.status.in_(("signed_up", "waitlisted")),
    )
    if activity is not None and signup is not None:
        _end_place(signup)


def quarter_hours(span: timedelta) -> Decimal:
    """A span of time in hours, to the nearest quarter hour (7.5 minutes rounds up)."""
    seconds = Decimal(max(span, timedelta(0)) // timedelta(microseconds=1)) / 1_000_000
    return (seconds / 900).quantize(Decimal(1), ROUND_HALF_UP) * QUARTER


def standard_hours(activity: Activity) -> Decimal:
    """The most hours an activity credits without staff: its scheduled hours, and
    never more than it lasts."""
    return min(Decimal(activity.hours), quarter_hours(activity.ends_at - activity.starts_at))


def served_hours(activity: Activity, checked_in: datetime, checked_out: datetime) -> Decimal:
    """The time between check-in and check-out within the activity's own times,
    in quarter hours, at most its standard hours."""
    start = max(checked_in, activity.starts_at)
    end = min(checked_out, activity.ends_at)
    return min(quarter_hours(end - start), standard_hours(activity))


def points_for(hours: Decimal) -> int:
    """The points that ``hours`` are worth in all (half a point rounds up)."""
    return int((Decimal(hours) * points_per_hour()).quantize(Decimal(1), ROUND_HALF_UP))


def hours_text(hours) -> str:
    """'2', '1.5', '2.25': hours as people write them (and the audit log keeps them)."""
    return format(Decimal(hours).quantize(Decimal("0.01")).normalize(), "f")


@dataclass(frozen=True)
class Attendance:
    """What can be done about an activity's attendance at one moment."""

    checkin_opens_at: datetime
    checkin_open: bool
    checkout_open: bool
    checkout_closes_at: datetime
    started: bool
    ended: bool
    marks_open: bool
    marks_close_at: datetime


def attendance(activity: Activity, now: datetime) -> Attendance:
    return Attendance(
        checkin_opens_at=activity.starts_at - CHECKIN_EARLY,
        checkin_open=checkin_open(activity, now),
        checkout_open=activity.starts_at <= now <= activity.ends_at + CHECKOUT_LATE,
        checkout_closes_at=activity.ends_at + CHECKOUT_LATE,
        started=activity.starts_at <= now,
        ended=activity.ends_at <= now,
        marks_open=activity.starts_at <= now <= activity.ends_at + MARK_WINDOW,
        marks_close_at=activity.ends_at + MARK_WINDOW,
    )  # fmt: skip


def _credit(signup: Signup, hours: Decimal, reason: str, by: User | None) -> None:
    """Set the hours of a sign-up and bring its points in the ledger to match.

    The points of a sign-up are always ``points_for(hours)`` in all: the new
    entry is that minus what its entries already add up to, so quarter hours
    and corrections never drift (rounding each change on its own would). The
    caller holds the sign-up's row, so the same mark arriving twice finds the
    hours already set and adds nothing. Taking points back holds the
    volunteer's row and never drives the balance below zero.
    """
    entries, have = db.session.execute(
        select(func.count(PointsEntry.id), func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.signup_id == signup.id
        )
    ).one()
    delta = points_for(hours) - have
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
            user_id=signup.user_id, kind="adjusted" if entries else "earned", points=delta,
            reason=reason or signup.activity.title, signup_id=signup.id,
            created_by_id=by.id if by else None,
        ))  # fmt: skip


def typed_code(text: str) -> str:
    """A code as people type it: full-width digits read as ASCII, spaces dropped."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if not ch.isspace())


def _locked_activity(activity_id: int) -> Activity:
    activity = locked(Activity, Activity.id == activity_id)
    if activity is None:
        refuse("not_signed_up", _("You are not signed up for this activity."))
    if activity.status != "open":
        refuse("cancelled", _("This activity has been cancelled."))
    return activity


def _own_signup(user: User, activity: Activity) -> Signup | None:
    return locked(
        Signup,
        Signup.activity_id == activity.id,
        Signup.user_id == user.id,
        Signup.status != "cancelled",
    )


def _check_code(activity: Activity, code: str) -> None:
    if typed_code(code) != activity.checkin_code:
        refuse("code", _("That code is not right. Ask the organiser for the activity's code."))


def _refuse_absent():
    refuse(
        "absent",
        _("The organiser has marked you as not come. Please speak to them if you are here."),
    )


def checkin_open(activity: Activity, now: datetime) -> bool:
    """Self check-in runs from an hour before the start to the end."""
    return activity.starts_at - CHECKIN_EARLY <= now <= activity.ends_at


def self_check_in(user: User, activity_id: int, code: str) -> Signup:
    """A volunteer checks in with the activity's short code, on the day.

    Nothing is credited yet: the hours are the time until the check-out.
    """
    now = clock.now()
    begin_write()
    # A double tap, or the organiser marking at the same moment, waits here
    # and then finds the sign-up already checked in or marked.
    activity = _locked_activity(activity_id)
    signup = _own_signup(user, activity)
    if signup is not None and signup.status in ("checked_in", "attended"):
        refuse("already", _("You are already checked in for this activity."))
    if signup is not None and signup.status == "absent":
        _refuse_absent()
    if signup is None or signup.status != "signed_up":
        refuse("not_signed_up", _("You are not signed up for this activity."))
    if not checkin_open(activity, now):
        refuse("not_now", _("Check-in opens an hour before the start and closes at the end."))
    _check_code(activity, code)
    signup.status = "checked_in"
    signup.checked_in_at = now
    db.session.commit()
    return signup


def self_check_out(user: User, activity_id: int, code: str) -> Signup:
    """A volunteer checks out with the same code: the time served is credited."""
    now = clock.now()
    begin_write()
    activity = _locked_activity(activity_id)
    signup = _own_signup(user, activity)
    if signup is not None and signup.status == "attended":
        refuse("already", _("You have checked out already: your hours are recorded."))
    if signup is not None and signup.status == "absent":
        _refuse_absent()
    if signup is None or signup.status != "checked_in":
        refuse("not_checked_in", _("Check in first: you can check out only after checking in."))
    window = attendance(activity, now)
    if not window.started:
        refuse(
            "not_started",
            _("The activity starts at %(when)s: check out when you leave, after the start.",
              when=clock.stamp(activity.starts_at)),
        )  # fmt: skip
    if not window.checkout_open:
        refuse(
            "too_late",
            _("Check-out closed at %(when)s. The staff will confirm your hours.",
              when=clock.stamp(window.checkout_closes_at)),
        )  # fmt: skip
    _check_code(activity, code)
    signup.status = "attended"
    signup.checked_out_at = now
    _credit(signup, served_hours(activity, signup.checked_in_at, now), "", None)
    db.session.commit()
    return signup


def _check_marks_open(activity: Activity, now: datetime) -> None:
    window = attendance(activity, now)
    if not window.started:
        refuse(
            "not_started",
            _("Attendance can be marked once the activity has started (%(when)s).",
              when=clock.stamp(activity.starts_at)),
        )  # fmt: skip
    if not window.marks_open:
        refuse(
            "closed",
            _("Attendance closed 7 days after the activity ended (%(when)s).",
              when=clock.stamp(window.marks_close_at)),
        )  # fmt: skip


def mark_attendance(
    signup_id: int, attended: bool, by: User, hours: Decimal | None = None, reason: str = ""
) -> Signup:
    """The organiser marks who came, from the start until a week after the end.

    Attended volunteers get the standard hours by default; other hours, or a
    change of hours already credited, need a reason; more than the standard
    hours need staff too, and leave an audit entry of their own. Nobody marks
    their own sign-up: another organiser or the staff must.
    """
    reason = " ".join(reason.split())
    # NaN and infinities compare by raising, not by being out of range.
    if hours is not None and not Decimal(hours).is_finite():
        raise VolunteerError("hours", _("Hours must be more than 0 and at most 24."))
    now = clock.now()
    begin_write()
    # The sign-up's activity never changes, so it can be read before the
    # locks, which are taken in order: the activity, then the sign-up.
    activity_id = db.session.scalar(select(Signup.activity_id).where(Signup.id == signup_id))
    activity = locked(Activity, Activity.id == activity_id) if activity_id else None
    signup = locked(Signup, Signup.id == signup_id) if activity else None
    if signup is None or signup.status not in MARKABLE:
        refuse("status", _("Only volunteers with a place can be marked."))
    if activity.status != "open":
        refuse("cancelled", _("This activity has been cancelled."))
    if not can_organise(by, activity):
        refuse("not_organiser", _("Only the activity's organisers and staff can mark attendance."))
    if signup.user_id == by.id:
        refuse("own", _("You cannot mark your own sign-up: another organiser or the staff must."))
    _check_marks_open(activity, now)
    before = {"status": signup.status, "hours": hours_text(signup.hours_credited)}
    over = False
    if attended:
        standard = standard_hours(activity)
        hours = standard if hours is None else Decimal(hours)
        if hours <= 0 or hours > MAX_HOURS:
            refuse("hours", _("Hours must be more than 0 and at most 24."))
        if hours % QUARTER:
            refuse("quarter", _("Count hours in quarter hours, such as 1.5 or 2.25."))
        credited = Decimal(signup.hours_credited or 0)
        corrected = signup.status == "attended" and hours != credited
        if not reason and (hours != standard or corrected):
            refuse("reason", _("Give a reason when the hours differ from the schedule."))
        over = hours > standard
        if over and not can_manage_site(by, activity.site):
            refuse(
                "over",
                _("Only the staff can credit more than the activity's %(hours)s hours.",
                  hours=hours_text(standard)),
            )  # fmt: skip
        signup.status = "attended"
        _credit(signup, hours, reason, by)
    else:
        signup.status = "absent"
        _credit(signup, Decimal(0), reason or _("Marked absent"), by)
    audit.record(
        "signup.over_hours" if over else "signup.marked", "activity", activity.id,
        site_id=activity.site_id, actor=by, summary=activity.title, before=before,
        after={"status": signup.status, "hours": hours_text(signup.hours_credited),
               "signup_id": signup.id, "reason": reason},
    )  # fmt: skip
    db.session.commit()
    return signup


def _locked_checked_in(activity_id: int) -> list[Signup]:
    """The activity's checked-in sign-ups, each held until the transaction ends."""
    query = (
        select(Signup)
        .where(Signup.activity_id == activity_id, Signup.status == "checked_in")
        .order_by(Signup.id)
        .execution_options(populate_existing=True)
    )
    if not is_sqlite():
        query = query.with_for_update(of=Signup)
    return list(db.session.scalars(query))


def confirm_roster(activity_id: int, by: User) -> int:
    """Staff close the roster once the activity has ended: everyone who checked
    in and forgot to check out is credited the standard hours. Those who never
    checked in are left for the organiser to mark; a staff member's own sign-up
    is left for someone else. Done once; returns how many were credited."""
    now = clock.now()
    begin_write()
    activity = locked(Activity, Activity.id == activity_id)
    if activity is None:
        refuse("not_staff", _("Only the staff of the activity's site can confirm its roster."))
    if activity.status != "open":
        refuse("cancelled", _("This activity has been cancelled."))
    if not can_manage_site(by, activity.site):
        refuse("not_staff", _("Only the staff of the activity's site can confirm its roster."))
    if activity.ends_at > now:
        refuse(
            "not_ended",
            _("The roster can be confirmed once the activity has ended (%(when)s).",
              when=clock.stamp(activity.ends_at)),
        )  # fmt: skip
    if activity.roster_confirmed_at is not None:
        refuse(
            "confirmed",
            _("The roster was confirmed at %(when)s.",
              when=clock.stamp(activity.roster_confirmed_at)),
        )  # fmt: skip
    hours = standard_hours(activity)
    credited = 0
    for signup in _locked_checked_in(activity.id):
        if signup.user_id == by.id:
            continue  # nobody credits their own hours
        signup.status = "attended"
        _credit(signup, hours, _("No check-out: scheduled hours, roster confirmed"), by)
        credited += 1
    activity.roster_confirmed_at = now
    audit.record(
        "activity.roster_confirmed", "activity", activity.id, site_id=activity.site_id,
        actor=by, summary=activity.title,
        after={"credited": credited, "hours": hours_text(hours)},
    )  # fmt: skip
    db.session.commit()
    return credited


def can_organise(user: User, activity: Activity) -> bool:
    """Staff of the activity's site, or the leader or a deputy of its team (or of
    a project team)."""
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
                Membership.status.in_(Membership.RUNS_THE_TEAM),
            )
        )
        is not None
    )
