"""Staff side of booking: the day's list, check-in, no-shows, approval, 代预约, rules."""

from datetime import date, timedelta

from flask import abort, flash, g, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_blocks
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit, clock
from ..bookings import queries
from ..bookings import service as bookings
from ..bookings.forms import CheckInForm, ProxyBookForm
from ..bookings.slots import generate_slots
from ..database import begin_write
from ..extensions import db
from ..htmx import render, wants_fragment
from ..inputs import DayRefused, parse_day
from ..models import Booking, BookingRule, Service, SlotRule
from ..permissions import covers, site_scope_required
from . import bp
from .booking_forms import BookingRuleForm, SlotRuleForm


def _day() -> date:
    """The day asked for; today, with the message shown, for a day it cannot show."""
    try:
        return parse_day(request.args.get("date")) or clock.today()
    except DayRefused as refusal:
        flash(refusal.message, "error")
        return clock.today()


def _booking_at_site(booking_id: int) -> Booking:
    """The booking, if it is at g.site (or, for a center, at one of its stations)."""
    booking = queries.booking_details(booking_id)
    if booking is None:
        abort(404)
    if not covers(g.site, booking.slot.service.site):
        abort(404)
    return booking


# Without JavaScript a row's form answers with a redirect back to the list, so
# what the row must show next (a refusal, a revealed number) waits in the
# session for the list's next view, and is shown once (post/redirect/get).
ROW_NOTICE = "staff_day_row_notice"
REVEALED = "staff_day_revealed"


def _take(key: str):
    """Pop a one-view value from the session (without touching the cookie if absent)."""
    return session.pop(key) if key in session else None


def _day_page(day: date, *, checkin_form=None, checkin_result=None, checkin_error=None,
              row_notice=None, revealed_id=None, status=200):  # fmt: skip
    return render(
        "staff/bookings.html",
        fragments=("checkin",),
        site=g.site,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        bookings=queries.site_day_bookings(g.site, day),
        checkin_form=checkin_form or CheckInForm(),
        checkin_result=checkin_result,
        checkin_error=checkin_error,
        now=clock.now(),
        row_notice=row_notice,
        revealed_id=revealed_id,
        status=status,
    )


def _row_context(booking_id: int, notice: str | None = None) -> dict:
    """What the booking_row block needs when it is rendered alone."""
    return dict(
        site=g.site, b=queries.booking_details(booking_id), now=clock.now(), revealed_id=None,
        row_notice={"booking_id": booking_id, "message": notice} if notice else None,
    )  # fmt: skip


def _back_to_row(site_id: int, booking_id: int, day: date):
    """303 to the day's list, scrolled to the booking's row (where the tap was)."""
    target = url_for("staff.bookings_day", site_id=site_id, date=day.isoformat(),
                     _anchor=f"booking-{booking_id}")  # fmt: skip
    response = redirect(target, 303)
    response.vary.add("HX-Request")
    return response


@bp.get("/sites/<int:site_id>/bookings")
@site_scope_required
def bookings_day(site_id: int):
    """The day's bookings at a site: check residents in, mark no-shows, approve."""
    return _day_page(_day(), row_notice=_take(ROW_NOTICE), revealed_id=_take(REVEALED))


@bp.post("/sites/<int:site_id>/check-in")
@site_scope_required
def check_in(site_id: int):
    """Check a resident in by the code they show (typed, or read from the QR)."""
    form = CheckInForm()
    day = clock.today()
    if not form.validate_on_submit():
        return _day_page(day, checkin_form=form, status=422)
    booking = bookings.find_by_code(g.site, form.code.data)
    if booking is None:
        return _day_page(
            day, checkin_form=form, status=422,
            checkin_error=_("No booking here has that code. Check the 8 digits and try again."),
        )  # fmt: skip
    try:
        booking = bookings.check_in(booking.id, current_user)
    except bookings.BookingError as error:
        return _day_page(day, checkin_form=form, checkin_error=error.message, status=422)
    result = _("Checked in: %(name)s, %(service)s, %(seats)s seat(s).",
               name=booking.user.display_name, service=booking.slot.service.name,
               seats=booking.seats)  # fmt: skip
    if wants_fragment():
        # The check-in block, and the booking's row of the day's list out of
        # band (hx-swap-oob), so the list no longer offers "did not come".
        # The code field is emptied for the next resident.
        body = render_blocks(
            "staff/bookings.html", ["checkin", "booking_row"],
            checkin_form=CheckInForm(formdata=None), checkin_result=result, checkin_error=None,
            oob=True, **_row_context(booking.id),
        )  # fmt: skip
        response = make_response(body)
        response.vary.add("HX-Request")
        return response
    flash(result)
    return redirect(url_for("staff.bookings_day", site_id=site_id), 303)


