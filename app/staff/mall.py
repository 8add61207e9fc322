"""The love mall desk (爱心商城) of a site: hand exchanged goods over, or cancel.

The rules (stock, points, refunds) are in ``volunteers.points``.
"""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..htmx import render
from ..permissions import site_scope_required
from ..volunteers import points, queries
from ..volunteers.common import VolunteerError
from . import bp


@bp.get("/sites/<int:site_id>/redemptions")
@site_scope_required
def site_redemptions(site_id: int):
    """Staff hand over exchanged goods, or cancel (refunding points and stock)."""
    return render(
        "staff/redemptions.html", site=g.site, redemptions=queries.site_redemptions(g.site)
    )


@bp.post("/sites/<int:site_id>/redemptions/<int:redemption_id>")
@site_scope_required
def decide_redemption(site_id: int, redemption_id: int):
    redemption = next((r for r in queries.site_redemptions(g.site) if r.id == redemption_id), None)
    if redemption is None:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("picked_up", "cancel"):
        abort(400)
    try:
        points.decide_redemption(redemption_id, decision == "picked_up", current_user)
    except VolunteerError as error:
        flash(error.message, "error")
    else:
        handed_over = decision == "picked_up"
        flash(_("Handed over.") if handed_over else _("Cancelled; the points are back."))
    return redirect(url_for("staff.site_redemptions", site_id=site_id), 303)
