"""Activities a site's staff run: the list with "new activity" and "new weekly
series", a page per activity (edit, places, cancel) and per series.

The rules (bounds, places, changes volunteers are told about) are in
``volunteers.activities``; a refusal comes back on its form field, with 422
and what was typed.
"""

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..htmx import render, wants_fragment
from ..models import Activity, Site
from ..permissions import covers, site_scope_required
from ..refusals import show_on
from ..sites.hours import format_minutes
from ..volunteers import activities as rules
from ..volunteers import queries
from ..volunteers.common import VolunteerError
from . import bp
from .activity_forms import ActivityEditForm, ActivityForm, CancelForm, PlacesForm, SeriesForm


def _offer(*forms, activity: Activity | None = None) -> None:
    """The unit's projects, teams and sites to choose from; an activity being
    changed keeps its own project and team in the lists (a completed project,
    a retired team), so saving it does not drop them unasked."""
    projects, teams = rules.unit_projects(g.site), rules.unit_teams(g.site)
    if activity is not None:
        if activity.project is not None and activity.project not in projects:
            projects.append(activity.project)
        if activity.team is not None and activity.team not in teams:
            teams.append(activity.team)
    for form in forms:
        form.offer(projects=projects, teams=teams, sites=rules.unit_sites(g.site))


def _fresh(form_class, **data):
    return form_class(formdata=None, data={"site_id": str(g.site.id), **data})


def _index(*, activity_form=None, series_form=None, status=200):
    activity_form = activity_form or _fresh(ActivityForm, day=clock.today())
    series_form = series_form or _fresh(SeriesForm, starts_on=clock.today())
    _offer(activity_form, series_form)
    return render(
        "staff/activities.html", site=g.site, activity_form=activity_form,
        series_form=series_form, coming=queries.unit_activities(g.site, coming=True),
        recent=queries.unit_activities(g.site, coming=False),
        series=queries.unit_series(g.site), now=clock.now(), status=status,
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/activities")
@site_scope_required
def activities(site_id: int):
    """The unit's coming and recent activities, and the forms that add them."""
    return _index()


@bp.post("/sites/<int:site_id>/volunteering/activities")
@site_scope_required
def create_activity(site_id: int):
    """A new activity: when, where, how many hands, the hours it credits."""
    form = ActivityForm()
    _offer(form)
    if form.validate_on_submit():
        try:
            activity = rules.create_activity(
                g.site, form.details(), places=form.places.data, day=form.day.data,
                starts_min=form.starts.minutes, ends_min=form.ends.minutes, by=current_user,
            )  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("The activity is published. Volunteers can sign up now."))
            return _back(site_id, activity.id)
    return _index(activity_form=form, status=422)


@bp.post("/sites/<int:site_id>/volunteering/series")
@site_scope_required
def create_series(site_id: int):
    """A weekly series: one activity each week, each then changed on its own."""
    form = SeriesForm()
    _offer(form)
    if form.validate_on_submit():
        try:
            series = rules.create_series(
                g.site, form.details(), places=form.places.data,
                weekday=int(form.weekday.data), from_day=form.starts_on.data,
                weeks=form.weeks.data, starts_min=form.starts.minutes,
                ends_min=form.ends.minutes, by=current_user,
            )  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(ngettext("%(num)s weekly activity is published.",
                           "%(num)s weekly activities are published.", series.weeks))  # fmt: skip
            return redirect(url_for("staff.activity_series", site_id=site_id,
                                    series_id=series.id), 303)  # fmt: skip
    return _index(series_form=form, status=422)


# One activity -----------------------------------------------------------------------------


def _activity_of_unit(activity_id: int) -> Activity:
    """The activity, if it is at g.site or (for a center) at one of its stations."""
    found = queries.activity_detail(activity_id)
    if found is None or not covers(g.site, found.site):
        abort(404)
    return found


def _edit_form(activity: Activity) -> ActivityEditForm:
    details = rules.details_of(activity)
    local_start, local_end = clock.local(activity.starts_at), clock.local(activity.ends_at)
    data = {
        "title": details.title, "project_id": str(details.project_id or ""),
        "team_id": str(details.team_id or ""), "site_id": str(details.site_id),
        "address": details.address, "category": details.category,
        "description": details.description, "requirements": details.requirements,
        "skills": details.skills, "hours": rules.hours_text(details.hours),
        "deadline_hours": details.deadline_hours, "day": local_start.date(),
        "starts": format_minutes(local_start.hour * 60 + local_start.minute),
        "ends": format_minutes(local_end.hour * 60 + local_end.minute),
    }  # fmt: skip
    return ActivityEditForm(formdata=None, data=data)


