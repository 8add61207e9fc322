"""The resident's home in /me: where they live, level by level.

Without JavaScript the form goes one step at a time: choose the community
and press "Next", then the grid, and so on; "Save" keeps what is chosen so
far. With htmx, changing a choice refreshes the levels below it in place
(the same POST, answered with the form's ``home_levels`` block).
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..htmx import render
from ..refusals import show_on
from . import bp
from . import home as rules
from .common import GridError
from .forms import HomeForm


def _choose(form: HomeForm, path: rules.HomePath) -> HomeForm:
    """Set each level's choices below what ``path`` has chosen."""
    levels = rules.level_choices(path)
    none = ("", _("— choose —"))
    form.community.choices = [none, *rules.community_choices()]
    form.grid.choices = [("", _("— I don't know / not listed —")), *levels["grids"]]
    form.compound.choices = [("", _("— I don't know / not listed —")), *levels["compounds"]]
    form.building.choices = [("", _("— I don't know / not listed —")), *levels["buildings"]]
    return form


def _pruned(form: HomeForm) -> rules.HomePath:
    """What the form chose, each level dropped when it does not belong to the one above
    (the resident chose another community, so the old grid no longer applies)."""
    path = rules.HomePath(form.community.data)
    levels = rules.level_choices(path)
    if form.grid.data in {gid for gid, _n in levels["grids"]}:
        path.grid_id = form.grid.data
        levels = rules.level_choices(path)
        if form.compound.data in {cid for cid, _n in levels["compounds"]}:
            path.compound_id = form.compound.data
            levels = rules.level_choices(path)
            if form.building.data in {bid for bid, _n in levels["buildings"]}:
                path.building_id = form.building.data
    return path


def _page(form: HomeForm, path: rules.HomePath, status: int = 200):
    return render(
        "grids/home.html",
        fragments=("home_levels",),
        form=_choose(form, path),
        path=path,
        home=rules.home_of(current_user),
        status=status,
    )


@bp.get("/me/home")
@login_required
def home():
    """Where I live: community, grid, compound and building (each optional but the first)."""
    path = rules.HomePath.of(rules.home_of(current_user))
    form = HomeForm(formdata=None, data={
        "community": path.community_id, "grid": path.grid_id,
        "compound": path.compound_id, "building": path.building_id,
    })  # fmt: skip
    return _page(form, path)


@bp.post("/me/home")
@login_required
def save_home():
    """ "Next" shows the choices of the next level; "Save" keeps the home (303)."""
    form = HomeForm()
    saving = request.form.get("action") == "save"
    # The choices the values are checked against: those under what was sent.
    sent = rules.HomePath(form.community.data, form.grid.data, form.compound.data,
                          form.building.data)  # fmt: skip
    _choose(form, sent)
    valid = form.validate_on_submit()
    csrf = getattr(form, "csrf_token", None)
    if not saving and not ((csrf is not None and csrf.errors) or form.community.errors):
        # A step: levels that no longer belong (another community was chosen) are dropped.
        path = _pruned(form)
        form = HomeForm(formdata=None, data={
            "community": path.community_id, "grid": path.grid_id,
            "compound": path.compound_id, "building": path.building_id,
        })  # fmt: skip
        return _page(form, path)
    if not valid:
        return _page(form, _pruned_or_empty(form), status=422)
    try:
        rules.set_home(current_user, sent)
    except GridError as error:
        show_on(form, error)
        return _page(form, _pruned_or_empty(form), status=422)
    flash(_("Your home is saved. The home page now shows your grid."))
    return redirect(url_for("grids.home"), 303)


def _pruned_or_empty(form: HomeForm) -> rules.HomePath:
    if form.community.data is None or form.community.errors:
        return rules.HomePath()
    return _pruned(form)


@bp.post("/me/home/clear")
@login_required
def clear_home():
    """Forget where I live."""
    if rules.clear_home(current_user):
        flash(_("Your home is cleared. The home page no longer shows a grid."))
    return redirect(url_for("grids.home"), 303)
