"""Slots: generated from a service's weekly rules over its booking window.

``slot_times`` is pure (the seed uses it too); ``generate_slots`` writes the
missing slots and never deletes one that has bookings.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, exists, select

from ..clock import LOCAL_TZ
from ..extensions import db
from ..models import Booking, BookingRule, Service, Site, Slot, SpecialDay
from ..sites.hours import CLOSING_DAY_KINDS


@dataclass(frozen=True)
class WeeklyRule:
    weekday: int
    starts_min: int
    ends_min: int
    slot_minutes: int
    capacity: int


def local_at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ) + timedelta(minutes=minutes)


def slot_times(rules: Sequence[WeeklyRule], day: date) -> list[tuple[datetime, datetime, int]]:
    """(starts_at, ends_at, capacity) of the slots one day gets; whole slots only."""
    found = []
    for rule in rules:
        if rule.weekday != day.weekday():
            continue
        start = rule.starts_min
        while start + rule.slot_minutes <= rule.ends_min:
            found.append(
                (local_at(day, start), local_at(day, start + rule.slot_minutes), rule.capacity)
            )
            start += rule.slot_minutes
    return sorted(set(found))


def window_days(today: date, days: int) -> list[date]:
    """Today and the next ``days`` days."""
    return [today + timedelta(days=n) for n in range(days + 1)]


def closed_days(specials: Iterable[tuple[str, date, date]]) -> set[date]:
    """Every date a closure or holiday covers."""
    closed = set()
    for kind, starts_on, ends_on in specials:
        if kind in CLOSING_DAY_KINDS:
            day = starts_on
            while day <= ends_on:
                closed.add(day)
                day += timedelta(days=1)
    return closed


def generate_slots(service: Service, today: date) -> int:
    """Bring the service's future slots in line with its rules; return slots added.

    Adds the slots its rules call for over the booking window, skipping the
    site's closures and holidays. Future slots the rules no longer call for
    are deleted only when nobody has booked or queued for them; a slot with
    bookings stays, and its capacity never drops below the seats taken.
    The caller commits.
    """
    rule: BookingRule | None = service.booking_rule
    if rule is None or not service.bookable or not service.active:
        return 0
    weekly = [
        WeeklyRule(r.weekday, r.starts_min, r.ends_min, r.slot_minutes, r.capacity)
        for r in service.slot_rules
    ]
    specials = db.session.execute(
        select(SpecialDay.kind, SpecialDay.starts_on, SpecialDay.ends_on).where(
            SpecialDay.site_id == service.site_id, SpecialDay.ends_on >= today
        )
    ).all()
    closed = closed_days(specials)
    wanted = {}
    for day in window_days(today, rule.window_days):
        if day not in closed:
            for starts_at, ends_at, capacity in slot_times(weekly, day):
                wanted[starts_at] = (ends_at, capacity)
    window_start = local_at(today, 0)
    existing = {
        s.starts_at: s
        for s in db.session.scalars(
            select(Slot).where(Slot.service_id == service.id, Slot.starts_at >= window_start)
        )
    }
    has_bookings = set(
        db.session.scalars(
            select(Slot.id).where(
                Slot.service_id == service.id,
                Slot.starts_at >= window_start,
                exists().where(Booking.slot_id == Slot.id),
            )
        )
    )
    added = 0
    for starts_at, (ends_at, capacity) in wanted.items():
        slot = existing.get(starts_at)
        if slot is None:
            db.session.add(
                Slot(service_id=service.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity)
            )
            added += 1
        elif slot.capacity != capacity:
            slot.capacity = max(capacity, slot.taken)
    stale = [s.id for at, s in existing.items() if at not in wanted and s.id not in has_bookings]
    if stale:
        db.session.execute(delete(Slot).where(Slot.id.in_(stale)))
    return added


def generate_all(today: date) -> int:
    """Generate slots for every bookable service (the daily job)."""
    from sqlalchemy.orm import selectinload

    services = db.session.scalars(
        select(Service)
        .join(Site)
        .where(Service.bookable.is_(True), Service.active.is_(True))
        .options(selectinload(Service.booking_rule), selectinload(Service.slot_rules))
    ).all()
    added = sum(generate_slots(service, today) for service in services)
    db.session.commit()
    return added