def _act(site_id: int, action):
    """Run a row's action; answer with the row (htmx) or back at the row (no JS).

    A refusal shows inside the row that was tapped, not at the top of a long
    list where a phone would not show it.
    """
    booking = _booking_at_site(request.view_args["booking_id"])
    booking_id, day = booking.id, clock.local(booking.slot.starts_at).date()
    try:
        action(booking)
    except bookings.BookingError as error:
        if wants_fragment():
            return render("staff/bookings.html", block="booking_row", status=422,
                          **_row_context(booking_id, error.message))  # fmt: skip
        session[ROW_NOTICE] = {"booking_id": booking_id, "message": error.message}
        return _back_to_row(site_id, booking_id, day)
    if wants_fragment():
        return render("staff/bookings.html", block="booking_row", **_row_context(booking_id))
    return _back_to_row(site_id, booking_id, day)


@bp.post("/sites/<int:site_id>/bookings/<int:booking_id>/no-show")
@site_scope_required
def no_show(site_id: int, booking_id: int):
    """Mark a booked resident who did not come (three in 30 days pause self-booking)."""
    return _act(site_id, lambda b: bookings.mark_no_show(b.id, current_user))


@bp.post("/sites/<int:site_id>/bookings/<int:booking_id>/decide")
@site_scope_required
def decide(site_id: int, booking_id: int):
    """Approve or decline a booking that waits for approval."""
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    return _act(site_id, lambda b: bookings.decide(b.id, decision == "approve", current_user))


@bp.post("/sites/<int:site_id>/bookings/<int:booking_id>/reveal")
@site_scope_required
def reveal_resident(site_id: int, booking_id: int):
    """Show the resident's whole number (to call them); every reveal is audited."""
    booking = _booking_at_site(booking_id)
    day = clock.local(booking.slot.starts_at).date()
    audit.record("personal.revealed", "user", booking.user_id, site_id=g.site.id, summary="mobile")
    db.session.commit()
    if wants_fragment():
        return render("staff/bookings.html", block="resident_mobile", b=booking,
                      revealed_id=booking.id, site=g.site)  # fmt: skip
    # Audited here, once; the list's next view only shows the number, for this
    # booking alone, and a reload masks it again.
    session[REVEALED] = booking.id
    return _back_to_row(site_id, booking.id, day)


@bp.route("/sites/<int:site_id>/proxy-book", methods=["GET", "POST"])
@site_scope_required
def proxy_book(site_id: int):
    """Book for a resident who phoned or walked in (代预约)."""
    form = ProxyBookForm()
    slots = queries.site_bookable_slots(g.site, clock.today())
    error = None
    if form.validate_on_submit():
        try:
            outcome = bookings.proxy_book(
                current_user, g.site, form.mobile.data,
                (form.display_name.data or "").strip() or _("Resident"),
                form.slot_id.data, form.seats.data,
            )  # fmt: skip
        except bookings.BookingError as failure:
            error = failure.message
        else:
            booking = outcome.booking
            flash(_("Booked for the resident. Tell them the code: %(code)s",
                    code=booking.code_display))  # fmt: skip
            day = clock.local(booking.slot.starts_at).date()
            return redirect(
                url_for("staff.bookings_day", site_id=site_id, date=day.isoformat()), 303
            )
    return render(
        "staff/proxy_book.html", site=g.site, form=form, slots=slots, error=error,
        status=422 if (error or form.errors) else 200,
    )  # fmt: skip


def _service_at_site(service_id: int) -> Service:
    svc = db.session.scalar(
        select(Service)
        .where(Service.id == service_id, Service.site_id == g.site.id)
        .options(selectinload(Service.slot_rules), selectinload(Service.booking_rule))
    )
    if svc is None:
        abort(404)
    return svc


