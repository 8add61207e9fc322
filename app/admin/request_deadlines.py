"""How long each kind of request may take: staff's deadlines per category."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from ..htmx import render
from ..models import ResidentRequest
from ..permissions import admin_required
from ..requests import deadlines
from ..staff.mall_forms import WholeNumberField
from . import bp


class DeadlinesForm(FlaskForm):
    """Two numbers per category: working days to accept, and to resolve."""

    def days(self) -> dict[str, tuple[int, int]]:
        return {
            c: (self[f"{c}_accept"].data, self[f"{c}_resolve"].data)
            for c in ResidentRequest.CATEGORIES
        }


for _category in ResidentRequest.CATEGORIES:
    setattr(DeadlinesForm, f"{_category}_accept", WholeNumberField(
        _l("Accept within (working days)"), low=1, high=deadlines.MAX_ACCEPT_DAYS))  # fmt: skip
    setattr(DeadlinesForm, f"{_category}_resolve", WholeNumberField(
        _l("Resolve within (working days)"), low=1, high=deadlines.MAX_RESOLVE_DAYS))  # fmt: skip


@bp.route("/request-deadlines", methods=["GET", "POST"])
@admin_required
def request_deadlines():
    """Set how many working days each kind of request has to be accepted and resolved."""
    current = deadlines.all_days()
    form = DeadlinesForm(data={f"{c}_{k}": v for c, (a, r) in current.items()
                               for k, v in (("accept", a), ("resolve", r))})  # fmt: skip
    if form.validate_on_submit():
        changed = deadlines.save_days(form.days(), current_user)
        flash(_("Saved. New requests get these deadlines; earlier ones keep theirs.")
              if changed else _("Nothing changed."))  # fmt: skip
        return redirect(url_for("admin.request_deadlines"), 303)
    return render("admin/request_deadlines.html", form=form, categories=ResidentRequest.CATEGORIES,
                  status=422 if form.errors else 200)  # fmt: skip
