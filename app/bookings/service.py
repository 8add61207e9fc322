"""The booking rules: book, queue, cancel, check in, mark no-shows, rate.

Every function that writes starts with ``begin_write()``. Seats move only
through ``_take_seats``/``_release_seats``, atomic conditional updates, so
capacity holds under any number of parallel requests on SQLite (the write
lock comes first) and PostgreSQL (the row lock of the UPDATE).
"""

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import audit, clock
from ..database import begin_write, is_sqlite, lock_row
from ..extensions import db
from ..models import Booking, BookingRule, Service, Site, Slot, User
from ..permissions import covers
from ..refusals import Refused
from ..sites.hours import closure_on
from ..vocab import BOOKING_STATUSES

NO_SHOW_LIMIT = 3
NO_SHOW_PERIOD = timedelta(days=30)
SUSPENSION = timedelta(days=7)
CODE_DIGITS = 8


class BookingError(Refused):
    """A rule refused the request. ``reason`` is stable for code; ``message`` for people."""

    def __init__(self, reason: str, message: str, booking: Booking | None = None):
        super().__init__(message, reason=reason)
        self.booking = booking


@dataclass(frozen=True)
class Outcome:
    booking: Booking
    waitlisted: bool


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def _take_seats(slot_id: int, seats: int) -> bool:
    """Take ``seats`` if they are free, atomically. False when the slot is full."""
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.taken + seats <= Slot.capacity)
        .values(taken=Slot.taken + seats)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_seats(slot_id: int, seats: int) -> None:
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .values(taken=Slot.taken - seats)
        .execution_options(synchronize_session=False)
    )


def suspended_until(user_id: int, now: datetime) -> datetime | None:
    """When self-booking is allowed again, if 3 no-shows in 30 days suspended it."""
    marks = db.session.scalars(
        select(Booking.no_show_at)
        .where(
            Booking.user_id == user_id,
            Booking.status == "no_show",
            Booking.no_show_at >= now - NO_SHOW_PERIOD,
        )
        .order_by(Booking.no_show_at.desc())
    ).all()
    if len(marks) < NO_SHOW_LIMIT:
        return None
    until = marks[0] + SUSPENSION
    return until if until > now else None


def check_slot(slot: Slot, service: Service, rule: BookingRule, now: datetime) -> None:
    """Refuse slots that cannot be booked now: past, closed, outside the window."""
    if slot.starts_at <= now:
        raise BookingError("past", _("This time has already passed. Please choose a later one."))
    site: Site = service.site
    day = clock.local(slot.starts_at).date()
    if site.status == "closed" or closure_on(day, site.specials()):
        raise BookingError("closed", _("The site is closed that day. Please choose another day."))
    if day > clock.local(now).date() + timedelta(days=rule.window_days):
        raise BookingError(
            "window",
            _(
                "Bookings open %(days)s days ahead. Please choose an earlier day.",
                days=rule.window_days,
            ),
        )
    if slot.starts_at - now < timedelta(minutes=rule.min_notice_minutes):
        raise BookingError(
            "notice",
            _(
                "Please book at least %(minutes)s minutes ahead.",
                minutes=rule.min_notice_minutes,
            ),
        )


def _check_limits(user_id: int, service: Service, rule: BookingRule, slot: Slot, *, waiting: bool):
    """The resident's limits for this service, for a seat or for a waiting-list place.

    Seats and waiting-list places are counted apart: a waiting-list place never
    stops the resident from taking a free seat (each kind may number up to
    ``max_active``), and only seats count towards the month.
    """
    upcoming = dict(
        db.session.execute(
            select(Booking.status, func.count(Booking.id))
            .join(Slot)
            .where(
                Booking.user_id == user_id,
                Slot.service_id == service.id,
                Booking.status.in_(Booking.CANCELLABLE),
                Slot.ends_at > clock.now(),
            )
            .group_by(Booking.status)
        ).all()
    )
    if waiting:
        queued = upcoming.get("waitlisted", 0)
        if queued >= rule.max_active:
            raise BookingError(
                "limit_waiting",
                _(
                    "You are already on %(n)s waiting lists for this service, the most allowed. "
                    "Leave one under My bookings first.",
                    n=queued,
                ),
            )
        return
    active = sum(upcoming.get(status, 0) for status in Booking.HOLDING_UPCOMING)
    if active >= rule.max_active:
        raise BookingError(
            "limit_active",
            _(
                "You already have %(n)s active bookings for this service, the most allowed. "
                "Cancel one or wait until it has passed.",
                n=active,
            ),
        )
    local = clock.local(slot.starts_at)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    this_month = db.session.scalar(
        select(func.count(Booking.id))
        .join(Slot)
        .where(
            Booking.user_id == user_id,
            Slot.service_id == service.id,
            Booking.status.notin_((*Booking.ENDED, "waitlisted")),
            Slot.starts_at >= month_start,
            Slot.starts_at < next_month,
        )
    )
    if this_month >= rule.max_per_month:
        raise BookingError(
            "limit_month",
            _(
                "You can book this service %(n)s times a month, and that month is full.",
                n=rule.max_per_month,
            ),
        )


