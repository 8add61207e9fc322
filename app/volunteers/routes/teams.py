"""Teams (志愿服务队): the list, a team's page, asking to join, leaving, deciding requests."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...htmx import render
from ...models import Membership
from .. import bp, queries
from .. import teams as rules
from ..common import VolunteerError
from . import page_number, refused_redirect


@bp.get("/teams")
def teams():
    """Volunteer teams (志愿服务队) and their brands."""
    items, total, page, pages = queries.teams_page(page_number())
    return render(
        "volunteers/teams.html", teams=items, total=total, page=page, pages=pages,
        counts=queries.member_counts([t.id for t in items]),
    )  # fmt: skip


@bp.get("/teams/<int:team_id>")
def team(team_id: int):
    """One team: who leads it, its members, what it does next, and joining."""
    found = queries.team_detail(team_id)
    if found is None:
        abort(404)
    memberships = queries.memberships_of(team_id)
    mine = next(
        (m for m in memberships if current_user.is_authenticated and m.user_id == current_user.id),
        None,
    )
    manager = current_user.is_authenticated and rules.can_manage_team(current_user, found)
    return render(
        "volunteers/team.html", team=found, mine=mine, manager=manager,
        leaders=[m for m in memberships if m.status == "leader"],
        members=[m for m in memberships if m.status != "pending"],
        pending=[m for m in memberships if m.status == "pending"] if manager else [],
        activities=queries.upcoming_activities(team_id=team_id, limit=10),
    )  # fmt: skip


@bp.post("/teams/<int:team_id>/join")
@login_required
def join_team(team_id: int):
    """Ask to join a team; its leader or the staff answer."""
    if queries.team_detail(team_id) is None:
        abort(404)
    try:
        rules.request_to_join(current_user, team_id)
    except VolunteerError as error:
        if error.reason == "not_volunteer":
            flash(error.message, "error")
            return redirect(url_for("accounts.volunteer_profile"), 303)
        return refused_redirect(error, "volunteers.team", team_id=team_id)
    flash(_("Your request is sent. The team leader will answer soon."))
    return redirect(url_for("volunteers.team", team_id=team_id), 303)


@bp.post("/teams/<int:team_id>/leave")
@login_required
def leave_team(team_id: int):
    try:
        rules.leave_team(current_user, team_id)
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.team", team_id=team_id)
    flash(_("You have left the team."))
    return redirect(url_for("volunteers.team", team_id=team_id), 303)


@bp.post("/teams/<int:team_id>/members/<int:membership_id>")
@login_required
def decide_member(team_id: int, membership_id: int):
    """The leader or staff accept or decline a request to join."""
    found = queries.team_detail(team_id)
    membership = db.session.get(Membership, membership_id)
    if found is None or membership is None or membership.team_id != team_id:
        abort(404)
    if not rules.can_manage_team(current_user, found):
        abort(403)
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        rules.decide_membership(membership_id, decision == "approve", current_user)
    except VolunteerError as error:
        return refused_redirect(error, "volunteers.team", team_id=team_id)
    return redirect(url_for("volunteers.team", team_id=team_id), 303)
