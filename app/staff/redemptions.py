"""The love mall's pick-up desk: find an exchange by its code, hand it over, or
cancel it (the points and the unit come back). The rules are in ``volunteers.points``.

A row's buttons answer with the row (htmx), or, without JavaScript, with the
list again, scrolled to the row; either way what happened (or why not) is
shown in the row that was tapped, not at the top of a long list.
"""

from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..htmx import render, wants_fragment
from ..permissions import site_scope_required
from ..volunteers import points, queries
from ..volunteers.common import VolunteerError
from . import bp
from .mall_forms import FindRedemptionForm

# Without JavaScript the row's answer waits in the session for the list's next view.
ROW_NOTICE = "staff_desk_row_notice"


def _code(typed: str | None) -> str:
    """The code as typed, kept short (it goes back into the page and its links)."""
    return " ".join((typed or "").split())[:20]


@bp.get("/sites/<int:site_id>/redemptions")
@site_scope_required
def site_redemptions(site_id: int):
    """The desk: exchanges to hand over first; or the one whose code was typed."""
    form = FindRedemptionForm(request.args)
    code = _code(form.code.data)
    found = points.find_redemption(g.site, code) if code else None
    notice = session.pop(ROW_NOTICE) if ROW_NOTICE in session else None
    return render(
        "staff/redemptions.html", site=g.site, form=form, code=code, found=found,
        redemptions=[found] if found else queries.site_redemptions(g.site),
        not_found=bool(code) and found is None, row_notice=notice,
    )  # fmt: skip


@bp.post("/sites/<int:site_id>/redemptions/<int:redemption_id>")
@site_scope_required
def decide_redemption(site_id: int, redemption_id: int):
    """Hand an exchange over, or cancel it and give the points back."""
    if queries.redemption_at(g.site, redemption_id) is None:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("picked_up", "cancel"):
        abort(400)
    handed_over = decision == "picked_up"
    status = 200
    try:
        points.decide_redemption(redemption_id, handed_over, current_user)
    except VolunteerError as error:
        notice = {"id": redemption_id, "message": error.message, "error": True}
        status = 422
    else:
        message = _("Handed over.") if handed_over else _("Cancelled; the points are back.")
        notice = {"id": redemption_id, "message": message, "error": False}
    code = _code(request.form.get("code"))
    if wants_fragment():
        return render(
            "staff/redemptions.html", block="redemption_row", status=status, site=g.site,
            r=queries.redemption_at(g.site, redemption_id), row_notice=notice, code=code,
        )  # fmt: skip
    session[ROW_NOTICE] = notice
    target = url_for("staff.site_redemptions", site_id=site_id, code=code or None,
                     _anchor=f"redemption-{redemption_id}")  # fmt: skip
    response = redirect(target, 303)
    response.vary.add("HX-Request")
    return response
