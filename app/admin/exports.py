"""Rows for the admin's CSV exports: sites, bookings by site and period, volunteer hours."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..accounts.mobile import mask_mobile
from ..clock import LOCAL_TZ
from ..extensions import db
from ..models import (
    Activity,
    Booking,
    Community,
    PointsEntry,
    Service,
    Signup,
    Site,
    Slot,
    Street,
    User,
    VolunteerProfile,
)
from ..vocab import BOOKING_STATUSES

BATCH = 1000


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time(), tzinfo=LOCAL_TZ)
    return start, datetime.combine(last + timedelta(days=1), time(), tzinfo=LOCAL_TZ)


def sites() -> Iterator[Site]:
    query = (
        select(Site)
        .options(
            joinedload(Site.community).joinedload(Community.street).joinedload(Street.district),
            selectinload(Site.facilities),
            selectinload(Site.opening_intervals),
        )
        .order_by(Site.id)
    )
    last_id = 0
    while True:  # keyset pages keep memory flat for a whole city
        page = db.session.scalars(query.where(Site.id > last_id).limit(BATCH)).unique().all()
        if not page:
            return
        yield from page
        last_id = page[-1].id
        db.session.expunge_all()


def booking_header() -> list[str]:
    return [
        _("Booking code"), _("Site"), _("Service"), _("Date"), _("Time"), _("Status"),
        _("Seats"), _("Resident"), _("Mobile"), _("Booked by staff"), _("Checked in at"),
    ]  # fmt: skip


def bookings(site: Site, first: date, last: date) -> Iterator[list]:
    """Bookings at ``site`` (a center includes its stations) with slots in the period."""
    start, end = _bounds(first, last)
    query = (
        select(Booking, Slot, Service, Site, User)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Slot.service_id == Service.id)
        .join(Site, Service.site_id == Site.id)
        .join(User, Booking.user_id == User.id)
        .where(
            or_(Site.id == site.id, Site.center_id == site.id),
            Slot.starts_at >= start,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at, Booking.id)
        .execution_options(yield_per=BATCH)
    )
    for booking, slot, service, at, user in db.session.execute(query):
        starts = clock.local(slot.starts_at)
        status = BOOKING_STATUSES.get(booking.status)
        yield [
            booking.code, at.name, service.name, starts.date().isoformat(),
            f"{starts:%H:%M}-{clock.local(slot.ends_at):%H:%M}",
            status.label if status else booking.status, booking.seats,
            user.display_name, mask_mobile(user.mobile),
            _("yes") if booking.booked_by_id else "",
            clock.stamp(booking.checked_in_at) if booking.checked_in_at else "",
        ]  # fmt: skip


def hours_header() -> list[str]:
    return [_("Volunteer"), _("Real name"), _("Mobile"), _("Activities attended"),
            _("Hours"), _("Points balance")]  # fmt: skip


def volunteer_hours(first: date, last: date) -> Iterator[list]:
    """Each volunteer's attended activities and credited hours in the period."""
    start, end = _bounds(first, last)
    credited = (
        select(
            Signup.user_id,
            func.count(Signup.id).label("attended"),
            func.coalesce(func.sum(Signup.hours_credited), 0).label("hours"),
        )
        .join(Activity, Signup.activity_id == Activity.id)
        .where(Signup.status == "attended", Activity.starts_at >= start, Activity.starts_at < end)
        .group_by(Signup.user_id)
        .subquery()
    )
    balance = (
        select(PointsEntry.user_id, func.sum(PointsEntry.points).label("points"))
        .group_by(PointsEntry.user_id)
        .subquery()
    )
    query = (
        select(User, VolunteerProfile.real_name, credited.c.attended, credited.c.hours,
               balance.c.points)
        .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
        .join(credited, credited.c.user_id == User.id)
        .outerjoin(balance, balance.c.user_id == User.id)
        .order_by(credited.c.hours.desc(), User.id)
        .execution_options(yield_per=BATCH)
    )  # fmt: skip
    for user, real_name, attended, hours, points in db.session.execute(query):
        yield [user.display_name, real_name, mask_mobile(user.mobile), attended,
               f"{float(hours):g}", points or 0]  # fmt: skip