def book_slot(
    user: User,
    slot_id: int,
    *,
    service_id: int | None = None,
    seats: int = 1,
    waitlist: bool = False,
    by_staff: User | None = None,
) -> Outcome:
    """Book ``seats`` in a slot for ``user``, or queue on its waitlist.

    ``service_id`` is the service the form was for: a slot of another service
    is refused. Staff booking on a resident's behalf (代预约) pass ``by_staff``;
    the no-show suspension does not stop them. Nothing is written when a rule
    refuses.
    """
    begin_write()
    return _book(user, slot_id, service_id, seats, waitlist, by_staff)


def proxy_book(
    staff: User, site: Site, mobile: str, display_name: str, slot_id: int, seats: int = 1
) -> Outcome:
    """Staff book for a resident who phoned or walked in (代预约).

    A resident without an account gets a minimal one (no password, marked as
    created by staff) in the same transaction as the booking, so a refused
    booking leaves no account behind. Both are audited.
    """
    begin_write()
    user = _resident_for(mobile, display_name, staff, site)
    slot = db.session.get(Slot, slot_id)
    if slot is None or slot.service.site_id != site.id:
        db.session.rollback()
        raise BookingError("wrong_service", _("That time does not belong to this site."))
    return _book(user, slot_id, None, seats, False, staff)


def _resident_for(mobile: str, display_name: str, staff: User, site: Site) -> User:
    from ..accounts.service import resident_for

    return resident_for(mobile, display_name, staff, site_id=site.id)


