"""A community's grids (网格) in the staff console: the tree, one grid's page,
and the bulk import.

Admins and the community's staff (a scope on its center) keep the tree:
grids of up to three levels, their compounds and buildings, the grid head and
building heads with the phones they publish, and the grid workers. The rules
are in ``grids.tree`` and ``grids.grids_csv``; a grid, compound or building
is reached under its community, so a guessed id of another community is 404.
"""

from flask import Response, abort, flash, g, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..grids import grids_csv
from ..grids import tree as rules
from ..grids.common import GridError
from ..htmx import render
from ..models import Building, Compound, GridScope
from ..permissions import community_scope_required
from ..refusals import show_on
from . import bp
from .grid_forms import (
    BuildingForm,
    CompoundEditForm,
    CompoundForm,
    GridEditForm,
    GridForm,
    GridImportForm,
    WorkerForm,
    building_prefix,
    compound_prefix,
    new_building_prefix,
)


def _top_choice():
    return ("", _("None: a first-level grid (一级网格)"))


def _with_parents(form, grids, moving=None):
    form.parent_id.choices = [_top_choice(), *rules.parent_choices(grids, moving)]
    return form


def _grid_in_community(grid_id: int):
    grid = rules.grid_detail(grid_id)
    if grid is None or grid.community_id != g.community.id:
        abort(404)
    return grid


def _compound_in(grid, compound_id: int) -> Compound:
    compound = db.session.get(Compound, compound_id)
    if compound is None or compound.grid_id != grid.id:
        abort(404)
    return compound


def _building_in(grid, building_id: int) -> Building:
    building = db.session.get(Building, building_id)
    if building is None or building.compound.grid_id != grid.id:
        abort(404)
    return building


def _to_tree(anchor: str = ""):
    return redirect(url_for("staff.grids", community_id=g.community.id) + anchor, 303)


def _to_grid(grid_id: int, anchor: str = ""):
    return redirect(
        url_for("staff.grid", community_id=g.community.id, grid_id=grid_id) + anchor, 303
    )


# The tree ------------------------------------------------------------------------------


def _tree_page(*, form=None, import_errors=None, import_refused=None, import_result=None,
               status=200):  # fmt: skip
    grids = rules.community_grids(g.community.id)
    if form is None:
        form = GridForm(formdata=None)
    return render(
        "staff/grids.html",
        community=g.community,
        grids=grids,
        form=_with_parents(form, grids),
        import_form=GridImportForm(),
        import_errors=(import_errors or [])[: grids_csv.MAX_ERRORS_SHOWN],
        import_error_count=len(import_errors or []),
        import_refused=import_refused,
        import_result=import_result,
        columns=grids_csv.COLUMNS,
        homes=rules.home_counts(g.community.id),
        status=status,
    )


@bp.get("/communities/<int:community_id>/grids")
@community_scope_required
def grids(community_id: int):
    """The community's grid tree, a new grid, and the bulk import."""
    return _tree_page()


