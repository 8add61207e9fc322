"""Slots: generated from a service's weekly rules over its booking window.

``slot_times`` is pure (the seed uses it too); ``generate_slots`` writes the
missing slots and never deletes one that has bookings. ``generate_all`` is
the daily job: site by site, each in its own transaction, so one site's
failure is logged and never stops the others.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, exists, func, select

from ..clock import LOCAL_TZ
from ..database import begin_write
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


def closed_days(
    specials: Iterable[tuple[str, date, date]], first: date | None = None, last: date | None = None
) -> set[date]:
    """Every date from ``first`` to ``last`` that a closure or holiday covers.

    Only the days inside the window are walked, so the work is bounded by the
    booking window, never by how long a closure runs (a closure entered until
    9999-12-31 costs what a one-day closure costs, and never overflows).
    """
    closed = set()
    for kind, starts_on, ends_on in specials:
        if kind not in CLOSING_DAY_KINDS:
            continue
        day = max(starts_on, first) if first else starts_on
        end = min(ends_on, last) if last else ends_on
        while day <= end:
            closed.add(day)
            if day == date.max:
                break
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
    days = window_days(today, rule.window_days)
    specials = db.session.execute(
        select(SpecialDay.kind, SpecialDay.starts_on, SpecialDay.ends_on).where(
            SpecialDay.site_id == service.site_id,
            SpecialDay.ends_on >= today,
            SpecialDay.starts_on <= days[-1],
        )
    ).all()
    closed = closed_days(specials, days[0], days[-1])
    wanted = {}
    for day in days:
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


log = logging.getLogger(__name__)


@dataclass
class GenerationReport:
    """What the daily job did: slots added, sites that failed, and what is open now."""

    added: int = 0
    sites: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (site id, site name)


def _generate_site(site_id: int, today: date) -> int:
    """One site's bookable services, in one transaction of their own."""
    from sqlalchemy.orm import selectinload

    begin_write()
    services = db.session.scalars(
        select(Service)
        .where(Service.site_id == site_id, Service.bookable.is_(True), Service.active.is_(True))
        .options(selectinload(Service.booking_rule), selectinload(Service.slot_rules))
        .order_by(Service.id)
    ).all()
    added = sum(generate_slots(service, today) for service in services)
    db.session.commit()
    return added


def generate_all(today: date) -> GenerationReport:
    """Generate slots for every bookable service (the daily job), site by site.

    A site whose generation fails is rolled back and logged with its id and
    name; every other site still gets its slots.
    """
    report = GenerationReport()
    sites = db.session.execute(
        select(Site.id, Site.name)
        .where(
            exists().where(
                Service.site_id == Site.id,
                Service.bookable.is_(True),
                Service.active.is_(True),
            )
        )
        .order_by(Site.id)
    ).all()
    db.session.rollback()
    for site_id, name in sites:
        try:
            report.added += _generate_site(site_id, today)
            report.sites += 1
        except Exception:
            db.session.rollback()
            log.exception("slot generation failed for site %s (%s)", site_id, name)
            report.failed.append((site_id, name))
    return report


def open_slots(moment: datetime) -> int:
    """Future slots with at least one free seat, across the city."""
    return db.session.scalar(
        select(func.count(Slot.id)).where(Slot.starts_at > moment, Slot.taken < Slot.capacity)
    )
