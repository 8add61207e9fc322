"""Residents' requests in the staff console: the queue, one request, its steps,
and 代办 (logging a request for a resident at the desk or on the phone).

The rules, and the scope check behind every step, are in ``requests.service``;
a request outside the worker's grids answers 403.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..accounts.mobile import normalize_mobile
from ..extensions import db
from ..htmx import render
from ..models import Community, Grid
from ..permissions import managed_community_ids, managed_grid_ids, staff_required
from ..refusals import Refused, show_on
from ..requests import queries, service
from ..requests.forms import FollowUpForm, LogForm, ReassignForm, StepForm
from ..urls import positive_int
from . import bp


def _request_or_403(request_id: int):
    req = queries.detail(request_id)
    if req is None:
        abort(404)
    if not service.can_handle(current_user, req):
        abort(403)
    return req


def _grid_choices(req) -> list[SelectChoice]:
    """Where a worker may pass ``req``: the other grids of its community they look
    after, and the community's staff if they are community staff. None: the
    page offers no reassignment."""
    from ..permissions import can_manage_community

    grids = db.session.scalars(
        select(Grid).where(Grid.community_id == req.community_id).order_by(Grid.level, Grid.name)
    ).all()
    mine = managed_grid_ids(current_user)
    choices = [
        SelectChoice(str(g.id), g.name)
        for g in grids
        if (mine is None or g.id in mine) and g.id != req.grid_id
    ]
    if req.grid_id is not None and can_manage_community(current_user, req.community_id):
        choices.insert(0, SelectChoice("", _("The community's staff (no grid)")))
    return choices


def _page(req, *, step=None, reassign=None, follow=None, status=200):
    reassign = reassign or ReassignForm(formdata=None)
    reassign.grid.choices = _grid_choices(req)
    return render(
        "staff/request.html", req=req, step=step or StepForm(formdata=None),
        reassign=reassign, follow=follow or FollowUpForm(formdata=None),
        overdue=service.is_overdue(req), moves=service.MOVES, status=status,
    )  # fmt: skip


@bp.get("/requests")
@staff_required
def requests_queue():
    """The requests of the worker's grids (or community): overdue first."""
    status = "done" if request.args.get("status") == "done" else "open"
    page = positive_int(request.args.get("page")) or 1
    items, total, page, pages = queries.queue(current_user, status=status, page=page)
    return render(
        "staff/requests.html", items=items, total=total, page=page, pages=pages,
        which=status, is_overdue=service.is_overdue, form=StepForm(formdata=None),
    )  # fmt: skip


@bp.get("/requests/<int:request_id>")
@staff_required
def request_detail(request_id: int):
    """One request: what the resident said, its steps, and the next step."""
    return _page(_request_or_403(request_id))


def _back(req_id: int, back: str | None):
    if back == "home":
        return redirect(url_for("staff.home", _anchor="requests"), 303)
    if back == "queue":
        return redirect(url_for("staff.requests_queue", _anchor=f"request-{req_id}"), 303)
    return redirect(url_for("staff.request_detail", request_id=req_id), 303)


MOVE_DONE = {
    "accept": _l("Accepted. The resident is told."),
    "start": _l("Marked in progress. The resident is told."),
    "resolve": _l("Resolved. The resident is asked to rate it."),
    "reject": _l("Not taken up. The resident is told why."),
}


@bp.post("/requests/<int:request_id>/move")
@staff_required
def request_move(request_id: int):
    """Accept, start, resolve or reject a request, with a note and photos."""
    req = _request_or_403(request_id)
    form = StepForm()
    if form.action.data not in service.MOVES:
        abort(400)
    if form.validate_on_submit():
        try:
            service.move(request_id, form.action.data, current_user, form.note.data or "",
                         photos=form.photo_files())  # fmt: skip
        except Refused as error:
            if form.back.data in ("home", "queue") and error.field is None:
                flash(error.message, "error")
                return _back(request_id, form.back.data)
            show_on(form, error, "photos" if error.field == "photos" else "note")
        else:
            flash(str(MOVE_DONE[form.action.data]))
            return _back(request_id, form.back.data)
    return _page(queries.detail(request_id) or req, step=form, status=422)


