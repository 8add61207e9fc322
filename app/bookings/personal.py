"""The bookings area's part of "download my data", and what deletion does to it."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..models import Booking, Service, Slot, User
from ..personal import iso, part


@part("bookings", covers=("booking.user_id",), order=10)
def bookings(user: User) -> list[dict]:
    """Every booking, waiting-list place and rating, oldest first."""
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.user_id == user.id)
        .options(joinedload(Booking.slot).joinedload(Slot.service).joinedload(Service.site))
        .order_by(Booking.created_at, Booking.id)
    )
    return [
        {
            "service": b.slot.service.name,
            "site": b.slot.service.site.name,
            "starts_at": iso(b.slot.starts_at),
            "seats": b.seats,
            "status": b.status,
            "code": b.code,
            "booked_by_staff": b.booked_by_id is not None,
            "booked_at": iso(b.created_at),
            "cancelled_at": iso(b.cancelled_at),
            "checked_in_at": iso(b.checked_in_at),
            "rating": b.rating,
            "rating_comment": b.rating_comment or None,
            "rated_at": iso(b.rated_at),
        }
        for b in rows
    ]


@bookings.on_delete
def _release(user: User) -> None:
    """Future bookings and waiting-list places end; their seats go to the waiting
    list by the normal rule (the next person is told). Past visits stay."""
    from .service import _finish, _load_for_update

    now = clock.now()
    ids = db.session.scalars(
        select(Booking.id)
        .join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.user_id == user.id, Booking.status.in_(Booking.CANCELLABLE),
               Slot.starts_at > now)
        .order_by(Booking.id)
    ).all()  # fmt: skip
    for booking_id in ids:
        booking = _load_for_update(booking_id)
        if booking is not None and booking.status in Booking.CANCELLABLE:
            _finish(booking, "cancelled", now)
