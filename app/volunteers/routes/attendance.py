"""Attendance: volunteers check in (and out) on the day; the organiser keeps the roster.

The rules (when hours count, how many, who may credit whom) are in
``volunteers.signups``; this module only reads the request and answers.
"""

import re
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...htmx import render
from ...models import Signup
from ...templating import hours as hours_text
from .. import bp, queries, signups
from ..common import VolunteerError
from .activities import _activity_or_404, _after, _failed

# Hours as people type them on the roster: '2', '1.5' (ASCII digits, one decimal).
HOURS_TEXT = re.compile(r"[0-9]{1,2}(\.[0-9])?")
REASON_MAX = 200  # Signup.credit_reason and PointsEntry.reason are String(200)


@bp.post("/activities/<int:activity_id>/check-in")
@login_required
def self_check_in(activity_id: int):
    """Check in on the day with the activity's short code."""
    _activity_or_404(activity_id)
    try:
        signup_row = signups.self_check_in(current_user, activity_id, request.form.get("code", ""))
    except VolunteerError as error:
        return _failed(activity_id, error)
    return _after(
        activity_id,
        _("Checked in: %(hours)s hours credited.", hours=hours_text(signup_row.hours_credited)),
    )


@bp.get("/activities/<int:activity_id>/roster")
@login_required
def roster(activity_id: int):
    """The organiser's list: mark who came, adjust hours with a reason."""
    found = _activity_or_404(activity_id)
    if not signups.can_organise(current_user, found):
        abort(403)
    return render("volunteers/roster.html", activity=found, signups=queries.roster(activity_id))


@bp.post("/activities/<int:activity_id>/roster/<int:signup_id>")
@login_required
def mark(activity_id: int, signup_id: int):
    found = _activity_or_404(activity_id)
    if not signups.can_organise(current_user, found):
        abort(403)
    row = db.session.get(Signup, signup_id)
    if row is None or row.activity_id != activity_id:
        abort(404)
    decision = request.form.get("attended")
    if decision not in ("1", "0"):
        abort(400)
    text = request.form.get("hours", "").strip()
    reason = " ".join(request.form.get("reason", "").split())
    # Checked here, not left to Decimal and the database: Decimal reads 'NaN',
    # 'inf', '1e999' and '١٢', and PostgreSQL refuses a reason longer than its
    # column where SQLite would keep it.
    if text and not HOURS_TEXT.fullmatch(text):
        return _roster_refused(found, _("Hours must be more than 0 and at most 24."))
    if len(reason) > REASON_MAX:
        return _roster_refused(found, _("Keep the reason to 200 characters or fewer."))
    try:
        signups.mark_attendance(
            signup_id, decision == "1", current_user, Decimal(text) if text else None, reason
        )
    except VolunteerError as error:
        return _roster_refused(found, error.message)
    return redirect(url_for("volunteers.roster", activity_id=activity_id), 303)


def _roster_refused(activity, message: str):
    flash(message, "error")
    return render(
        "volunteers/roster.html",
        activity=activity,
        signups=queries.roster(activity.id),
        status=422,
    )
