import re
from decimal import Decimal

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..htmx import render, wants_fragment
from ..inputs import DayRefused, parse_day
from ..models import MallItem, Membership, ProjectComment, Signup, Site
from ..page_cache import cached_page
from ..permissions import site_scope_required
from ..templating import hours as hours_text
from ..urls import positive_int, query_args
from ..vocab import PROJECT_CATEGORIES, PROJECT_STATUSES
from . import bp, queries, service
from .calendar import activities_ics

# Hours as people type them on the roster: '2', '1.5' (ASCII digits, one decimal).
HOURS_TEXT = re.compile(r"[0-9]{1,2}(\.[0-9])?")
REASON_MAX = 200  # Signup.credit_reason and PointsEntry.reason are String(200)


def _page() -> int:
    return positive_int(request.args.get("page")) or 1


def _error(error: service.VolunteerError, endpoint: str, **values):
    flash(error.message, "error")
    return redirect(url_for(endpoint, **values), 303)


# Teams -------------------------------------------------------------------------


@bp.get("/teams")
def teams():
    """Volunteer teams (志愿服务队) and their brands."""
    items, total, page, pages = queries.teams_page(_page())
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
    manager = current_user.is_authenticated and service.can_manage_team(current_user, found)
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
        service.request_to_join(current_user, team_id)
    except service.VolunteerError as error:
        if error.reason == "not_volunteer":
            flash(error.message, "error")
            return redirect(url_for("accounts.volunteer_profile"), 303)
        return _error(error, "volunteers.team", team_id=team_id)
    flash(_("Your request is sent. The team leader will answer soon."))
    return redirect(url_for("volunteers.team", team_id=team_id), 303)


@bp.post("/teams/<int:team_id>/leave")
@login_required
def leave_team(team_id: int):
    try:
        service.leave_team(current_user, team_id)
    except service.VolunteerError as error:
        return _error(error, "volunteers.team", team_id=team_id)
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
    if not service.can_manage_team(current_user, found):
        abort(403)
    decision = request.form.get("decision")
    if decision not in ("approve", "decline"):
        abort(400)
    try:
        service.decide_membership(membership_id, decision == "approve", current_user)
    except service.VolunteerError as error:
        return _error(error, "volunteers.team", team_id=team_id)
    return redirect(url_for("volunteers.team", team_id=team_id), 303)


def _calendar(name: str, activities) -> Response:
    body = activities_ics(
        activities, name, lambda a: url_for("volunteers.activity", activity_id=a.id, _external=True)
    )
    return Response(body, mimetype="text/calendar")


@bp.get("/teams/<int:team_id>/calendar.ics")
def team_calendar(team_id: int):
    """The team's upcoming activities as a calendar feed to subscribe to."""
    found = queries.team_detail(team_id)
    if found is None:
        abort(404)
    return _calendar(found.name, queries.upcoming_activities(team_id=team_id, limit=200))


@bp.get("/sites/<int:site_id>/calendar.ics")
def site_calendar(site_id: int):
    """A site's upcoming activities as a calendar feed."""
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404)
    return _calendar(site.name, queries.upcoming_activities(site_id=site_id, limit=200))


# Projects ----------------------------------------------------------------------


@bp.get("/projects")
def projects():
    """Service projects, with those in their publicity period (公示) open for opinions."""
    category = request.args.get("category", "")
    category = category if category in PROJECT_CATEGORIES else ""
    status = request.args.get("status", "")
    status = status if status in PROJECT_STATUSES and status != "draft" else ""
    community = positive_int(request.args.get("community"))
    items, total, page, pages = queries.projects_page(category, community, status, _page())
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
    from ..permissions import can_manage_site

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
        open_for_opinions=service.in_publicity(found, clock.today()),
        manager=_manages_project(found),
        outcome=service.project_outcome(found.id) if started else None,
        activities=queries.upcoming_activities(project_id=found.id, limit=20),
    )  # fmt: skip


@bp.post("/projects/<int:project_id>/comments")
@login_required
def comment(project_id: int):
    """Leave an opinion during the publicity period."""
    _project_or_404(project_id)
    try:
        service.comment_on_project(project_id, current_user, request.form.get("body", ""))
    except service.VolunteerError as error:
        return _error(error, "volunteers.project", project_id=project_id)
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
        service.reply_to_comment(comment_id, request.form.get("body", ""), current_user)
    except service.VolunteerError as error:
        return _error(error, "volunteers.project", project_id=project_id)
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
        service.advance_project(
            project_id, target, current_user, publicity=publicity, outcome=outcome
        )
    except service.VolunteerError as error:
        return _error(error, "volunteers.project", project_id=project_id)
    flash(_("The project is updated."))
    return redirect(url_for("volunteers.project", project_id=project_id), 303)


