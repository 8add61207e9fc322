"""Activities: the list, an activity's page, signing up and cancelling, calendar feeds.

Checking in and out and the organiser's roster are in ``attendance``.
"""

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import clock
from ...extensions import db
from ...htmx import render, wants_fragment
from ...models import Site
from ...page_cache import cached_page
from ...sites.directory import place_choices
from .. import bp, queries, signups
from ..activity_search import ActivityFilters, find_activities
from ..calendar import activities_ics
from ..common import VolunteerError
from . import refused_redirect


@bp.get("/activities")
@cached_page
def activities():
    """Activities that need hands, soonest (or nearest) first; the URL holds the filters.

    htmx asks for the results, or the street and community choices after the
    district or street changed, as blocks of the same template.
    """
    filters, districts, streets, communities = place_choices(
        ActivityFilters.from_args(request.args)
    )
    return render(
        "volunteers/activities.html", fragments=("results", "place_filters"), filters=filters,
        found=find_activities(filters, clock.now()), districts=districts, streets=streets,
        communities=communities,
    )  # fmt: skip


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
        organiser=current_user.is_authenticated and signups.can_organise(current_user, found),
        now=clock.now(), message=message, error=error, status=status,
        checkin_open=signups.checkin_open(found, clock.now()),
        series_dates=queries.series_coming(found.series_id)
        if found.series_id and not wants_fragment() else [],
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


def _failed(activity_id: int, error: VolunteerError):
    if error.reason == "not_volunteer" and not wants_fragment():
        flash(error.message, "error")
        return redirect(url_for("accounts.volunteer_profile"), 303)
    if wants_fragment():
        return _activity_page(activity_id, error=error.message, status=422)
    return refused_redirect(error, "volunteers.activity", activity_id=activity_id)


@bp.post("/activities/<int:activity_id>/signup")
@login_required
def signup(activity_id: int):
    """Sign up in one tap; when full, join the waiting list."""
    _activity_or_404(activity_id)
    try:
        outcome = signups.sign_up(current_user, activity_id)
    except VolunteerError as error:
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
        signups.cancel_signup(current_user, activity_id)
    except VolunteerError as error:
        return _failed(activity_id, error)
    return _after(activity_id, _("Your sign-up is cancelled."))


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
