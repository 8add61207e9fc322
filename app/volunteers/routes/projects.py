"""Service projects (服务项目): the list, a project's page with its 公示, opinions, steps."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import clock
from ...extensions import db
from ...htmx import render
from ...inputs import DayRefused, parse_day
from ...models import ProjectComment
from ...permissions import can_manage_site
from ...urls import positive_int, query_args
from ...vocab import PROJECT_CATEGORIES, PROJECT_STATUSES
from .. import bp, queries
from .. import projects as rules
from ..common import VolunteerError
from . import page_number, refused_redirect


@bp.get("/projects")
def projects():
    """Service projects, with those in their publicity period (公示) open for opinions."""
    category = request.args.get("category", "")
    category = category if category in PROJECT_CATEGORIES else ""
    status = request.args.get("status", "")
    status = status if status in PROJECT_STATUSES and status != "draft" else ""
    community = positive_int(request.args.get("community"))
    items, total, page, pages = queries.projects_page(category, community, status, page_number())
    return render(
        "volunteers/projects.html", fragments=("project_results",), projects=items, total=total,
        page=page, pages=pages, communities=queries.project_communities(),
        filters={"category": category, "status": status, "community": community},
        pager_args=query_args(category=category, status=status, community=community),
    )  # fmt: skip


def _project_or_404(project_id: int):
    project = queries.project_detail(project_id)
    if project is None or (project.status == "draft" and not _manages_project(project)):
        abort(404)
    return project


def _manages_project(project) -> bool:
    if not current_user.is_authenticated:
        return False
    if project.site is not None:
        return can_manage_site(current_user, project.site)
    return current_user.is_admin


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """One project: its plan, its 公示 and opinions, or its outcome."""
    found = _project_or_404(project_id)
    started = found.status in ("running", "completed")
    return render(
        "volunteers/project.html", project=found, today=clock.today(),
        open_for_opinions=rules.in_publicity(found, clock.today()),
        manager=_manages_project(found),
        outcome=rules.project_outcome(found.id) if started else None,
        activities=queries.upcoming_activities(project_id=found.id, limit=20),
    )  # fmt: skip


@bp.post("/projects/<int:project_id>/comments")
@login_required
def comment(project_id: int):
    """Leave an opinion during the publicity period."""
    _project_or_404(project_id)
    try:
        rules.comment_on_project(project_id, current_user, request.form.get("body", ""))
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.project", project_id=project_id)
    flash(_("Thank you. Your opinion is published with the project."))
    return redirect(url_for("volunteers.project", project_id=project_id), 303)


@bp.post("/projects/<int:project_id>/comments/<int:comment_id>/reply")
@login_required
def reply(project_id: int, comment_id: int):
    """Staff of the project's site answer an opinion."""
    found = _project_or_404(project_id)
    target = db.session.get(ProjectComment, comment_id)
    if target is None or target.project_id != project_id:
        abort(404)
    if not _manages_project(found):
        abort(403)
    try:
        rules.reply_to_comment(comment_id, request.form.get("body", ""), current_user)
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.project", project_id=project_id)
    return redirect(url_for("volunteers.project", project_id=project_id), 303)


@bp.post("/projects/<int:project_id>/advance")
@login_required
def advance(project_id: int):
    """Staff move a project along: draft → publicity → running → completed."""
    found = _project_or_404(project_id)
    if not _manages_project(found):
        abort(403)
    target = request.form.get("target", "")
    publicity = outcome = None
    if target == "publicity":
        try:
            starts = parse_day(request.form.get("publicity_starts_on"))
            ends = parse_day(request.form.get("publicity_ends_on"))
        except DayRefused as refusal:
            flash(refusal.message, "error")
            return redirect(url_for("volunteers.project", project_id=project_id), 303)
        publicity = (starts, ends) if starts and ends else None
    if target == "completed":
        served = positive_int(request.form.get("outcome_beneficiaries"))
        outcome = (
            (served, request.form.get("outcome_summary", "").strip()[:500]) if served else None
        )
    try:
        rules.advance_project(
            project_id, target, current_user, publicity=publicity, outcome=outcome
        )
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.project", project_id=project_id)
    flash(_("The project is updated."))
    return redirect(url_for("volunteers.project", project_id=project_id), 303)