# Activities --------------------------------------------------------------------


@bp.get("/activities")
@cached_page
def activities():
    """Activities that need hands, soonest first."""
    items, total, page, pages = queries.upcoming_activities(page=_page())
    return render(
        "volunteers/activities.html", activities=items, total=total, page=page, pages=pages
    )


def _activity_or_404(activity_id: int):
    found = queries.activity_detail(activity_id)
    if found is None:
        abort(404)
    return found


def _activity_page(activity_id: int, *, message=None, error=None, status=200):
    found = _activity_or_404(activity_id)
    mine = (
        queries.my_signup(current_user.id, activity_id) if current_user.is_authenticated else None
    )
    return render(
        "volunteers/activity.html", fragments=("signup_box",), activity=found, mine=mine,
        position=queries.waitlist_position(mine) if mine and mine.status == "waitlisted" else None,
        organiser=current_user.is_authenticated and service.can_organise(current_user, found),
        now=clock.now(), message=message, error=error, status=status,
        checkin_open=service.checkin_open(found, clock.now()),
    )  # fmt: skip


@bp.get("/activities/<int:activity_id>")
def activity(activity_id: int):
    """One activity: when, where, places left, and signing up in one tap."""
    return _activity_page(activity_id)


def _after(activity_id: int, message: str):
    if wants_fragment():
        return _activity_page(activity_id, message=message)
    flash(message)
    return redirect(url_for("volunteers.activity", activity_id=activity_id), 303)


def _failed(activity_id: int, error: service.VolunteerError):
    if error.reason == "not_volunteer" and not wants_fragment():
        flash(error.message, "error")
        return redirect(url_for("accounts.volunteer_profile"), 303)
    if wants_fragment():
        return _activity_page(activity_id, error=error.message, status=422)
    return _error(error, "volunteers.activity", activity_id=activity_id)


@bp.post("/activities/<int:activity_id>/signup")
@login_required
def signup(activity_id: int):
    """Sign up in one tap; when full, join the waiting list."""
    _activity_or_404(activity_id)
    try:
        outcome = service.sign_up(current_user, activity_id)
    except service.VolunteerError as error:
        return _failed(activity_id, error)
    message = (
        _("The activity is full: you are on the waiting list and move up if someone cancels.")
        if outcome.waitlisted
        else _("You are signed up. Thank you!")
    )
    return _after(activity_id, message)


@bp.post("/activities/<int:activity_id>/cancel")
@login_required
def cancel_signup(activity_id: int):
    _activity_or_404(activity_id)
    try:
        service.cancel_signup(current_user, activity_id)
    except service.VolunteerError as error:
        return _failed(activity_id, error)
    return _after(activity_id, _("Your sign-up is cancelled."))


@bp.post("/activities/<int:activity_id>/check-in")
@login_required
def self_check_in(activity_id: int):
    """Check in on the day with the activity's short code."""
    _activity_or_404(activity_id)
    try:
        signup_row = service.self_check_in(current_user, activity_id, request.form.get("code", ""))
    except service.VolunteerError as error:
        return _failed(activity_id, error)
    return _after(
        activity_id,
        _("Checked in: %(hours)s hours credited.", hours=hours_text(signup_row.hours_credited)),
    )


@bp.get("/activities/<int:activity_id>/roster")
@login_required
def roster(activity_id: int):
    """The organiser's list: mark who came, adjust hours with a reason."""
    found = _activity_or_404(activity_id)
    if not service.can_organise(current_user, found):
        abort(403)
    return render("volunteers/roster.html", activity=found, signups=queries.roster(activity_id))


@bp.post("/activities/<int:activity_id>/roster/<int:signup_id>")
@login_required
def mark(activity_id: int, signup_id: int):
    found = _activity_or_404(activity_id)
    if not service.can_organise(current_user, found):
        abort(403)
    row = db.session.get(Signup, signup_id)
    if row is None or row.activity_id != activity_id:
        abort(404)
    decision = request.form.get("attended")
    if decision not in ("1", "0"):
        abort(400)
    text = request.form.get("hours", "").strip()
    reason = " ".join(request.form.get("reason", "").split())
    # Checked here, not left to Decimal and the database: Decimal reads 'NaN',
    # 'inf', '1e999' and '١٢', and PostgreSQL refuses a reason longer than its
    # column where SQLite would keep it.
    if text and not HOURS_TEXT.fullmatch(text):
        return _roster_refused(found, _("Hours must be more than 0 and at most 24."))
    if len(reason) > REASON_MAX:
        return _roster_refused(found, _("Keep the reason to 200 characters or fewer."))
    try:
        service.mark_attendance(
            signup_id, decision == "1", current_user, Decimal(text) if text else None, reason
        )
    except service.VolunteerError as error:
        return _roster_refused(found, error.message)
    return redirect(url_for("volunteers.roster", activity_id=activity_id), 303)