def _activity_page(activity_id: int, *, edit_form=None, places_form=None, cancel_form=None,
                   status=200, block=None):  # fmt: skip
    activity = _activity_of_unit(activity_id)
    edit_form = edit_form or _edit_form(activity)
    _offer(edit_form, activity=activity)
    return render(
        "staff/activity.html", block=block, site=g.site, activity=activity,
        edit_form=edit_form,
        places_form=places_form or PlacesForm(formdata=None, data={"places": activity.places}),
        cancel_form=cancel_form or CancelForm(formdata=None), now=clock.now(),
        changes=queries.activity_changes(activity.id), status=status,
        describe=rules.describe_change, change_kinds=rules.CHANGE_KINDS,
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/activities/<int:activity_id>")
@site_scope_required
def activity(site_id: int, activity_id: int):
    """One activity: change it, its places, or cancel it with a reason."""
    return _activity_page(activity_id)


def _back(site_id: int, activity_id: int, anchor: str = ""):
    return redirect(
        url_for("staff.activity", site_id=site_id, activity_id=activity_id) + anchor, 303
    )


@bp.post("/sites/<int:site_id>/volunteering/activities/<int:activity_id>/edit")
@site_scope_required
def edit_activity(site_id: int, activity_id: int):
    """Change one activity; volunteers keep their places and read what changed."""
    form = ActivityEditForm()
    _offer(form, activity=_activity_of_unit(activity_id))
    if form.validate_on_submit():
        try:
            kinds = rules.edit_activity(
                activity_id, g.site, form.details(), day=form.day.data,
                starts_min=form.starts.minutes, ends_min=form.ends.minutes,
                reason=form.reason.data or "", by=current_user,
            )  # fmt: skip
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("Saved. Signed-up volunteers see what changed.") if kinds
                  else _("Nothing changed."))  # fmt: skip
            return _back(site_id, activity_id)
    return _activity_page(activity_id, edit_form=form, status=422)


@bp.post("/sites/<int:site_id>/volunteering/activities/<int:activity_id>/places")
@site_scope_required
def activity_places(site_id: int, activity_id: int):
    """Raise the places (the waiting list moves up), or lower them to no fewer than taken."""
    _activity_of_unit(activity_id)
    form = PlacesForm()
    if form.validate_on_submit():
        try:
            promoted = rules.set_places(activity_id, form.places.data, by=current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            message = (
                ngettext("Saved: %(num)s volunteer moved up from the waiting list.",
                         "Saved: %(num)s volunteers moved up from the waiting list.", promoted)
                if promoted else _("Saved.")
            )  # fmt: skip
            if wants_fragment():
                return _places_box(activity_id, message=message)
            flash(message)
            return _back(site_id, activity_id, "#places")
    if wants_fragment():
        return _places_box(activity_id, form=form, status=422)
    return _activity_page(activity_id, places_form=form, status=422)


def _places_box(activity_id: int, *, form=None, message=None, status=200):
    """The places box alone (htmx): the numbers as they are now, and what happened."""
    activity = _activity_of_unit(activity_id)
    return render(
        "staff/activity.html", block="places_box", site=g.site, activity=activity,
        places_form=form or PlacesForm(formdata=None, data={"places": activity.places}),
        places_message=message, now=clock.now(), status=status,
    )  # fmt: skip


@bp.post("/sites/<int:site_id>/volunteering/activities/<int:activity_id>/cancel")
@site_scope_required
def cancel_activity(site_id: int, activity_id: int):
    """Cancel with the reason volunteers read; their sign-ups stay as history."""
    _activity_of_unit(activity_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            rules.cancel_activity(activity_id, form.reason.data, by=current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(_("The activity is cancelled. Signed-up volunteers see why."))
            return _back(site_id, activity_id)
    return _activity_page(activity_id, cancel_form=form, status=422)


# A weekly series ----------------------------------------------------------------------------


def _series_of_unit(series_id: int):
    """The series, if it was made at g.site or (for a center) at one of its stations."""
    found = queries.series_detail(series_id)
    if found is None or not covers(g.site, db.session.get(Site, found.site_id)):
        abort(404)
    return found


def _series_page(series_id: int, *, cancel_form=None, status=200):
    series = _series_of_unit(series_id)
    return render(
        "staff/activity_series.html", site=g.site, series=series, now=clock.now(),
        cancel_form=cancel_form or CancelForm(formdata=None), status=status,
        coming=[a for a in series.activities if a.status == "open" and a.starts_at > clock.now()],
    )  # fmt: skip


@bp.get("/sites/<int:site_id>/volunteering/series/<int:series_id>")
@site_scope_required
def activity_series(site_id: int, series_id: int):
    """A weekly series: its occurrences, each changed or cancelled on its own."""
    return _series_page(series_id)


@bp.post("/sites/<int:site_id>/volunteering/series/<int:series_id>/cancel")
@site_scope_required
def cancel_series(site_id: int, series_id: int):
    """Cancel every occurrence still to come, with one reason."""
    _series_of_unit(series_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancelled = rules.cancel_series(series_id, form.reason.data, by=current_user)
        except VolunteerError as error:
            show_on(form, error)
        else:
            flash(ngettext("%(num)s activity is cancelled. Signed-up volunteers see why.",
                           "%(num)s activities are cancelled. Signed-up volunteers see why.",
                           cancelled))  # fmt: skip
            return redirect(url_for("staff.activity_series", site_id=site_id,
                                    series_id=series_id), 303)  # fmt: skip
    return _series_page(series_id, cancel_form=form, status=422)
