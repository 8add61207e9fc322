"""Volunteer teams in the staff console: a unit's teams, and one team's page.

Staff of a site create its teams, edit and retire them, name the leader and
deputies, decide requests to join and remove members with a reason. The
rules are in ``volunteers.teams``; a team is reached under a site whose unit
holds its home site, so a guessed team of another unit answers 404.
"""

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_blocks
from sqlalchemy import select

from ..extensions import db
from ..htmx import render, wants_fragment
from ..models import Membership, Site, Team
from ..permissions import can_manage_site, covers, site_scope_required, unit_site_ids
from ..refusals import show_on
from ..urls import positive_int
from ..vocab import MEMBERSHIP_STATUSES
from ..volunteers import queries
from ..volunteers import teams as rules
from ..volunteers.common import VolunteerError
from . import bp
from .team_forms import (
    MemberRoleForm,
    NameRoleForm,
    RemoveMemberForm,
    TeamEditForm,
    TeamForm,
    remove_prefix,
    role_prefix,
)


def _unit_sites() -> list[Site]:
    """The sites of the page's unit the worker manages: where a team can be based."""
    sites = db.session.scalars(
        select(Site).where(Site.id.in_(unit_site_ids(g.site))).order_by(Site.kind, Site.name)
    )
    return [site for site in sites if can_manage_site(current_user, site)]


def _with_sites(form):
    form.home_site_id.choices = [(site.id, site.name) for site in _unit_sites()]
    return form


def _team_in_unit(team_id: int) -> Team:
    """The team, if its home site is in the page's unit (else 404, as for no team)."""
    team = queries.team_detail(team_id)
    if team is None or not covers(g.site, team.home_site):
        abort(404)
    return team


def _refused(error: VolunteerError):
    """A rule's "not yours" is a 403 like the scope check's."""
    if error.reason == "forbidden":
        abort(403)


def _back(site_id: int, team_id: int, anchor: str = ""):
    """303 to the team's page, at the part the change shows in."""
    return redirect(url_for("staff.team", site_id=site_id, team_id=team_id) + anchor, 303)


# A unit's teams -----------------------------------------------------------------------


