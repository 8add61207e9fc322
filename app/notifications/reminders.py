"""Reminders: the evening before, and two hours before, a booking or an activity.

The job runs every few minutes and may run twice or on two hosts: each
reminder carries a dedupe key ("booking:12:evening"), so it is sent once.
The evening reminder goes from 18:00 the day before; the two-hour one when
the start is at most two hours away (not for a booking made within those two
hours: the confirmation just said it all).
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..database import begin_write
from ..extensions import db
from ..models import Activity, Booking, Service, Signup, Slot
from ..urls import path_for
from . import notify

EVENING = time(18, 0)
SOON = timedelta(hours=2)


def _tomorrow_bounds(now: datetime) -> tuple[datetime, datetime] | None:
    """Tomorrow's local day as instants, once it is evening today; else None."""
    local = clock.local(now)
    if local.time() < EVENING:
        return None
    tomorrow = local.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(), tzinfo=clock.LOCAL_TZ)
    return start, start + timedelta(days=1)


def _when(moment: datetime) -> str:
    return clock.stamp(moment)


def booking_params(booking: Booking) -> dict:
    service = booking.slot.service
    return {"service": service.name, "site": service.site.name,
            "when": _when(booking.slot.starts_at), "code": booking.code_display}  # fmt: skip


def activity_params(activity: Activity) -> dict:
    return {"activity": activity.title, "when": _when(activity.starts_at),
            "place": activity.address or activity.site.name}  # fmt: skip


def _remind_bookings(now: datetime, start: datetime, end: datetime, which: str) -> int:
    bookings = db.session.scalars(
        select(Booking)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(
            Booking.status.in_(Booking.HOLDING_UPCOMING),
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .options(joinedload(Booking.slot).joinedload(Slot.service).joinedload(Service.site))
        .order_by(Booking.id)
        .limit(5000)
    ).all()
    sent = 0
    for booking in bookings:
        if which == "soon" and booking.created_at > booking.slot.starts_at - SOON:
            continue
        begin_write()
        if notify(booking.user_id, "booking_reminder", booking_params(booking),
                  url=path_for("bookings.detail", booking_id=booking.id),
                  dedupe_key=f"booking:{booking.id}:{which}"):  # fmt: skip
            sent += 1
        db.session.commit()
    return sent


def _remind_activities(now: datetime, start: datetime, end: datetime, which: str) -> int:
    signups = db.session.scalars(
        select(Signup)
        .join(Activity, Signup.activity_id == Activity.id)
        .where(
            Signup.status == "signed_up",
            Activity.status == "open",
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
        .options(joinedload(Signup.activity).joinedload(Activity.site))
        .order_by(Signup.id)
        .limit(5000)
    ).all()
    sent = 0
    for signup in signups:
        if which == "soon" and signup.created_at > signup.activity.starts_at - SOON:
            continue
        begin_write()
        if notify(signup.user_id, "activity_reminder", activity_params(signup.activity),
                  url=path_for("volunteers.activity", activity_id=signup.activity_id),
                  dedupe_key=f"signup:{signup.id}:{which}"):  # fmt: skip
            sent += 1
        db.session.commit()
    return sent


def send_due(now: datetime | None = None) -> int:
    """Every reminder that is due now and not yet sent; how many were sent."""
    now = now or clock.now()
    sent = _remind_bookings(now, now, now + SOON, "soon")
    sent += _remind_activities(now, now, now + SOON, "soon")
    tomorrow = _tomorrow_bounds(now)
    if tomorrow is not None:
        sent += _remind_bookings(now, *tomorrow, "evening")
        sent += _remind_activities(now, *tomorrow, "evening")
    db.session.rollback()
    return sent