def _book(user, slot_id, service_id, seats, waitlist, by_staff, before_commit=None,
          approved=False) -> Outcome:  # fmt: skip
    """The booking itself, inside the writing transaction the caller began.

    ``before_commit(booking)`` lets a caller write what holds the booking (a
    meeting) in the same transaction; a refusal there rolls both back.
    ``approved``: the caller is staff of the room's site, so a room that
    waits for approval is booked at once (staff approve their own meeting)."""
    now = clock.now()
    try:
        slot = db.session.scalar(
            select(Slot)
            .where(Slot.id == slot_id)
            .options(joinedload(Slot.service).joinedload(Service.site))
        )
        if slot is None or (service_id is not None and slot.service_id != service_id):
            raise BookingError("wrong_service", _("That time does not belong to this service."))
        service = slot.service
        rule = service.booking_rule
        if rule is None or not service.bookable or not service.active:
            raise BookingError("not_bookable", _("This service does not take bookings."))
        check_slot(slot, service, rule, now)
        if not 1 <= seats <= rule.seat_limit:
            raise BookingError(
                "seats",
                _("You can book 1 to %(n)s seats at a time.", n=rule.seat_limit),
            )
        lock_row(User, user.id)  # one resident's bookings in turn: limits hold
        # Read again under the lock: an account deleted or disabled while this
        # request was on its way books nothing (its deletion let its seats go).
        usable = db.session.scalar(
            select(User.id).where(User.id == user.id, User.active.is_(True),
                                  User.deleted_at.is_(None))
        )  # fmt: skip
        if usable is None:
            raise BookingError("account", _("This account can no longer book."))
        if by_staff is None:
            until = suspended_until(user.id, now)
            if until:
                raise BookingError(
                    "suspended",
                    _(
                        "After 3 missed bookings in 30 days, booking online is paused until "
                        "%(until)s. Staff at the site can still book for you.",
                        until=clock.stamp(until),
                    ),
                )
        existing = db.session.scalar(
            select(Booking).where(
                Booking.slot_id == slot.id,
                Booking.user_id == user.id,
                Booking.status.notin_(Booking.ENDED),
            )
        )
        if existing is not None:
            raise BookingError("duplicate", _("You have already booked this time."), existing)
        # The limits are checked after the conditional UPDATE, which decides
        # between a seat and the waiting list; a refusal rolls the seats back.
        if _take_seats(slot.id, seats):
            _check_limits(user.id, service, rule, slot, waiting=False)
            status = "pending" if rule.needs_approval and not approved else "booked"
        elif waitlist:
            _check_limits(user.id, service, rule, slot, waiting=True)
            status = "waitlisted"
        else:
            left = slot.capacity - db.session.scalar(select(Slot.taken).where(Slot.id == slot.id))
            if left > 0:
                raise BookingError("seats", _("Only %(n)s seats are left at this time.", n=left))
            raise BookingError("full", _("This time is full. You can join the waiting list."))
        booking = _insert_booking(slot.id, user.id, seats, status, by_staff)
        if status != "waitlisted":
            _tell(booking, slot, "booking_confirmed" if status == "booked" else "booking_pending")
        if by_staff is not None:
            audit.record(
                "booking.proxy", "booking", booking.id, site_id=service.site_id, actor=by_staff,
                summary=f"{service.name} {clock.stamp(slot.starts_at)}",
                after={"user_id": user.id, "seats": seats, "status": status},
            )  # fmt: skip
        if before_commit is not None:
            before_commit(booking)
        db.session.commit()
    except BookingError:
        db.session.rollback()
        raise
    except IntegrityError:
        # A double submit that raced past the check above: the unique index
        # kept one booking. Show that one.
        db.session.rollback()
        existing = db.session.scalar(
            select(Booking).where(
                Booking.slot_id == slot_id,
                Booking.user_id == user.id,
                Booking.status.notin_(Booking.ENDED),
            )
        )
        if existing is None:
            raise
        raise BookingError("duplicate", _("You have already booked this time."), existing) from None
    return Outcome(booking, waitlisted=status == "waitlisted")