def _index(form=None, status=200):
    page = positive_int(request.args.get("page")) or 1
    items, total, page, pages = queries.unit_teams_page(g.site, page)
    if form is None:
        form = _with_sites(TeamForm(formdata=None, data={"home_site_id": g.site.id}))
    counts = queries.membership_counts([t.id for t in items])
    return render(
        "staff/teams.html", site=g.site, teams=items, total=total, page=page, pages=pages,
        counts=counts, form=form, status=status,
        people={t: sum(c.get(s, 0) for s in Membership.IN_THE_TEAM) for t, c in counts.items()},
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/teams")
@site_scope_required
def teams(site_id: int):
    """The site's volunteer teams (a center's include its stations'), and a new one."""
    return _index()


@bp.post("/sites/<int:site_id>/volunteering/teams")
@site_scope_required
def create_team(site_id: int):
    """A new team, based at one of the unit's sites; its leader is named next."""
    form = _with_sites(TeamForm())
    if form.validate_on_submit():
        try:
            team = rules.create_team(form.values(), current_user)
        except VolunteerError as error:
            _refused(error)
            show_on(form, error)
        else:
            flash(_("Team %(name)s created. Now name its leader.", name=team.name))
            return _back(site_id, team.id, "#main")
    return _index(form=form, status=422)


# One team -------------------------------------------------------------------------------


def _team_page(team: Team, *, edit=None, role=None, row_forms=None, status=200):
    """The team's page; ``row_forms`` holds a member row's refused form, by membership id."""
    memberships = queries.memberships_of(team.id)
    in_team = [m for m in memberships if m.status in Membership.IN_THE_TEAM]
    row_forms = row_forms or {}
    if edit is None:
        edit = TeamEditForm(formdata=None, obj=team)
    return render(
        "staff/team.html",
        site=g.site,
        team=team,
        members=in_team,
        pending=[m for m in memberships if m.status == "pending"],
        removed=[m for m in memberships if m.status == "removed"],
        edit=_with_sites(edit),
        role=role or NameRoleForm(formdata=None),
        role_forms={
            m.id: row_forms.get(("role", m.id))
            or MemberRoleForm(prefix=role_prefix(m.id), formdata=None, data={"role": m.status})
            for m in in_team
        },
        remove_forms={
            m.id: row_forms.get(("remove", m.id))
            or RemoveMemberForm(prefix=remove_prefix(m.id), formdata=None)
            for m in in_team
        },
        open_row=next(iter(row_forms), None),
        membership_statuses=MEMBERSHIP_STATUSES,
        runs_the_team=Membership.RUNS_THE_TEAM,
        status=status,
    )


@bp.get("/sites/<int:site_id>/volunteering/teams/<int:team_id>")
@site_scope_required
def team(site_id: int, team_id: int):
    """One team: its requests, its people and their roles, its details, retiring it."""
    return _team_page(_team_in_unit(team_id))


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/edit")
@site_scope_required
def edit_team(site_id: int, team_id: int):
    """Change the team's name, brand, description, skills or home site."""
    team = _team_in_unit(team_id)
    form = _with_sites(TeamEditForm())
    if form.validate_on_submit():
        try:
            rules.update_team(team.id, form.values(), current_user)
        except VolunteerError as error:
            _refused(error)
            show_on(form, error)
        else:
            flash(_("Saved. Residents see the change now."))
            # The page opens at the message (the form's own #details would hide it).
            return _back(site_id, team.id, "#main")
    return _team_page(_team_in_unit(team_id), edit=form, status=422)


def _retire(site_id: int, team_id: int, retired: bool):
    team = _team_in_unit(team_id)
    try:
        rules.set_retired(team.id, retired, current_user)
    except VolunteerError as error:
        _refused(error)
        flash(error.message, "error")
    else:
        if retired:
            flash(_("%(name)s is retired. Its page and history stay.", name=team.name))
        else:
            flash(_("%(name)s is working again and takes new members.", name=team.name))
    return _back(site_id, team.id)


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/retire")
@site_scope_required
def retire_team(site_id: int, team_id: int):
    """Retire the team: no new members or activities; its page and history stay."""
    return _retire(site_id, team_id, True)


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/restore")
@site_scope_required
def restore_team(site_id: int, team_id: int):
    """Bring a retired team back."""
    return _retire(site_id, team_id, False)


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/roles")
@site_scope_required
def name_team_role(site_id: int, team_id: int):
    """Name a volunteer, by their mobile number, the leader (replacing the old one) or a deputy."""
    team = _team_in_unit(team_id)
    form = NameRoleForm()
    if form.validate_on_submit():
        try:
            membership = rules.name_to_role(team.id, form.mobile.data, form.role.data,
                                            current_user)  # fmt: skip
        except VolunteerError as error:
            _refused(error)
            show_on(form, error)
        else:
            label = MEMBERSHIP_STATUSES[membership.status].label
            flash(_("%(name)s is now %(role)s.", name=membership.user.display_name, role=label))
            return _back(site_id, team.id, "#members")
    return _team_page(_team_in_unit(team_id), role=form, status=422)


def _membership_in(team: Team, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.team_id != team.id:
        abort(404)
    return membership


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/members/<int:membership_id>/role")
@site_scope_required
def set_member_role(site_id: int, team_id: int, membership_id: int):
    """Make someone in the team its leader, a deputy, or a plain member."""
    team = _team_in_unit(team_id)
    _membership_in(team, membership_id)
    form = MemberRoleForm(prefix=role_prefix(membership_id))
    if form.validate_on_submit():
        try:
            membership = rules.set_role(membership_id, form.role.data, current_user,
                                        team_id=team.id)  # fmt: skip
        except VolunteerError as error:
            _refused(error)
            show_on(form, error, "role")
        else:
            label = MEMBERSHIP_STATUSES[membership.status].label
            flash(_("%(name)s is now %(role)s.", name=membership.user.display_name, role=label))
            return _back(site_id, team.id, "#members")
    return _team_page(_team_in_unit(team_id), row_forms={("role", membership_id): form}, status=422)


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/members/<int:membership_id>/remove")
@site_scope_required
def remove_team_member(site_id: int, team_id: int, membership_id: int):
    """Take someone out of the team, with the reason they will read."""
    team = _team_in_unit(team_id)
    _membership_in(team, membership_id)
    form = RemoveMemberForm(prefix=remove_prefix(membership_id))
    if form.validate_on_submit():
        try:
            membership = rules.remove_member(membership_id, form.reason.data, current_user,
                                             team_id=team.id)  # fmt: skip
        except VolunteerError as error:
            _refused(error)
            show_on(form, error, "reason")
        else:
            flash(_("%(name)s is no longer in the team.", name=membership.user.display_name))
            return _back(site_id, team.id, "#members")
    return _team_page(
        _team_in_unit(team_id), row_forms={("remove", membership_id): form}, status=422
    )


@bp.post("/sites/<int:site_id>/volunteering/teams/<int:team_id>/requests/<int:membership_id>")
@site_scope_required
def decide_team_request(site_id: int, team_id: int, membership_id: int):
    """Approve or decline a request to join; with htmx, the request's row answers in place."""
    team = _team_in_unit(team_id)
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    membership = db.session.get(Membership, membership_id)
    if membership is not None and membership.team_id != team.id:
        abort(404)
    # A request declined meanwhile (by another worker, or the leader) is gone.
    name = membership.user.display_name if membership is not None else ""
    try:
        rules.decide_membership(membership_id, decision == "approve", current_user)
    except VolunteerError as error:
        _refused(error)
        if wants_fragment():
            return _request_row(team, membership_id, name, error.message, status=422)
        flash(error.message, "error")
    else:
        if decision == "approve":
            message = _("%(name)s is now a member.", name=name)
        else:
            message = _("Declined the request of %(name)s.", name=name)
        if wants_fragment():
            return _request_row(team, membership_id, name, message, decided=True)
        flash(message)
    return _back(site_id, team.id, "#requests")


def _request_row(team: Team, membership_id: int, name: str, message: str, *, decided=False,
                 status=200):  # fmt: skip
    """The request's row, now the outcome; and the members' list out of band (one more)."""
    db.session.rollback()
    memberships = queries.memberships_of(team.id)
    in_team = [m for m in memberships if m.status in Membership.IN_THE_TEAM]
    context = dict(
        site=g.site, team=queries.team_detail(team.id), members=in_team,
        role_forms={m.id: MemberRoleForm(prefix=role_prefix(m.id), formdata=None,
                                         data={"role": m.status}) for m in in_team},
        remove_forms={m.id: RemoveMemberForm(prefix=remove_prefix(m.id), formdata=None)
                      for m in in_team},
        open_row=None, membership_statuses=MEMBERSHIP_STATUSES,
        runs_the_team=Membership.RUNS_THE_TEAM,
        answered={"id": membership_id, "name": name, "message": message, "decided": decided},
        oob=True,
    )  # fmt: skip
    body = render_blocks("staff/team.html", ["request_row", "members"], **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