@bp.post("/communities/<int:community_id>/grids")
@community_scope_required
def create_grid(community_id: int):
    """A new grid at the top of the community or under one of its grids."""
    form = _with_parents(GridForm(), rules.community_grids(community_id))
    if form.validate_on_submit():
        try:
            grid = rules.create_grid(community_id, form.values(), current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Grid %(name)s created.", name=grid.name))
            return _to_grid(grid.id)
    return _tree_page(form=form, status=422)


@bp.post("/communities/<int:community_id>/grids/import")
@community_scope_required
def import_grids(community_id: int):
    """Check every row of the file; import all of them, or none and say which cells to fix."""
    form = GridImportForm()
    if not form.validate_on_submit():
        return _tree_page(import_refused=_("The form expired. Choose the file again."),
                          status=400)  # fmt: skip
    upload = form.file.data
    if not upload or not upload.filename:
        return _tree_page(import_refused=_("Choose a CSV file to import."), status=422)
    try:
        text, encoding = grids_csv.read_upload(
            upload.stream.read(grids_csv.MAX_BYTES + 1), upload.filename
        )
        rows, errors = grids_csv.check(text)
        if not errors:
            result, errors = grids_csv.import_tree(community_id, rows, by=current_user)
    except grids_csv.ImportRefused as refusal:
        db.session.rollback()
        return _tree_page(import_refused=refusal.message, status=422)
    if errors:
        return _tree_page(import_errors=errors, status=422)
    result.encoding = encoding
    return _tree_page(import_result=result)


@bp.get("/communities/<int:community_id>/grids/template.csv")
@community_scope_required
def grids_template(community_id: int):
    """The import's columns with example rows."""
    body = "".join(grids_csv.template_lines(str(get_locale()).startswith("zh")))
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="grids-template.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# One grid --------------------------------------------------------------------------------


def _grid_page(grid, *, edit=None, compound=None, row_forms=None, worker=None, status=200):
    """The grid's page; ``row_forms`` holds a row's refused form, by (kind, id)."""
    row_forms = row_forms or {}
    grids = rules.community_grids(g.community.id)
    if edit is None:
        edit = GridEditForm(formdata=None, obj=grid, data={"parent_id": grid.parent_id})
    compounds = grid.compounds
    return render(
        "staff/grid.html",
        community=g.community,
        grid=grid,
        line=_line(grid),
        children=[c for c in grids if c.parent_id == grid.id],
        edit=_with_parents(edit, grids, moving=grid),
        compound_form=compound or CompoundForm(formdata=None),
        compound_forms={
            c.id: row_forms.get(("compound", c.id))
            or CompoundEditForm(prefix=compound_prefix(c.id), formdata=None, obj=c)
            for c in compounds
        },
        new_building_forms={
            c.id: row_forms.get(("new_building", c.id))
            or BuildingForm(prefix=new_building_prefix(c.id), formdata=None)
            for c in compounds
        },
        building_forms={
            b.id: row_forms.get(("building", b.id))
            or BuildingForm(prefix=building_prefix(b.id), formdata=None, obj=b)
            for c in compounds
            for b in c.buildings
        },
        open_row=next(iter(row_forms), None),
        worker_form=worker or WorkerForm(formdata=None),
        masked=rules.masked,
        status=status,
    )


def _line(grid) -> list:
    """The grids above this one, top first (for the breadcrumbs)."""
    line = []
    cursor = grid.parent
    while cursor is not None:
        line.insert(0, cursor)
        cursor = cursor.parent
    return line


@bp.get("/communities/<int:community_id>/grids/<int:grid_id>")
@community_scope_required
def grid(community_id: int, grid_id: int):
    """One grid: its name, place in the tree and head; compounds, buildings, workers."""
    return _grid_page(_grid_in_community(grid_id))


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/edit")
@community_scope_required
def edit_grid(community_id: int, grid_id: int):
    """Rename the grid, move it under another grid (or to the top), change its head."""
    grid = _grid_in_community(grid_id)
    form = _with_parents(GridEditForm(), rules.community_grids(community_id), moving=grid)
    if form.validate_on_submit():
        try:
            rules.update_grid(grid.id, form.values(), current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Saved. Residents see the change now."))
            return _to_grid(grid.id)
    return _grid_page(_grid_in_community(grid_id), edit=form, status=422)


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/delete")
@community_scope_required
def delete_grid(community_id: int, grid_id: int):
    """Delete an empty grid; one that still holds anything says what, and stays."""
    grid = _grid_in_community(grid_id)
    try:
        name = rules.delete_grid(grid.id, current_user)
    except GridError as error:
        flash(error.message, "error")
        return _to_grid(grid_id)
    flash(_("Grid %(name)s deleted.", name=name))
    return _to_tree()


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/compounds")
@community_scope_required
def add_compound(community_id: int, grid_id: int):
    """A compound (小区) in the grid."""
    grid = _grid_in_community(grid_id)
    form = CompoundForm()
    if form.validate_on_submit():
        try:
            compound = rules.add_compound(grid.id, form.name.data, current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Compound %(name)s added. Now add its buildings.", name=compound.name))
            return _to_grid(grid.id, f"#compound-{compound.id}")
    return _grid_page(_grid_in_community(grid_id), compound=form, status=422)


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/compounds/<int:compound_id>/edit")
@community_scope_required
def rename_compound(community_id: int, grid_id: int, compound_id: int):
    grid = _grid_in_community(grid_id)
    _compound_in(grid, compound_id)
    form = CompoundEditForm(prefix=compound_prefix(compound_id))
    if form.validate_on_submit():
        try:
            rules.rename_compound(compound_id, form.name.data, current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Saved. Residents see the change now."))
            return _to_grid(grid.id, f"#compound-{compound_id}")
    return _grid_page(_grid_in_community(grid_id), row_forms={("compound", compound_id): form},
                      status=422)  # fmt: skip


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/compounds/<int:compound_id>/delete")
@community_scope_required
def delete_compound(community_id: int, grid_id: int, compound_id: int):
    grid = _grid_in_community(grid_id)
    _compound_in(grid, compound_id)
    try:
        name = rules.delete_compound(compound_id, current_user)
    except GridError as error:
        flash(error.message, "error")
        return _to_grid(grid.id, f"#compound-{compound_id}")
    flash(_("Compound %(name)s deleted.", name=name))
    return _to_grid(grid.id, "#compounds")


@bp.post(
    "/communities/<int:community_id>/grids/<int:grid_id>/compounds/<int:compound_id>/buildings"
)
@community_scope_required
def add_building(community_id: int, grid_id: int, compound_id: int):
    """A building of the compound, with its building head."""
    grid = _grid_in_community(grid_id)
    _compound_in(grid, compound_id)
    form = BuildingForm(prefix=new_building_prefix(compound_id))
    if form.validate_on_submit():
        try:
            building = rules.add_building(compound_id, form.values(), current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Building %(name)s added.", name=building.name))
            return _to_grid(grid.id, f"#compound-{compound_id}")
    return _grid_page(_grid_in_community(grid_id),
                      row_forms={("new_building", compound_id): form}, status=422)  # fmt: skip


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/buildings/<int:building_id>/edit")
@community_scope_required
def edit_building(community_id: int, grid_id: int, building_id: int):
    """Rename a building or change its building head."""
    grid = _grid_in_community(grid_id)
    building = _building_in(grid, building_id)
    form = BuildingForm(prefix=building_prefix(building_id))
    if form.validate_on_submit():
        try:
            rules.update_building(building_id, form.values(), current_user)
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("Saved. Residents see the change now."))
            return _to_grid(grid.id, f"#compound-{building.compound_id}")
    return _grid_page(_grid_in_community(grid_id), row_forms={("building", building_id): form},
                      status=422)  # fmt: skip


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/buildings/<int:building_id>/delete")
@community_scope_required
def delete_building(community_id: int, grid_id: int, building_id: int):
    grid = _grid_in_community(grid_id)
    building = _building_in(grid, building_id)
    compound_id = building.compound_id
    try:
        name = rules.delete_building(building_id, current_user)
    except GridError as error:
        flash(error.message, "error")
    else:
        flash(_("Building %(name)s deleted.", name=name))
    return _to_grid(grid.id, f"#compound-{compound_id}")


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/workers")
@community_scope_required
def grant_grid_worker(community_id: int, grid_id: int):
    """Name a grid worker (网格员) by their account's mobile number."""
    grid = _grid_in_community(grid_id)
    form = WorkerForm()
    if form.validate_on_submit():
        try:
            scope = rules.grant_worker(grid.id, form.mobile.data, form.public_phone.data,
                                       current_user)  # fmt: skip
        except GridError as error:
            show_on(form, error)
        else:
            flash(_("%(name)s is now a grid worker of %(grid)s.", name=scope.user.display_name,
                    grid=grid.name))  # fmt: skip
            return _to_grid(grid.id, "#workers")
    return _grid_page(_grid_in_community(grid_id), worker=form, status=422)


@bp.post("/communities/<int:community_id>/grids/<int:grid_id>/workers/<int:worker_id>/revoke")
@community_scope_required
def revoke_grid_worker(community_id: int, grid_id: int, worker_id: int):
    """The person is no longer a grid worker of this grid."""
    grid = _grid_in_community(grid_id)
    scope = db.session.get(GridScope, worker_id)
    if scope is None or scope.grid_id != grid.id:
        abort(404)
    try:
        name = rules.revoke_worker(worker_id, current_user)
    except GridError as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s is no longer a grid worker of %(grid)s.", name=name, grid=grid.name))
    return _to_grid(grid_id, "#workers")