def _roster_refused(activity, message: str):
    flash(message, "error")
    return render(
        "volunteers/roster.html",
        activity=activity,
        signups=queries.roster(activity.id),
        status=422,
    )


# The volunteer's own record ------------------------------------------------------


@bp.get("/me/volunteer")
@login_required
def me():
    """My hours, my activities, my points and what I exchanged them for."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    return render(
        "volunteers/me.html", summary=service.hours_summary(current_user.id, clock.today()),
        history=queries.history(current_user.id), ledger=queries.ledger(current_user.id),
        balance=service.balance(current_user.id),
        redemptions=queries.redemptions_of(current_user.id),
    )  # fmt: skip


@bp.get("/me/volunteer/certificate")
@login_required
def certificate():
    """志愿服务记录证明: a printable record of hours, with a code anyone can verify."""
    if current_user.volunteer is None:
        return redirect(url_for("accounts.volunteer_profile"))
    attended = [s for s in queries.history(current_user.id) if s.status == "attended"]
    return render(
        "volunteers/certificate.html", profile=current_user.volunteer, signups=attended,
        summary=service.hours_summary(current_user.id, clock.today()), issued_on=clock.today(),
    )  # fmt: skip


@bp.get("/verify")
def verify_form():
    """Type a certificate's code to check it (the code from the printed page)."""
    code = "".join(request.args.get("code", "").split())
    if code:
        return redirect(url_for("volunteers.verify", code=code[:24]), 303)
    return render("volunteers/verify.html", profile=None, asked=False)


@bp.get("/verify/<code>")
def verify(code: str):
    """Confirm a certificate is genuine: the name and totals, nothing more."""
    profile = service.profile_by_certificate(code)
    if profile is None:
        return render("volunteers/verify.html", profile=None, asked=True, status=404)
    return render("volunteers/verify.html", profile=profile,
                  summary=service.hours_summary(profile.user_id, clock.today()))  # fmt: skip


# The love mall -----------------------------------------------------------------


@bp.get("/mall")
def mall():
    """爱心商城: goods to exchange for volunteer points, by site."""
    site_id = positive_int(request.args.get("site"))
    items, total, page, pages = queries.mall_items(site_id, _page())
    return render(
        "volunteers/mall.html", items=items, total=total, page=page, pages=pages, site_id=site_id,
        balance=service.balance(current_user.id) if current_user.is_authenticated else None,
    )  # fmt: skip


@bp.post("/mall/<int:item_id>/redeem")
@login_required
def redeem(item_id: int):
    if db.session.get(MallItem, item_id) is None:
        abort(404)
    try:
        redemption = service.redeem(current_user, item_id)
    except service.VolunteerError as error:
        return _error(error, "volunteers.mall")
    flash(_("Exchanged! Show the code %(code)s at %(site)s to pick it up.",
            code=redemption.code, site=redemption.item.site.name))  # fmt: skip
    return redirect(url_for("volunteers.me") + "#redemptions", 303)


@bp.get("/staff/sites/<int:site_id>/redemptions")
@site_scope_required
def site_redemptions(site_id: int):
    """Staff hand over exchanged goods, or cancel (refunding points and stock)."""
    from flask import g

    return render(
        "volunteers/redemptions.html", site=g.site, redemptions=queries.site_redemptions(g.site)
    )


@bp.post("/staff/sites/<int:site_id>/redemptions/<int:redemption_id>")
@site_scope_required
def decide_redemption(site_id: int, redemption_id: int):
    from flask import g

    redemption = next((r for r in queries.site_redemptions(g.site) if r.id == redemption_id), None)
    if redemption is None:
        abort(404)
    decision = request.form.get("decision")
    if decision not in ("picked_up", "cancel"):
        abort(400)
    try:
        service.decide_redemption(redemption_id, decision == "picked_up", current_user)
    except service.VolunteerError as error:
        flash(error.message, "error")
    else:
        handed_over = decision == "picked_up"
        flash(_("Handed over.") if handed_over else _("Cancelled; the points are back."))
    return redirect(url_for("volunteers.site_redemptions", site_id=site_id), 303)
