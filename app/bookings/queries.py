"""Read-side look-ups for the booking pages: a few queries, independent of size."""

from collections import OrderedDict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock
from ..extensions import db
from ..models import Booking, Service, Site, Slot
from ..permissions import unit_site_ids
from .slots import local_at


def service_with_site(service_id: int) -> Service | None:
    """The service, its booking rule, and of its site only what the page names."""
    return db.session.scalar(
        select(Service)
        .where(Service.id == service_id)
        .options(
            joinedload(Service.site).load_only(Site.id, Site.name, Site.address),
            joinedload(Service.booking_rule),
        )
    )


def window_slots(service: Service, today: date) -> list[Slot]:
    """The service's slots from today to the end of its booking window."""
    rule = service.booking_rule
    end = local_at(today + timedelta(days=(rule.window_days if rule else 0) + 1), 0)
    return list(
        db.session.scalars(
            select(Slot)
            .where(
                Slot.service_id == service.id,
                Slot.starts_at >= local_at(today, 0),
                Slot.starts_at < end,
            )
            .order_by(Slot.starts_at)
        )
    )


def by_day(slots: list[Slot]) -> "OrderedDict[date, list[Slot]]":
    days: OrderedDict[date, list[Slot]] = OrderedDict()
    for slot in slots:
        days.setdefault(clock.local(slot.starts_at).date(), []).append(slot)
    return days


def my_bookings_for(user_id: int, slot_ids: list[int]) -> dict[int, Booking]:
    if not slot_ids:
        return {}
    rows = db.session.scalars(
        select(Booking).where(
            Booking.user_id == user_id,
            Booking.slot_id.in_(slot_ids),
            Booking.status.notin_(Booking.ENDED),
        )
    )
    return {b.slot_id: b for b in rows}


def waiting_for_service(user_id: int, service_id: int, now) -> list[Booking]:
    """The resident's upcoming waiting-list places for one service, soonest first."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Slot)
            .where(
                Booking.user_id == user_id,
                Booking.status == "waitlisted",
                Slot.service_id == service_id,
                Slot.starts_at > now,
            )
            .options(joinedload(Booking.slot))
            .order_by(Slot.starts_at)
            .limit(20)
        )
    )


def booking_details(booking_id: int) -> Booking | None:
    return db.session.scalar(
        select(Booking)
        .where(Booking.id == booking_id)
        .options(
            joinedload(Booking.slot)
            .joinedload(Slot.service)
            .options(joinedload(Service.site), joinedload(Service.booking_rule))
        )
    )


def user_bookings(user_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .join(Slot)
            .where(Booking.user_id == user_id)
            .options(
                joinedload(Booking.slot)
                .joinedload(Slot.service)
                .options(joinedload(Service.site), joinedload(Service.booking_rule))
            )
            .order_by(Slot.starts_at.desc())
            .limit(200)
        )
    )


def site_day_bookings(site: Site, day: date) -> list[Booking]:
    """Bookings at a site (a center includes its stations) on one local day."""
    site_ids = unit_site_ids(site)
    return list(
        db.session.scalars(
            select(Booking)
            .join(Slot)
            .join(Service, Slot.service_id == Service.id)
            .where(
                Service.site_id.in_(site_ids),
                Slot.starts_at >= local_at(day, 0),
                Slot.starts_at < local_at(day + timedelta(days=1), 0),
                Booking.status.notin_(Booking.ENDED),
            )
            .options(
                joinedload(Booking.user),
                joinedload(Booking.slot).joinedload(Slot.service).joinedload(Service.site),
            )
            .order_by(Slot.starts_at, Booking.id)
        )
    )


def site_bookable_slots(site: Site, today: date) -> list[Slot]:
    """Future slots with seats left at a site, for proxy booking (next 7 days)."""
    return list(
        db.session.scalars(
            select(Slot)
            .join(Service, Slot.service_id == Service.id)
            .where(
                Service.site_id == site.id,
                Service.bookable.is_(True),
                Service.active.is_(True),
                Slot.starts_at > clock.now(),
                Slot.starts_at < local_at(today + timedelta(days=8), 0),
                Slot.taken < Slot.capacity,
            )
            .options(selectinload(Slot.service))
            .order_by(Slot.starts_at)
            .limit(300)
        )
    )
