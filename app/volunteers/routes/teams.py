"""Teams (志愿服务队): the list, a team's page, asking to join, leaving, and what the
leader and deputies do from the team's page (decide requests, remove a member)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...extensions import db
from ...htmx import render
from ...inputs import search_text
from ...models import Membership
from ...permissions import can_manage_site
from ...refusals import show_on
from ...staff.team_forms import RemoveMemberForm, remove_prefix
from ...urls import positive_int, query_args
from ...vocab import MEMBERSHIP_STATUSES
from .. import bp, queries
from .. import teams as rules
from ..common import VolunteerError
from . import page_number, refused_redirect

SEARCH_MAX = 60  # the longest team name


@bp.get("/teams")
def teams():
    """Volunteer teams (志愿服务队): by community, by skill, or searched by name, brand, skill.

    The URL holds the whole state (a GET form), so a filtered list can be shared
    and paged; htmx swaps the results alone as one types or chooses.
    """
    community = positive_int(request.args.get("community"))
    skill = search_text(request.args.get("skill"), SEARCH_MAX)
    q = search_text(request.args.get("q"), SEARCH_MAX)
    retired = request.args.get("retired") == "1"
    items, total, page, pages = queries.teams_page(
        page_number(), community=community, skill=skill, q=q, retired=retired
    )
    return render(
        "volunteers/teams.html", fragments=("team_results",), teams=items, total=total,
        page=page, pages=pages, counts=queries.member_counts([t.id for t in items]),
        communities=queries.team_communities(), skills=queries.team_skills(),
        filters={"community": community, "skill": skill, "q": q, "retired": retired},
        pager_args=query_args(community=community, skill=skill, q=q,
                              retired="1" if retired else None),
    )  # fmt: skip


def _team_or_404(team_id: int):
    found = queries.team_detail(team_id)
    if found is None:
        abort(404)
    return found


def _team_page(team, *, remove_form=None, status=200):
    memberships = queries.memberships_of(team.id)
    mine = next(
        (m for m in memberships if current_user.is_authenticated and m.user_id == current_user.id),
        None,
    )
    manager = current_user.is_authenticated and rules.can_manage_team(current_user, team)
    in_team = [m for m in memberships if m.status in Membership.IN_THE_TEAM]
    # The leader and deputies remove plain members; whom the staff named, the staff do.
    removable = [m for m in in_team if m.status not in Membership.RUNS_THE_TEAM] if manager else []
    forms = {m.id: RemoveMemberForm(prefix=remove_prefix(m.id), formdata=None) for m in removable}
    if remove_form is not None:
        forms[remove_form[0]] = remove_form[1]
    return render(
        "volunteers/team.html", team=team, mine=mine, manager=manager,
        leaders=[m for m in memberships if m.status == "leader"],
        deputies=[m for m in memberships if m.status == "deputy"],
        member_count=len(in_team), removable=removable, remove_forms=forms,
        failed_row=remove_form[0] if remove_form else None,
        pending=[m for m in memberships if m.status == "pending"] if manager else [],
        staff=current_user.is_authenticated and can_manage_site(current_user, team.home_site),
        activities=queries.upcoming_activities(team_id=team.id, limit=10),
        membership_statuses=MEMBERSHIP_STATUSES, status=status,
    )  # fmt: skip


@bp.get("/teams/<int:team_id>")
def team(team_id: int):
    """One team: who leads it, how many are in it, what it does next, and joining."""
    return _team_page(_team_or_404(team_id))


@bp.post("/teams/<int:team_id>/join")
@login_required
def join_team(team_id: int):
    """Ask to join a team; its leader, a deputy or the staff answer."""
    _team_or_404(team_id)
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


def _membership_of(team_id: int, membership_id: int):
    """The team and one of its memberships; 403 unless the user may run its members."""
    found = queries.team_detail(team_id)
    membership = db.session.get(Membership, membership_id)
    if found is None or membership is None or membership.team_id != team_id:
        abort(404)
    if not rules.can_manage_team(current_user, found):
        abort(403)
    return found, membership


@bp.post("/teams/<int:team_id>/members/<int:membership_id>")
@login_required
def decide_member(team_id: int, membership_id: int):
    """The leader, a deputy or staff accept or decline a request to join."""
    _membership_of(team_id, membership_id)
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        rules.decide_membership(membership_id, decision == "approve", current_user)
    except VolunteerError as error:
        if error.reason == "forbidden":
            abort(403)
        return refused_redirect(error, "volunteers.team", team_id=team_id)
    return redirect(url_for("volunteers.team", team_id=team_id), 303)


@bp.post("/teams/<int:team_id>/members/<int:membership_id>/remove")
@login_required
def remove_member(team_id: int, membership_id: int):
    """The leader or a deputy take a member out of the team, with the reason they read.

    Whom the staff named (the leader, a deputy) only the staff remove: 403.
    """
    found, membership = _membership_of(team_id, membership_id)
    if membership.status in Membership.RUNS_THE_TEAM and not rules.staff_of_team(
        current_user, found
    ):
        abort(403)
    form = RemoveMemberForm(prefix=remove_prefix(membership_id))
    if form.validate_on_submit():
        try:
            rules.remove_member(membership_id, form.reason.data, current_user, team_id=team_id)
        except VolunteerError as error:
            if error.reason in ("forbidden", "staff_only"):
                abort(403)
            if error.field != "reason":
                return refused_redirect(error, "volunteers.team", team_id=team_id)
            show_on(form, error, "reason")
        else:
            flash(_("%(name)s is no longer in the team.", name=membership.user.display_name))
            return redirect(url_for("volunteers.team", team_id=team_id) + "#members", 303)
    return _team_page(_team_or_404(team_id), remove_form=(membership_id, form), status=422)
