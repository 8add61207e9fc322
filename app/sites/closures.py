"""When a site closes (for the rest of today, or for whole days), what it had on.

A closure that would leave bookings or volunteer activities standing asks the
staff member first: ``affected`` counts them, and the form offers two answers.
"Cancel them and tell each person" runs ``cancel_affected`` after the closure
is saved: every booking is cancelled by the site through the booking rules
(its seats go to the waiting list, which the closure then leaves empty, since
nobody can book a closed day), every activity is cancelled through the
activity rules; each is audited and each person is told, in the inbox and by
text message. "Keep them" leaves them as they are: the staff member will call.

The closure is saved first and the items are read again afterwards, so a
booking made in the moment between the question and the answer is cancelled
too (a closed day takes no new bookings).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, select

from .. import clock
from ..extensions import db
from ..models import Activity, Booking, Service, Signup, Slot
from ..refusals import Refused

# Special days that close the site (extended hours do not).
CLOSING_KINDS = ("closed", "holiday")
ACTIVE_SIGNUPS = ("signed_up", "waitlisted", "checked_in")


@dataclass
class Affected:
    """What a closure of ``start``–``end`` meets: bookings, and activities with sign-ups."""

    start: datetime
    end: datetime
    booking_ids: list[int] = field(default_factory=list)
    people_booked: int = 0
    activity_ids: list[int] = field(default_factory=list)
    signups: int = 0
    examples: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.booking_ids or self.activity_ids)

    @property
    def first_day(self) -> date:
        return clock.local(self.start).date()

    @property
    def last_day(self) -> date:
        return clock.local(self.end - timedelta(microseconds=1)).date()


def days(first: date, last: date) -> tuple[datetime, datetime]:
    """The moments from the start of ``first`` to the end of ``last``, local days.

    Never before now: what has already begun is not the closure's to cancel.
    """
    start = datetime.combine(first, time(0), tzinfo=clock.LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=clock.LOCAL_TZ)
    return max(start, clock.now()), end


def rest_of_today() -> tuple[datetime, datetime]:
    """From now to the end of today (a site "temporarily closed" now)."""
    return days(clock.today(), clock.today())


def affected(site_id: int, start: datetime, end: datetime) -> Affected:
    """The bookings that hold a place, and the open activities with sign-ups, in the span."""
    result = Affected(start, end)
    if end <= start:
        return result
    rows = db.session.execute(
        select(Booking.id, Service.name, Slot.starts_at)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Slot.service_id == Service.id)
        .where(
            Service.site_id == site_id,
            Slot.starts_at >= start,
            Slot.starts_at < end,
            Booking.status.in_(Booking.CANCELLABLE),
        )
        # The waiting list first: cancelled before the seats, it is never
        # promoted into a day that is closing.
        .order_by(case((Booking.status == "waitlisted", 0), else_=1), Slot.starts_at, Booking.id)
    ).all()
    result.booking_ids = [row.id for row in rows]
    result.people_booked = len(result.booking_ids)
    seen = set()
    for row in sorted(rows, key=lambda row: row.starts_at):
        label = f"{clock.stamp(row.starts_at)} {row.name}"
        if label not in seen and len(seen) < 5:
            seen.add(label)
            result.examples.append(label)
    signups = (
        select(func.count(Signup.id))
        .where(Signup.activity_id == Activity.id, Signup.status.in_(ACTIVE_SIGNUPS))
        .scalar_subquery()
    )
    activities = db.session.execute(
        select(Activity.id, Activity.title, Activity.starts_at, signups.label("signups"))
        .where(
            Activity.site_id == site_id,
            Activity.status == "open",
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
        .order_by(Activity.starts_at, Activity.id)
    ).all()
    for row in activities:
        if row.signups:
            result.activity_ids.append(row.id)
            result.signups += row.signups
            if len(result.examples) < 8:
                result.examples.append(f"{clock.stamp(row.starts_at)} {row.title}")
    db.session.rollback()  # a read: end its snapshot before the writes that follow
    return result


@dataclass(frozen=True)
class Cancelled:
    bookings: int
    activities: int


def cancel_affected(site_id: int, start: datetime, end: datetime, reason: str, by) -> Cancelled:
    """Cancel what the span holds, each through its own rules, and tell each person.

    Each booking and activity is cancelled in its own transaction under its
    own lock, so a double submit or a resident cancelling at the same moment
    cancels once; one that ended meanwhile is skipped.
    """
    from ..bookings.service import cancel_by_staff
    from ..volunteers.activities import cancel_activity

    now_affected = affected(site_id, start, end)
    bookings = activities = 0
    for booking_id in now_affected.booking_ids:
        try:
            cancel_by_staff(booking_id, by, reason)
        except Refused:
            db.session.rollback()
        else:
            bookings += 1
    for activity_id in now_affected.activity_ids:
        try:
            cancel_activity(activity_id, reason, by)
        except Refused:
            db.session.rollback()
        else:
            activities += 1
    return Cancelled(bookings, activities)