def _insert_booking(slot_id: int, user_id: int, seats: int, status: str, by_staff) -> Booking:
    """Insert with a fresh code; a rare code collision retries in a savepoint."""
    for _attempt in range(5):
        booking = Booking(
            slot_id=slot_id,
            user_id=user_id,
            seats=seats,
            status=status,
            code=_new_code(),
            booked_by_id=by_staff.id if by_staff is not None else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
        except IntegrityError as error:
            if "code" not in str(error.orig).lower():
                raise
            continue
        return booking
    raise RuntimeError("could not find a free booking code")


def _promote_waitlist(slot_id: int, needs_approval: bool) -> list[Booking]:
    """Give freed seats to the waitlist, first come first served, in this transaction.

    Each waiting booking that fits takes its seats; one that needs more seats
    than are free stays queued while smaller ones behind it may move up.
    """
    promoted = []
    waiting = db.session.scalars(
        select(Booking)
        .where(Booking.slot_id == slot_id, Booking.status == "waitlisted")
        .order_by(Booking.id)
    ).all()
    for booking in waiting:
        if _take_seats(slot_id, booking.seats):
            booking.status = "pending" if needs_approval else "booked"
            promoted.append(booking)
            _tell(booking, booking.slot, "booking_promoted")
    return promoted


def _load_for_update(booking_id: int) -> Booking | None:
    query = (
        select(Booking)
        .where(Booking.id == booking_id)
        .options(joinedload(Booking.slot).joinedload(Slot.service).joinedload(Service.booking_rule))
    )
    if not is_sqlite():
        query = query.with_for_update(of=Booking)
    return db.session.scalar(query)


def cancel_booking(booking_id: int, user: User) -> Booking:
    """The resident cancels; freed seats go to the waitlist at once."""
    now = clock.now()
    begin_write()
    booking = _load_for_update(booking_id)
    if booking is None or booking.user_id != user.id:
        db.session.rollback()
        raise LookupError(booking_id)
    if booking.status not in Booking.CANCELLABLE:
        db.session.rollback()
        raise BookingError("not_active", _("This booking can no longer be cancelled."), booking)
    rule = booking.slot.service.booking_rule
    cutoff = booking.slot.starts_at - timedelta(minutes=rule.cancel_cutoff_minutes)
    if booking.status != "waitlisted" and now > cutoff:
        db.session.rollback()
        raise BookingError(
            "cutoff",
            _(
                "Bookings can be cancelled until %(minutes)s minutes before the start. "
                "Please call the site instead.",
                minutes=rule.cancel_cutoff_minutes,
            ),
            booking,
        )
    _finish(booking, "cancelled", now)
    db.session.commit()
    return booking


def _finish(booking: Booking, status: str, now: datetime) -> None:
    """End a booking (cancelled or declined), releasing seats to the waitlist."""
    held = booking.status in Booking.SEAT_HOLDING
    booking.status = status
    booking.cancelled_at = now
    if held:
        _release_seats(booking.slot_id, booking.seats)
        rule = booking.slot.service.booking_rule
        _promote_waitlist(booking.slot_id, rule.needs_approval if rule else False)


def site_of(booking: Booking) -> Site:
    return booking.slot.service.site


def find_by_code(site: Site, code: str) -> Booking | None:
    """A booking at ``site`` (or a station of it, for a center) by its code."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", code) if ch in "0123456789")
    if len(digits) != CODE_DIGITS:
        return None
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.code == digits)
        .options(joinedload(Booking.slot).joinedload(Slot.service).joinedload(Service.site))
    )
    if booking is None:
        return None
    return booking if covers(site, site_of(booking)) else None


def check_in(booking_id: int, staff: User) -> Booking:
    """Staff check a resident in on the day of the booking."""
    now = clock.now()
    begin_write()
    booking = _load_for_update(booking_id)
    if booking.status != "booked":
        db.session.rollback()
        raise BookingError("not_booked", _status_message(booking), booking)
    if clock.local(booking.slot.starts_at).date() != clock.local(now).date():
        db.session.rollback()
        raise BookingError(
            "not_today",
            _("This booking is for %(when)s, not today.", when=clock.stamp(booking.slot.starts_at)),
            booking,
        )
    before = booking.status
    booking.status = "checked_in"
    booking.checked_in_at = now
    _audit_status(booking, before, staff, "booking.checked_in")
    db.session.commit()
    return booking


def mark_no_show(booking_id: int, staff: User) -> Booking:
    """Staff mark a booked resident who did not come, once the slot has started."""
    now = clock.now()
    begin_write()
    booking = _load_for_update(booking_id)
    if booking.status != "booked":
        db.session.rollback()
        raise BookingError("not_booked", _status_message(booking), booking)
    if booking.slot.starts_at > now:
        db.session.rollback()
        raise BookingError(
            "too_early", _("A no-show can be marked once the booked time has started."), booking
        )
    before = booking.status
    booking.status = "no_show"
    booking.no_show_at = now
    _audit_status(booking, before, staff, "booking.no_show")
    db.session.commit()
    return booking


def decide(booking_id: int, approve: bool, staff: User) -> Booking:
    """Approve or decline a booking that waits for approval (rooms)."""
    now = clock.now()
    begin_write()
    booking = _load_for_update(booking_id)
    if booking.status != "pending":
        db.session.rollback()
        raise BookingError("not_pending", _status_message(booking), booking)
    before = booking.status
    if approve:
        booking.status = "booked"
    else:
        _finish(booking, "declined", now)
    _audit_status(booking, before, staff, "booking.booked" if approve else "booking.declined")
    _tell(booking, booking.slot, "booking_approved" if approve else "booking_declined")
    db.session.commit()
    return booking


def _tell(booking: Booking, slot: Slot, kind: str, **extra) -> None:
    """Tell the resident what happened to their booking (in this transaction)."""
    from ..notifications import notify
    from ..urls import path_for

    service = slot.service
    when = clock.stamp(slot.starts_at)
    params = {"service": service.name, "site": service.site.name, "when": when,
              "code": booking.code_display, **extra}  # fmt: skip
    today = clock.local(slot.starts_at).date() == clock.today()
    notify(booking.user_id, kind, params, url=path_for("bookings.detail", booking_id=booking.id),
           urgent=kind in ("booking_cancelled", "booking_promoted") and today)  # fmt: skip


def cancel_by_staff(booking_id: int, staff: User, reason: str) -> Booking:
    """The site cancels a booking (a closure, say): seats go to the waiting list,
    the resident is told why, and it is audited. A cancellation for today is urgent."""
    reason = " ".join((reason or "").split())
    now = clock.now()
    begin_write()
    booking = _load_for_update(booking_id)
    if booking is None or booking.status not in Booking.CANCELLABLE:
        db.session.rollback()
        raise BookingError("not_active", _("This booking can no longer be cancelled."), booking)
    before = booking.status
    _finish(booking, "cancelled", now)
    _audit_status(booking, before, staff, "booking.cancelled_by_staff")
    _tell(booking, booking.slot, "booking_cancelled", reason=reason)
    db.session.commit()
    return booking


def _audit_status(booking: Booking, before: str, staff: User, action: str) -> None:
    audit.record(
        action, "booking", booking.id, site_id=site_of(booking).id,
        actor=staff, summary=booking.slot.service.name,
        before={"status": before}, after={"status": booking.status},
    )  # fmt: skip


def _status_message(booking: Booking) -> str:
    return _("This booking is %(status)s.", status=BOOKING_STATUSES[booking.status].label)


def rate(booking_id: int, user: User, stars: int, comment: str) -> Booking:
    """The resident rates a visit they checked in for, once."""
    begin_write()
    booking = _load_for_update(booking_id)
    if booking is None or booking.user_id != user.id:
        db.session.rollback()
        raise LookupError(booking_id)
    if booking.status != "checked_in":
        db.session.rollback()
        raise BookingError("not_visited", _("You can rate a visit after you have been checked in."))
    if booking.rating is not None:
        db.session.rollback()
        raise BookingError("rated", _("You have already rated this visit. Thank you!"))
    if not 1 <= stars <= 5:
        db.session.rollback()
        raise BookingError("stars", _("Choose 1 to 5 stars."))
    booking.rating = stars
    booking.rating_comment = comment
    booking.rated_at = clock.now()
    db.session.commit()
    return booking


def satisfaction(site_id: int) -> tuple[int, int | None]:
    """(ratings, share of 4–5 stars in percent) for a site and its services."""
    row = db.session.execute(
        select(
            func.count(Booking.rating),
            func.sum(case((Booking.rating >= 4, 1), else_=0)),
        )
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Slot.service_id == Service.id)
        .where(Service.site_id == site_id, Booking.rating.is_not(None))
    ).one()
    count, good = row[0] or 0, row[1] or 0
    return count, (round(100 * good / count) if count else None)


NO_SHOW_AFTER = timedelta(minutes=30)
NO_SHOW_LOOKBACK = timedelta(days=2)


def mark_overdue_no_shows(now: datetime | None = None) -> int:
    """Bookings still "booked" 30 minutes after their slot ended become no-shows (the job).

    Only services whose rules say so (``auto_no_show``). One conditional UPDATE
    per booking, so the job run twice, or on two hosts, marks each booking
    once; each mark is audited as the system's.
    """
    now = now or clock.now()
    due = db.session.execute(
        select(Booking.id, Service.site_id, Service.name)
        .join(Slot, Booking.slot_id == Slot.id)
        .join(Service, Slot.service_id == Service.id)
        .join(BookingRule, BookingRule.service_id == Service.id)
        .where(
            Booking.status == "booked",
            BookingRule.auto_no_show.is_(True),
            Slot.ends_at <= now - NO_SHOW_AFTER,
            Slot.ends_at > now - NO_SHOW_LOOKBACK,
        )
        .order_by(Booking.id)
        .limit(1000)
    ).all()
    db.session.rollback()
    marked = 0
    for booking_id, site_id, service_name in due:
        begin_write()
        changed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == "booked")
            .values(status="no_show", no_show_at=now)
        ).rowcount
        if changed:
            audit.record(
                "booking.no_show", "booking", booking_id, site_id=site_id, summary=service_name,
                before={"status": "booked"}, after={"status": "no_show"},
            )  # fmt: skip
            marked += 1
        db.session.commit()
    return marked
