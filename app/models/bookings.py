"""Booking (预约): rules per service, slots, and residents' bookings.

Capacity lives in the database: ``slot.taken`` only moves through conditional
updates (see bookings.service), and a check constraint refuses any row where
it would pass ``capacity`` or drop below zero.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from .types import UTCDateTime


class BookingRule(db.Model):
    """How a bookable service takes bookings (set by staff of its site)."""

    __table_args__ = (
        CheckConstraint("seat_limit BETWEEN 1 AND 20", name="seat_limit"),
        CheckConstraint("window_days BETWEEN 1 AND 60", name="window_days"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice"),
        CheckConstraint("cancel_cutoff_minutes >= 0", name="cancel_cutoff"),
        CheckConstraint("max_active BETWEEN 1 AND 50", name="max_active"),
        CheckConstraint("max_per_month BETWEEN 1 AND 200", name="max_per_month"),
    )

    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), primary_key=True)
    seat_limit: Mapped[int] = mapped_column(Integer, default=1)
    window_days: Mapped[int] = mapped_column(Integer, default=14)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=120)
    max_active: Mapped[int] = mapped_column(Integer, default=2)
    max_per_month: Mapped[int] = mapped_column(Integer, default=4)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    # The job marks bookings not checked in 30 minutes after the slot ended as
    # no-shows; a service whose desk checks nobody in turns it off.
    auto_no_show: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SlotRule(db.Model):
    """A weekly pattern: on this weekday, from start to end, slots of N minutes."""

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "starts_min >= 0 AND starts_min < ends_min AND ends_min <= 1440", name="interval"
        ),
        CheckConstraint("slot_minutes BETWEEN 5 AND 720", name="slot_minutes"),
        CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    starts_min: Mapped[int] = mapped_column(Integer)
    ends_min: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)


class Slot(db.Model):
    """A bookable time window of a service, with its capacity and seats taken."""

    __table_args__ = (
        UniqueConstraint("service_id", "starts_at"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="seats"),
        CheckConstraint("capacity >= 1", name="capacity"),
        CheckConstraint("starts_at < ends_at", name="times"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)

    service: Mapped["Service"] = relationship()  # noqa: F821

    @property
    def seats_left(self) -> int:
        return self.capacity - self.taken


class Booking(db.Model):
    """A resident's booking of seats in a slot.

    Status: pending (awaiting approval) → booked → checked_in or no_show;
    waitlisted until a seat frees up; cancelled or declined at any point
    before. ``code`` is what the resident shows at the desk.

    The status groups below are named once here; queries, rules and templates
    use these names instead of spelling the tuples out.
    """

    # Ended: the booking holds nothing. Every other status is "live" (one live
    # booking per resident per slot, see the unique index).
    ENDED = ("cancelled", "declined")
    # Live and still ahead: the resident may cancel it.
    CANCELLABLE = ("booked", "pending", "waitlisted")
    # Holds seats of the slot (a waiting-list place does not).
    SEAT_HOLDING = ("booked", "pending", "checked_in", "no_show")
    # Holds a seat and counts against the resident's limits for a service.
    HOLDING_UPCOMING = ("booked", "pending")

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'booked', 'waitlisted', 'cancelled', 'declined',"
            " 'checked_in', 'no_show')",
            name="status",
        ),
        CheckConstraint("seats BETWEEN 1 AND 20", name="seats"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        # One active booking per resident per slot: a double submit makes one row.
        Index(
            "uq_booking_active_per_slot",
            "slot_id",
            "user_id",
            unique=True,
            sqlite_where=text("status NOT IN ('cancelled', 'declined')"),
            postgresql_where=text("status NOT IN ('cancelled', 'declined')"),
        ),
        Index("ix_booking_slot_status", "slot_id", "status", "id"),
        Index("ix_booking_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(8), unique=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.current)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.current, onupdate=clock.current
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship()
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    booked_by: Mapped["User | None"] = relationship(foreign_keys=[booked_by_id])  # noqa: F821

    @property
    def code_display(self) -> str:
        """'48217730' → '4821 7730': easier to read aloud."""
        return f"{self.code[:4]} {self.code[4:]}"
