"""Attendance: volunteers check in and out on the day (with the activity's code,
typed or from the QR code at the door); the organiser keeps the roster and the
staff confirm it once the activity has ended.

The rules (when hours count, how many, who may credit whom) are in
``volunteers.signups``; this module only reads the request and answers.
"""

from collections import Counter
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ... import clock
from ...extensions import db
from ...htmx import render
from ...i18n import local_time
from ...models import Signup
from ...permissions import can_manage_site
from ...qr import qr_svg
from ...refusals import show_on
from .. import bp, queries, signups
from ..common import VolunteerError
from ..forms import AttendanceCodeForm, RosterMarkForm
from .activities import _activity_or_404, _activity_page, _after

# The roster field a refusal of the rules belongs beside.
MARK_FIELDS = {"hours": "hours", "quarter": "hours", "over": "hours", "reason": "reason"}


@bp.app_template_global("attendance")
def attendance_now(activity):
    """What can be done about an activity's attendance right now (check-in open,
    check-out open, marks open…), for the activity's check-in box and the roster."""
    return signups.attendance(activity, clock.now())


def _refused(activity_id: int, message: str):
    """A refused check-in or check-out: the activity's box again, with the reason
    (the box alone for htmx, the page without JavaScript), and nothing changed."""
    return _activity_page(activity_id, error=message, status=422)


def _code(form: AttendanceCodeForm) -> tuple[str | None, str]:
    """The code the form carries, or None and why not."""
    if form.validate():
        return form.code.data, ""
    return None, (form.code.errors or [_("Enter the activity's 6-digit code.")])[0]


@bp.get("/activities/<int:activity_id>/check-in")
@login_required
def checkin_page(activity_id: int):
    """The page the door's QR code opens: the activity and one button, to check
    in (or, once in, out). Looking at it changes nothing; the button posts."""
    found = _activity_or_404(activity_id)
    code = signups.typed_code(request.args.get("code", ""))[:6]
    mine = queries.my_signup(current_user.id, activity_id)
    return render("volunteers/checkin.html", activity=found, mine=mine, code=code,
                  wrong_code=code != found.checkin_code, now=clock.now())  # fmt: skip


@bp.post("/activities/<int:activity_id>/check-in")
@login_required
def self_check_in(activity_id: int):
    """Check in on the day with the activity's code: no hours yet."""
    _activity_or_404(activity_id)
    code, why_not = _code(AttendanceCodeForm())
    if code is None:
        return _refused(activity_id, why_not)
    try:
        row = signups.self_check_in(current_user, activity_id, code)
    except VolunteerError as error:
        return _refused(activity_id, error.message)
    return _after(
        activity_id,
        _("Checked in at %(time)s. Check out with the same code when you leave.",
          time=local_time(row.checked_in_at)),
    )  # fmt: skip


@bp.post("/activities/<int:activity_id>/check-out")
@login_required
def self_check_out(activity_id: int):
    """Check out with the same code: the time served is credited."""
    _activity_or_404(activity_id)
    code, why_not = _code(AttendanceCodeForm())
    if code is None:
        return _refused(activity_id, why_not)
    try:
        row = signups.self_check_out(current_user, activity_id, code)
    except VolunteerError as error:
        return _refused(activity_id, error.message)
    return _after(
        activity_id,
        _("Checked out: %(hours)s hours credited.", hours=signups.hours_text(row.hours_credited)),
    )


def _organised_or_403(activity_id: int):
    found = _activity_or_404(activity_id)
    if not signups.can_organise(current_user, found):
        abort(403)
    return found


@bp.get("/activities/<int:activity_id>/check-in/qr")
@login_required
def checkin_qr(activity_id: int):
    """The QR code for the door (printed on A4, or shown on the organiser's phone):
    it opens the check-in page with the code. For organisers only: the code is
    the secret that says the volunteer is here."""
    found = _organised_or_403(activity_id)
    url = url_for("volunteers.checkin_page", activity_id=found.id, code=found.checkin_code,
                  _external=True)  # fmt: skip
    label = _("QR code to check in and out of %(title)s", title=found.title)
    return render(
        "volunteers/checkin_qr.html",
        activity=found,
        url=url,
        qr=qr_svg(url, label, scale=8, fit=True),
    )


def _roster_page(activity, *, status=200, refused_id=None, form=None, confirm_error=None):
    rows = queries.roster(activity.id)
    counts = Counter(row.status for row in rows)
    credited = sum((Decimal(r.hours_credited or 0) for r in rows if r.status == "attended"),
                   Decimal(0))  # fmt: skip
    return render(
        "volunteers/roster.html", activity=activity, signups=rows, counts=counts,
        credited=credited, staff=can_manage_site(current_user, activity.site),
        standard=signups.standard_hours(activity), refused_id=refused_id, refused_form=form,
        confirm_error=confirm_error, now=clock.now(), status=status,
    )  # fmt: skip


@bp.get("/activities/<int:activity_id>/roster")
@login_required
def roster(activity_id: int):
    """The organiser's list: who checked in and out, the hours credited, who is
    still to be marked; staff confirm it once the activity has ended."""
    return _roster_page(_organised_or_403(activity_id))


@bp.post("/activities/<int:activity_id>/roster/<int:signup_id>")
@login_required
def mark(activity_id: int, signup_id: int):
    """Mark one volunteer: came (the scheduled hours, or others with a reason) or not."""
    found = _organised_or_403(activity_id)
    row = db.session.get(Signup, signup_id)
    if row is None or row.activity_id != activity_id:
        abort(404)
    form = RosterMarkForm()
    if not form.validate():
        return _roster_page(found, status=422, refused_id=signup_id, form=form)
    hours = Decimal(form.hours.data) if form.hours.data else None
    try:
        signups.mark_attendance(
            signup_id, form.attended.data == "1", current_user, hours, form.reason.data or ""
        )
    except VolunteerError as error:
        show_on(form, error, MARK_FIELDS.get(error.reason))
        return _roster_page(found, status=422, refused_id=signup_id, form=form)
    target = url_for("volunteers.roster", activity_id=activity_id, _anchor=f"signup-{signup_id}")
    return redirect(target, 303)


@bp.post("/activities/<int:activity_id>/roster/confirm")
@login_required
def confirm_roster(activity_id: int):
    """Staff confirm the roster: whoever checked in and did not check out gets
    the scheduled hours; whoever did not check in is left to mark."""
    found = _activity_or_404(activity_id)
    if not can_manage_site(current_user, found.site):
        abort(403)
    try:
        credited = signups.confirm_roster(activity_id, current_user)
    except VolunteerError as error:
        return _roster_page(found, status=422, confirm_error=error.message)
    hours = signups.hours_text(signups.standard_hours(found))
    if credited:
        flash(ngettext(
            "Roster confirmed: %(num)s volunteer who did not check out is credited"
            " %(hours)s hours.",
            "Roster confirmed: %(num)s volunteers who did not check out are credited %(hours)s"
            " hours each.", credited, hours=hours,
        ))  # fmt: skip
    else:
        flash(_("Roster confirmed: everyone who checked in had checked out."))
    return redirect(url_for("volunteers.roster", activity_id=activity_id), 303)
