"""Service projects (服务项目): the list, and a project's page with its filing, its
公示 and opinions, its spending against the budget and its outcome.

Staff run a project from the console (``staff.project``); its page here links
there for them, and shows everyone else what the staff recorded.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import clock
from ...htmx import render
from ...refusals import show_on
from ...urls import positive_int, query_args
from ...vocab import PROJECT_CATEGORIES, PROJECT_STATUSES
from .. import bp, queries
from .. import projects as rules
from ..common import VolunteerError
from ..forms import OpinionForm
from . import page_number


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
    """The project; a draft only for the staff who run it (it is not public yet)."""
    project = queries.project_detail(project_id)
    if project is None or (project.status == "draft" and not rules.manages(current_user, project)):
        abort(404)
    return project


def _page(project_id: int, *, form=None, status: int = 200):
    found = _project_or_404(project_id)
    today = clock.today()
    manager = rules.manages(current_user, found)
    home = rules.home_site(found) if manager else None
    return render(
        "volunteers/project.html", project=found, today=today,
        open_for_opinions=rules.in_publicity(found, today),
        form=form or OpinionForm(formdata=None),
        console_url=url_for("staff.project", site_id=home.id, project_id=found.id)
        if home is not None else None,
        totals=rules.spending_totals(found),
        outcome=rules.project_outcome(found.id)
        if found.status in ("running", "completed") else None,
        activities=queries.upcoming_activities(project_id=found.id, limit=20),
        status=status,
    )  # fmt: skip


@bp.get("/projects/<int:project_id>")
def project(project_id: int):
    """One project: its plan and filing, its 公示 and opinions, its spending, its outcome."""
    return _page(project_id)


@bp.post("/projects/<int:project_id>/comments")
@login_required
def comment(project_id: int):
    """Leave an opinion during the publicity period; refused, it comes back as typed."""
    _project_or_404(project_id)
    form = OpinionForm()
    if form.validate_on_submit():
        try:
            rules.comment_on_project(project_id, current_user, form.body.data)
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("Thank you. Your opinion is published with the project."))
            url = url_for("volunteers.project", project_id=project_id)
            return redirect(url + "#publicity-title", 303)
    return _page(project_id, form=form, status=422)