def _rules_page(svc: Service, rule_form=None, slot_form=None, status=200):
    if rule_form is None:
        rule_form = BookingRuleForm(obj=svc.booking_rule or BookingRule(
            seat_limit=1, window_days=14, min_notice_minutes=60, cancel_cutoff_minutes=120,
            max_active=2, max_per_month=4, needs_approval=False, auto_no_show=True,
        ))  # fmt: skip
    return render(
        "staff/service_rules.html", site=g.site, service=svc, rule_form=rule_form,
        slot_form=slot_form or SlotRuleForm(), status=status,
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/services/<int:service_id>/rules")
@site_scope_required
def service_rules(site_id: int, service_id: int):
    """A service's booking rules and weekly times."""
    return _rules_page(_service_at_site(service_id))


def _regenerate(svc_id: int) -> None:
    svc = db.session.get(Service, svc_id)
    generate_slots(svc, clock.today())


@bp.post("/sites/<int:site_id>/services/<int:service_id>/rules")
@site_scope_required
def save_service_rules(site_id: int, service_id: int):
    """Save the booking rules; slots follow at once (booked ones are kept)."""
    svc = _service_at_site(service_id)
    form = BookingRuleForm()
    if not form.validate_on_submit():
        return _rules_page(svc, rule_form=form, status=422)
    begin_write()
    svc = db.session.get(Service, service_id)
    rule = svc.booking_rule or BookingRule(service_id=svc.id)
    before = (
        {k: getattr(rule, k) for k in form.data if k != "csrf_token"} if svc.booking_rule else None
    )
    form.populate_obj(rule)
    svc.booking_rule = rule
    svc.bookable = True
    after = {k: getattr(rule, k) for k in form.data if k != "csrf_token"}
    audit.record("service.rules", "service", svc.id, site_id=g.site.id, summary=svc.name,
                 before=before, after=after)  # fmt: skip
    db.session.flush()
    _regenerate(svc.id)
    db.session.commit()
    flash(_("Booking rules saved."))
    return redirect(url_for("staff.service_rules", site_id=site_id, service_id=service_id), 303)


@bp.post("/sites/<int:site_id>/services/<int:service_id>/slot-rules")
@site_scope_required
def add_slot_rule(site_id: int, service_id: int):
    """Add weekly times (e.g. Mondays 09:00–12:00 in 30-minute slots of 2)."""
    svc = _service_at_site(service_id)
    form = SlotRuleForm()
    if svc.booking_rule is None:
        form.form_errors.append(_("Save the booking rules first."))
        return _rules_page(svc, slot_form=form, status=422)
    if not form.validate_on_submit():
        return _rules_page(svc, slot_form=form, status=422)
    begin_write()
    values = {
        "weekday": int(form.weekday.data), "starts_min": form.starts.minutes,
        "ends_min": form.ends.minutes, "slot_minutes": form.slot_minutes.data,
        "capacity": form.capacity.data,
    }  # fmt: skip
    db.session.add(SlotRule(service_id=service_id, **values))
    audit.record("service.slot_rule_added", "service", service_id, site_id=g.site.id,
                 after=values)  # fmt: skip
    db.session.flush()
    _regenerate(service_id)
    db.session.commit()
    flash(_("Weekly times added."))
    return redirect(url_for("staff.service_rules", site_id=site_id, service_id=service_id), 303)


@bp.post("/sites/<int:site_id>/services/<int:service_id>/slot-rules/<int:rule_id>/delete")
@site_scope_required
def delete_slot_rule(site_id: int, service_id: int, rule_id: int):
    """Remove weekly times; slots that already have bookings are kept."""
    _service_at_site(service_id)
    begin_write()
    rule = db.session.get(SlotRule, rule_id)
    if rule is None or rule.service_id != service_id:
        db.session.rollback()
        abort(404)
    before = {"weekday": rule.weekday, "starts_min": rule.starts_min, "ends_min": rule.ends_min,
              "slot_minutes": rule.slot_minutes, "capacity": rule.capacity}  # fmt: skip
    db.session.delete(rule)
    audit.record("service.slot_rule_removed", "service", service_id, site_id=g.site.id,
                 before=before)  # fmt: skip
    db.session.flush()
    db.session.expire_all()
    _regenerate(service_id)
    db.session.commit()
    flash(_("Weekly times removed. Times already booked stay."))
    return redirect(url_for("staff.service_rules", site_id=site_id, service_id=service_id), 303)
