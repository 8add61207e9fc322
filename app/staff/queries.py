"""Look-ups for the staff console."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..clock import LOCAL_TZ
from ..extensions import db
from ..models import Activity, Booking, Service, Slot


@dataclass(frozen=True)
class DayCounts:
    """What a site has on one day: bookings, check-ins so far, activities."""

    bookings: int = 0
    checked_in: int = 0
    activities: int = 0


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def day_counts(site_ids: list[int], day: date) -> dict[int, DayCounts]:
    """Counts for every site in ``site_ids`` on the local ``day``, in two queries."""
    if not site_ids:
        return {}
    start, end = _day_bounds(day)
    booking_rows = db.session.execute(
        select(
            Service.site_id,
            func.count(Booking.id),
            func.count(Booking.checked_in_at),
        )
        .join(Slot, Slot.service_id == Service.id)
        .join(Booking, Booking.slot_id == Slot.id)
        .where(
            Service.site_id.in_(site_ids),
            Slot.starts_at >= start,
            Slot.starts_at < end,
            Booking.status.in_(Booking.SEAT_HOLDING),
        )
        .group_by(Service.site_id)
    ).all()
    activity_rows = db.session.execute(
        select(Activity.site_id, func.count(Activity.id))
        .where(
            Activity.site_id.in_(site_ids),
            Activity.starts_at >= start,
            Activity.starts_at < end,
            Activity.status == "open",
        )
        .group_by(Activity.site_id)
    ).all()
    bookings = {site_id: (total, checked) for site_id, total, checked in booking_rows}
    activities = dict(activity_rows)
    return {
        site_id: DayCounts(
            bookings=bookings.get(site_id, (0, 0))[0],
            checked_in=bookings.get(site_id, (0, 0))[1],
            activities=activities.get(site_id, 0),
        )
        for site_id in site_ids
    }
