from datetime import date

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..htmx import render, wants_fragment
from ..inputs import DayRefused, parse_day
from ..models import Booking
from ..page_cache import cached_page
from ..qr import qr_svg
from ..urls import positive_int, safe_next
from . import bp, queries, service
from .calendar import booking_ics
from .forms import RateForm


def _chosen_day(days, requested: str | None) -> date | None:
    """The day asked for, else the first day with a free seat, else the first day."""
    try:
        day = parse_day(requested)
    except DayRefused:
        day = None  # a day the window does not offer: the first free one instead
    if day in days:
        return day
    for candidate, slots in days.items():
        if any(s.seats_left > 0 for s in slots):
            return candidate
    return next(iter(days), None)


def _service_page(service_id: int, requested_day: str | None, *, error=None, status=200):
    svc = queries.service_with_site(service_id)
    if svc is None or not svc.active:
        abort(404)
    now = clock.now()
    today = clock.local(now).date()
    days = queries.by_day([s for s in queries.window_slots(svc, today) if s.starts_at > now])
    day = _chosen_day(days, requested_day)
    slots = days.get(day, [])
    mine = (
        queries.my_bookings_for(current_user.id, [s.id for s in slots])
        if current_user.is_authenticated
        else {}
    )
    return render(
        "bookings/service.html",
        fragments=("slots",),
        service=svc,
        rule=svc.booking_rule,
        days=days,
        day=day,
        slots=slots,
        mine=mine,
        error=error,
        status=status,
    )


@bp.get("/services/<int:service_id>")
@cached_page
def service_page(service_id: int):
    """A service and its free times, day by day; a date chip loads that day's slots."""
    return _service_page(service_id, request.args.get("date"))


@bp.post("/slots/<int:slot_id>/book")
@login_required
def book(slot_id: int):
    """Book a slot (or join its waiting list) and show the confirmation."""
    service_id = positive_int(request.form.get("service_id"))
    seats = positive_int(request.form.get("seats")) or 0
    try:
        outcome = service.book_slot(
            current_user,
            slot_id,
            service_id=service_id,
            seats=seats,
            waitlist=request.form.get("waitlist") == "1",
        )
    except service.BookingError as error:
        if error.reason == "duplicate" and error.booking is not None:
            # A double tap: show the booking the first tap made.
            return redirect(url_for("bookings.detail", booking_id=error.booking.id), 303)
        if service_id is None:
            abort(404)
        return _service_page(service_id, request.form.get("date"), error=error.message, status=422)
    return redirect(url_for("bookings.detail", booking_id=outcome.booking.id), 303)


def _own_booking(booking_id: int):
    booking = queries.booking_details(booking_id)
    if booking is None or booking.user_id != current_user.id:
        abort(404)
    return booking


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    """The confirmation: code and QR to show at the desk, where, when, calendar."""
    booking = _own_booking(booking_id)
    # A seat taken while still queued for another time of the same service:
    # offer to leave that waiting list, so the place goes to someone else.
    waiting = (
        queries.waiting_for_service(current_user.id, booking.slot.service_id, clock.now())
        if booking.status in Booking.HOLDING_UPCOMING
        else []
    )
    return render(
        "bookings/detail.html",
        booking=booking,
        qr=qr_svg(booking.code, _("QR code of booking %(code)s", code=booking.code_display)),
        can_cancel=booking.status in Booking.CANCELLABLE,
        waiting=waiting,
    )


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def calendar(booking_id: int):
    """The booking as a calendar event for the phone's calendar."""
    booking = _own_booking(booking_id)
    url = url_for("bookings.detail", booking_id=booking.id, _external=True)
    title = _("%(service)s at %(site)s", service=booking.slot.service.name,
              site=booking.slot.service.site.name)  # fmt: skip
    return Response(
        booking_ics(booking, url, title),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"'},
    )


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Cancel a booking. GET asks to confirm (for pages without JavaScript)."""
    booking = _own_booking(booking_id)
    if request.method == "GET":
        return render("bookings/cancel.html", booking=booking)
    try:
        booking = service.cancel_booking(booking_id, current_user)
    except service.BookingError as error:
        if wants_fragment():
            return render(
                "bookings/mine.html", block="booking_item", b=_own_booking(booking_id),
                item_error=error.message, status=422,
            )  # fmt: skip
        flash(error.message, "error")
        return redirect(url_for("bookings.detail", booking_id=booking_id), 303)
    if wants_fragment():
        return render(
            "bookings/mine.html", block="booking_item", b=_own_booking(booking_id),
            item_message=_("Cancelled. The seat is free for others now."),
        )  # fmt: skip
    flash(_("Cancelled. The seat is free for others now."))
    return redirect(safe_next(request.form.get("next"), url_for("bookings.mine")), 303)


@bp.post("/bookings/<int:booking_id>/rate")
@login_required
def rate(booking_id: int):
    """Rate a visit once: 1–5 stars and an optional comment."""
    booking = _own_booking(booking_id)
    form = RateForm()
    page_error = None
    if form.validate_on_submit():
        try:
            comment = (form.comment.data or "").strip()
            service.rate(booking.id, current_user, int(form.stars.data), comment)
        except service.BookingError as error:
            page_error = error.message
        else:
            flash(_("Thank you for your rating."))
            return redirect(url_for("bookings.mine"), 303)
    return render(
        "bookings/mine.html",
        **_mine_context(),
        rate_form=form,
        rating_booking_id=booking.id,
        page_error=page_error,
        status=422,
    )


def _mine_context() -> dict:
    now = clock.now()
    bookings = queries.user_bookings(current_user.id)
    upcoming = [b for b in bookings if b.slot.ends_at > now and b.status not in Booking.ENDED]
    upcoming.reverse()  # soonest first
    past = [b for b in bookings if b not in upcoming]
    return {
        "upcoming": upcoming,
        "past": past,
        "suspended_until": service.suspended_until(current_user.id, now),
    }


@bp.get("/me/bookings")
@login_required
def mine():
    """My bookings: upcoming ones to cancel, past ones to rate."""
    return render("bookings/mine.html", **_mine_context(), rate_form=RateForm())