@bp.post("/requests/<int:request_id>/reassign")
@staff_required
def request_reassign(request_id: int):
    """Pass a request to another grid of the community, within the worker's scope."""
    req = _request_or_403(request_id)
    form = ReassignForm()
    form.grid.choices = _grid_choices(req)
    if form.validate_on_submit():
        try:
            service.reassign(request_id, form.grid_id(), current_user, form.note.data or "")
        except Refused as error:
            show_on(form, error, "grid" if error.field == "grid" else "note")
        else:
            flash(_("Passed on. The grid's workers see it in their queue now."))
            if service.can_handle(current_user, queries.detail(request_id)):
                return _back(request_id, None)
            return redirect(url_for("staff.requests_queue"), 303)
    return _page(queries.detail(request_id) or req, reassign=form, status=422)


@bp.post("/requests/<int:request_id>/follow-up")
@staff_required
def request_follow_up(request_id: int):
    """Record the follow-up call (回访) with the resident."""
    req = _request_or_403(request_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            service.follow_up(request_id, current_user, form.note.data)
        except Refused as error:
            show_on(form, error, "note")
        else:
            flash(_("The follow-up call is recorded."))
            return _back(request_id, None)
    return _page(queries.detail(request_id) or req, follow=form, status=422)


def _log_choices(form: LogForm) -> None:
    communities = managed_community_ids(current_user)
    grids = managed_grid_ids(current_user)
    grid_rows = db.session.scalars(
        select(Grid).where(Grid.id.in_(grids)) if grids is not None else select(Grid).limit(0)
    ).all()
    ids = set(communities or ()) | {g.community_id for g in grid_rows}
    query = select(Community).order_by(Community.name)
    # An admin chooses among every community (the first 500 by name).
    query = query.where(Community.id.in_(ids)) if communities is not None else query.limit(500)
    form.community.choices = [SelectChoice(str(c.id), c.name) for c in db.session.scalars(query)]
    chosen = form.community_id()
    if communities is None:
        grid_rows = db.session.scalars(
            select(Grid).where(Grid.community_id == chosen) if chosen else select(Grid).limit(0)
        ).all()
    form.grid.choices = [SelectChoice("", _("No grid: the community's staff"))] + [
        SelectChoice(str(g.id), g.name) for g in grid_rows if not chosen or g.community_id == chosen
    ]


def _may_log(community_id: int | None, grid: Grid | None) -> bool:
    """May the worker log a request for this community and grid (no grid: its staff)?"""
    from ..permissions import can_manage_community, can_manage_grid

    if community_id is None:
        return False
    if grid is None:
        return can_manage_community(current_user, community_id)
    return grid.community_id == community_id and can_manage_grid(current_user, grid)


@bp.route("/requests/new", methods=["GET", "POST"])
@staff_required
def request_new():
    """代办: log a request for a resident who phoned (12349) or came to the desk."""
    form = LogForm()
    _log_choices(form)
    if form.validate_on_submit():
        mobile = normalize_mobile(form.mobile.data)
        community_id, grid_id = form.community_id(), form.grid_id()
        grid = db.session.get(Grid, grid_id) if grid_id else None
        if mobile is None:
            form.mobile.errors.append(_("Enter a mainland mobile number of 11 digits."))
        elif not _may_log(community_id, grid):
            form.grid.errors.append(_("Choose one of your communities, and one of your grids."))
        else:
            try:
                req = service.report(
                    None, resident_mobile=mobile, resident_name=form.name.data.strip(),
                    category=form.category.data, text=form.text.data,
                    place_kind="location", public=form.public.data,
                    place_text=form.place_text.data or "", photos=form.photo_files(),
                    community_id=community_id, grid_id=grid_id, logged_by=current_user,
                )  # fmt: skip
            except Refused as error:
                show_on(form, error)
            else:
                flash(_("Request no. %(number)s is logged for the resident, who is told by text.",
                        number=req.id))  # fmt: skip
                return redirect(url_for("staff.request_detail", request_id=req.id), 303)
    return render("staff/request_new.html", form=form,
                  status=422 if form.errors or form.form_errors else 200)  # fmt: skip
