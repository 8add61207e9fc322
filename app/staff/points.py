"""Points adjustments (积分调整): staff find one of their unit's volunteers and
add or take away points, with the reason the volunteer reads in their ledger.

The unit's volunteers are those who signed up for one of its activities, are
in one of its teams, or exchanged its goods; an admin may find anyone. The
rule is ``volunteers.points.adjust_points``.
"""

import unicodedata

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..htmx import render
from ..inputs import search_text
from ..permissions import site_scope_required
from ..refusals import Refused, show_on
from ..urls import positive_int
from ..volunteers import points as rules
from ..volunteers import queries
from . import bp
from .mall_forms import AdjustPointsForm, FindVolunteerForm


def _volunteer(user_id: int | None):
    if not user_id:
        return None
    return queries.unit_volunteer(g.site, user_id, everyone=current_user.is_admin)


def _page(*, chosen=None, adjust: AdjustPointsForm | None = None, status: int = 200):
    search = FindVolunteerForm(request.args)
    # NFKC: the last four digits typed on a Chinese keyboard are full-width.
    q = unicodedata.normalize("NFKC", search_text(search.q.data, 40))
    found = queries.find_volunteers(g.site, q, everyone=current_user.is_admin) if q else []
    shown = found + ([chosen] if chosen is not None and chosen not in found else [])
    if chosen is not None and adjust is None:
        adjust = AdjustPointsForm(formdata=None, data={
            "volunteer": chosen.id, "seen": rules.ledger_mark(chosen.id),
        })  # fmt: skip
    return render(
        "staff/points.html", site=g.site, search=search, q=q, found=found, chosen=chosen,
        balances=queries.balances([user.id for user in shown]), adjust=adjust,
        ledger=queries.recent_ledger(chosen.id) if chosen is not None else [], status=status,
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/points", endpoint="points")
@site_scope_required
def points_page(site_id: int):
    """Find a volunteer by real name or the mobile's last four digits; choose one
    to see their balance and latest entries, and adjust it."""
    chosen_id = positive_int(request.args.get("volunteer"))
    chosen = _volunteer(chosen_id)
    if chosen_id and chosen is None:
        abort(404)
    return _page(chosen=chosen)


@bp.post("/sites/<int:site_id>/volunteering/points")
@site_scope_required
def adjust_points(site_id: int):
    """Add or take away points, as a new ledger entry with its reason (audited)."""
    form = AdjustPointsForm()
    chosen = _volunteer(form.volunteer.data)
    if chosen is None:
        abort(404)
    if form.validate_on_submit():
        try:
            rules.adjust_points(chosen.id, form.points, form.reason.data, current_user,
                                site_id=g.site.id, seen=form.seen.data)  # fmt: skip
        except Refused as error:
            show_on(form, error)
        else:
            name = chosen.volunteer.real_name
            amount = form.amount.data
            if form.points > 0:
                flash(_("%(n)s points added for %(name)s.", n=amount, name=name))
            else:
                flash(_("%(n)s points taken away from %(name)s.", n=amount, name=name))
            q = search_text(request.args.get("q"), 40)
            return redirect(url_for("staff.points", site_id=site_id, q=q or None,
                                    volunteer=chosen.id, _anchor="volunteer"), 303)  # fmt: skip
    return _page(chosen=chosen, adjust=form, status=422)
