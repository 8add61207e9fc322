"""Activities staff run (志愿活动): create, edit and cancel; weekly series; places.

Staff type local (Asia/Shanghai) days and times of day; the rules turn them
into UTC instants and keep them sane: in the future, ending after they start,
at most ``MAX_LENGTH`` long, within a year, with sign-up closing before the
start and no more hours credited than the activity lasts.

What volunteers signed up for is never taken from them: cancelling, or a new
time or place, leaves every sign-up as it was and writes an ``ActivityChange``
that the volunteers read on "my volunteering". Places change under the
activity's row lock (``locked``), the same lock sign-ups take, so a sign-up
racing a change of capacity can never overfill it.
"""

import secrets
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from .. import audit, clock
from ..database import begin_write, is_sqlite, lock_row
from ..extensions import db
from ..i18n import local_day, local_time
from ..models import Activity, ActivityChange, ActivitySeries, Project, Signup, Site, Team, User
from ..permissions import unit_site_ids
from ..vocab import PROJECT_CATEGORIES, WEEKDAYS
from .common import VolunteerError, locked, refuse, tell_signed_up

MAX_LENGTH = timedelta(hours=12)
AHEAD = timedelta(days=366)  # "within a year": the latest start, from now
MAX_PLACES = 500
MAX_DEADLINE_HOURS = 7 * 24
MAX_WEEKS = 52
TEXT_LIMITS = {"title": 80, "address": 200, "requirements": 200, "skills": 200,
               "description": 2000}  # fmt: skip
REASON_MAX = 200  # ActivityChange.reason and Activity.cancel_reason are String(200)
# Projects that can still run shifts: a draft is not public, a completed one is over.
PROJECTS_RUNNING = ("filed", "publicity", "running")
# The sign-ups whose volunteers hold (or wait for) a place in the activity.
ACTIVE_SIGNUPS = ("signed_up", "waitlisted", "checked_in")

CHANGE_KINDS = {
    "cancelled": _l("Cancelled"),
    "time": _l("New time"),
    "place": _l("New place"),
    "details": _l("Details changed"),
}
DETAIL_LABELS = {
    "title": _l("title"),
    "project_id": _l("project"),
    "team_id": _l("team"),
    "category": _l("category"),
    "description": _l("description"),
    "requirements": _l("requirements"),
    "skills": _l("skills"),
    "hours": _l("hours credited"),
    "signup_deadline": _l("sign-up deadline"),
}


@dataclass(frozen=True)
class Details:
    """What staff say about an activity (or every occurrence of a series).

    ``hours`` None credits as long as the activity lasts; ``category`` empty
    takes the project's. Sign-up closes ``deadline_hours`` before the start.
    """

    title: str
    project_id: int | None
    team_id: int | None
    site_id: int
    address: str = ""
    category: str = ""
    description: str = ""
    requirements: str = ""
    skills: str = ""
    hours: Decimal | None = None
    deadline_hours: int = 2


def details_of(activity: Activity) -> Details:
    """The details of an existing activity, as its edit form starts."""
    before = activity.starts_at - activity.signup_deadline
    return Details(
        title=activity.title, project_id=activity.project_id, team_id=activity.team_id,
        site_id=activity.site_id, address=activity.address, category=activity.category,
        description=activity.description, requirements=activity.requirements,
        skills=activity.skills, hours=Decimal(activity.hours),
        deadline_hours=max(0, round(before.total_seconds() / 3600)),
    )  # fmt: skip


# What a unit may choose from ----------------------------------------------------------


def network_site_ids(site: Site):
    """A select of the ids of the whole 1+N network ``site`` belongs to."""
    center_id = site.center_id or site.id
    return select(Site.id).where(or_(Site.id == center_id, Site.center_id == center_id))


def unit_sites(site: Site) -> list[Site]:
    """Where the staff of ``site`` may hold activities: the sites they manage."""
    return list(
        db.session.scalars(
            select(Site).where(Site.id.in_(unit_site_ids(site))).order_by(Site.kind, Site.name)
        )
    )


def unit_teams(site: Site) -> list[Team]:
    """Teams of the 1+N network (a station's staff call on its center's teams)."""
    return list(
        db.session.scalars(
            select(Team)
            .where(Team.home_site_id.in_(network_site_ids(site)), Team.retired_at.is_(None))
            .order_by(Team.name, Team.id)
        )
    )


def unit_projects(site: Site) -> list[Project]:
    """Projects of the network, or of its community as a whole, that still run shifts."""
    return list(
        db.session.scalars(
            select(Project)
            .where(
                Project.status.in_(PROJECTS_RUNNING),
                or_(
                    Project.site_id.in_(network_site_ids(site)),
                    Project.site_id.is_(None) & (Project.community_id == site.community_id),
                ),
            )
            .order_by(Project.title, Project.id)
        )
    )


# Checks -------------------------------------------------------------------------------------


def _moment(day: date, minutes: int) -> datetime:
    """A local day and minute of the day (1440 is midnight after it) as an instant."""
    local = datetime.combine(day, time(), tzinfo=clock.LOCAL_TZ) + timedelta(minutes=minutes)
    return local.astimezone(UTC)


def _check_text(details: Details) -> Details:
    """Trimmed text within its columns; the title is needed."""
    values = {}
    for name, limit in TEXT_LIMITS.items():
        text = getattr(details, name) or ""
        text = text.strip() if name == "description" else " ".join(text.split())
        if len(text) > limit:
            raise VolunteerError(
                name, _("Keep this to %(num)s characters or fewer.", num=limit), field=name
            )
        values[name] = text
    if not values["title"]:
        raise VolunteerError("title", _("Enter the activity's title."), field="title")
    return Details(**{**{f.name: getattr(details, f.name) for f in fields(details)}, **values})


def _check_times(starts: datetime, ends: datetime, now: datetime, day_field: str) -> None:
    if starts <= now:
        refuse("past", _("Choose a start that is still to come."), field="starts")
    if ends <= starts:
        refuse("times", _("The end must be after the start."), field="ends")
    if ends - starts > MAX_LENGTH:
        refuse("length", _("An activity lasts at most 12 hours."), field="ends")
    if starts > now + AHEAD:
        refuse("ahead", _("Choose a day within a year from today."), field=day_field)


def _check_places(places: int) -> None:
    if not 1 <= places <= MAX_PLACES:
        refuse(
            "places",
            _("Enter a whole number from %(low)s to %(high)s.", low=1, high=MAX_PLACES),
            field="places",
        )


def _credited(details: Details, starts: datetime, ends: datetime) -> Decimal:
    """The hours credited: as given, or as long as it lasts; never more than that."""
    length = Decimal((ends - starts).total_seconds() / 3600).quantize(Decimal("0.01"))
    hours = length if details.hours is None else Decimal(details.hours)
    if not hours.is_finite() or hours <= 0 or hours > length:
        refuse(
            "hours",
            _("Credit more than 0 hours and at most the %(hours)s hours it lasts.",
              hours=hours_text(length)),
            field="hours",
        )  # fmt: skip
    return hours


def hours_text(value: Decimal) -> str:
    """2.00 → '2', 1.50 → '1.5'."""
    return f"{value.normalize():f}"


def _deadline(details: Details, starts: datetime, now: datetime, *, old=None) -> datetime:
    """When sign-up closes; a new deadline that has already passed is refused."""
    if not 0 <= details.deadline_hours <= MAX_DEADLINE_HOURS:
        refuse(
            "deadline",
            _("Sign-up closes 0 to %(high)s hours before the start.", high=MAX_DEADLINE_HOURS),
            field="deadline_hours",
        )
    deadline = starts - timedelta(hours=details.deadline_hours)
    if deadline < now and deadline != old:
        refuse(
            "deadline",
            _("Sign-up would already be closed: let it close fewer hours before the start."),
            field="deadline_hours",
        )
    return deadline


def _check_owner(unit: Site, details: Details, kept: Activity | None = None) -> str:
    """The project and team must be the unit's, the site one it manages; returns
    the category (the project's, unless staff chose one).

    An edit may keep the project and team the activity already has, even once
    the project is completed or the team retired.
    """
    if details.project_id is None and details.team_id is None:
        refuse("owner", _("Choose the project or the team that runs it."), field="project_id")
    project = None
    if details.project_id is not None:
        if kept is not None and kept.project_id == details.project_id:
            project = kept.project
        else:
            project = next((p for p in unit_projects(unit) if p.id == details.project_id), None)
        if project is None:
            refuse("project", _("Choose a project from the list."), field="project_id")
    keeps_team = kept is not None and kept.team_id == details.team_id
    if (
        details.team_id is not None
        and not keeps_team
        and not any(t.id == details.team_id for t in unit_teams(unit))
    ):
        refuse("team", _("Choose a team from the list."), field="team_id")
    managed = db.session.scalars(unit_site_ids(unit)).all()
    if details.site_id not in managed:
        refuse("site", _("Choose a site from the list."), field="site_id")
    category = details.category or (project.category if project else "")
    if category not in PROJECT_CATEGORIES:
        refuse("category", _("Choose a category."), field="category")
    return category


def _fresh_code() -> str:
    """A new six-digit check-in code for each activity (never a series' shared one)."""
    return f"{secrets.randbelow(10**6):06d}"


def _new_activity(details: Details, category: str, places: int, starts, ends, hours, deadline,
                  now, series_id=None) -> Activity:  # fmt: skip
    activity = Activity(
        project_id=details.project_id, team_id=details.team_id, site_id=details.site_id,
        series_id=series_id, title=details.title, category=category,
        description=details.description, address=details.address,
        requirements=details.requirements, skills=details.skills, starts_at=starts,
        ends_at=ends, signup_deadline=deadline, places=places, taken=0, hours=hours,
        status="open", checkin_code=_fresh_code(), created_at=now,
    )  # fmt: skip
    db.session.add(activity)
    return activity


# Creating -------------------------------------------------------------------------------------


def create_activity(unit: Site, details: Details, *, places: int, day: date, starts_min: int,
                    ends_min: int, by: User) -> Activity:  # fmt: skip
    """One activity at a site of ``unit`` (the site whose staff page it is). Audited.

    The same title at the same site and start is one activity: a double tap
    (or a second worker a moment later) is told it already exists.
    """
    now = clock.now()
    details = _check_text(details)
    _check_places(places)
    starts, ends = _moment(day, starts_min), _moment(day, ends_min)
    begin_write()
    category = _check_owner(unit, details)
    _check_times(starts, ends, now, "day")
    hours = _credited(details, starts, ends)
    deadline = _deadline(details, starts, now)
    # The site's row keeps the duplicate check true until this one is in.
    lock_row(Site, details.site_id)
    same = db.session.scalar(
        select(Activity.id).where(
            Activity.site_id == details.site_id,
            Activity.title == details.title,
            Activity.starts_at == starts,
            Activity.status == "open",
        )
    )
    if same is not None:
        refuse("duplicate", _("This activity already exists at that time."))
    activity = _new_activity(details, category, places, starts, ends, hours, deadline, now)
    db.session.flush()
    audit.record(
        "activity.created", "activity", activity.id, site_id=activity.site_id, actor=by,
        summary=activity.title,
        after={"starts_at": clock.stamp(starts), "ends_at": clock.stamp(ends), "places": places,
               "hours": str(hours)},
    )  # fmt: skip
    db.session.commit()
    return activity


def first_on(weekday: int, from_day: date) -> date:
    """The first ``weekday`` on or after ``from_day``."""
    return from_day + timedelta(days=(weekday - from_day.weekday()) % 7)


def create_series(
    unit: Site, details: Details, *, places: int, weekday: int, from_day: date, weeks: int,
    starts_min: int, ends_min: int, by: User,
) -> ActivitySeries:  # fmt: skip
    """A weekly series (every Saturday 09:00–11:00 for 8 weeks): one Activity per
    week, each with its own code, then edited or cancelled on its own. Audited.

    The same series (site, title, weekday, time, first day) is made once.
    """
    now = clock.now()
    details = _check_text(details)
    _check_places(places)
    if not 0 <= weekday <= 6:
        refuse("weekday", _("Choose a weekday."), field="weekday")
    if not 1 <= weeks <= MAX_WEEKS:
        refuse("weeks", _("Enter a whole number from %(low)s to %(high)s.", low=1,
                          high=MAX_WEEKS), field="weeks")  # fmt: skip
    first = first_on(weekday, from_day)
    days = [first + timedelta(weeks=n) for n in range(weeks)]
    begin_write()
    category = _check_owner(unit, details)
    starts, ends = _moment(days[0], starts_min), _moment(days[0], ends_min)
    _check_times(starts, ends, now, "starts_on")
    if _moment(days[-1], starts_min) > now + AHEAD:
        refuse("ahead", _("The last week must fall within a year from today: choose fewer weeks."),
               field="weeks")  # fmt: skip
    hours = _credited(details, starts, ends)
    _deadline(details, starts, now)
    lock_row(Site, details.site_id)
    same = db.session.scalar(
        select(ActivitySeries.id).where(
            ActivitySeries.site_id == details.site_id,
            ActivitySeries.title == details.title,
            ActivitySeries.weekday == weekday,
            ActivitySeries.starts_min == starts_min,
            ActivitySeries.first_on == first,
        )
    )
    if same is not None:
        refuse("duplicate", _("This series already exists: find it in the list of series."))
    series = ActivitySeries(
        site_id=details.site_id, title=details.title, weekday=weekday, starts_min=starts_min,
        ends_min=ends_min, first_on=first, weeks=weeks, created_by_id=by.id, created_at=now,
    )  # fmt: skip
    db.session.add(series)
    db.session.flush()
    for day in days:
        starts, ends = _moment(day, starts_min), _moment(day, ends_min)
        deadline = starts - timedelta(hours=details.deadline_hours)
        _new_activity(details, category, places, starts, ends, hours, deadline, now, series.id)
    audit.record(
        "series.created", "activity_series", series.id, site_id=series.site_id, actor=by,
        summary=series.title,
        after={"weekday": str(WEEKDAYS[weekday]), "first_on": first.isoformat(), "weeks": weeks,
               "starts": f"{starts_min // 60:02d}:{starts_min % 60:02d}",
               "ends": f"{ends_min // 60:02d}:{ends_min % 60:02d}", "places": places},
    )  # fmt: skip
    db.session.commit()
    return series


# Editing ------------------------------------------------------------------------------------


def _open_to_change(activity: Activity | None, now: datetime, verb: str) -> Activity:
    if activity is None:
        refuse("missing", _("This activity no longer exists."))
    if activity.status == "cancelled":
        refuse("cancelled", _("A cancelled activity cannot be changed."))
    if activity.starts_at <= now:
        if verb == "cancel":
            refuse("started", _("This activity has started: it can no longer be cancelled."))
        refuse("started", _("This activity has started: it can no longer be changed."))
    return activity


def _active_signups(activity_id: int) -> int:
    return db.session.scalar(
        select(func.count(Signup.id)).where(
            Signup.activity_id == activity_id, Signup.status.in_(ACTIVE_SIGNUPS)
        )
    )


def edit_activity(activity_id: int, unit: Site, details: Details, *, day: date, starts_min: int,
                  ends_min: int, reason: str, by: User) -> list[str]:  # fmt: skip
    """Change one activity (one occurrence of a series alone); returns the kinds
    of change recorded (time, place, details), none when nothing changed.

    Volunteers keep their sign-ups; a new time or place for activities with
    volunteers needs a reason, which they read with the change.
    """
    now = clock.now()
    details = _check_text(details)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        raise VolunteerError(
            "reason", _("Keep the reason to 200 characters or fewer."), field="reason"
        )
    starts, ends = _moment(day, starts_min), _moment(day, ends_min)
    begin_write()
    activity = _open_to_change(locked(Activity, Activity.id == activity_id), now, "edit")
    category = _check_owner(unit, details, kept=activity)
    _check_times(starts, ends, now, "day")
    hours = _credited(details, starts, ends)
    deadline = _deadline(details, starts, now, old=activity.signup_deadline)
    wanted = {
        "starts_at": starts, "ends_at": ends, "site_id": details.site_id,
        "address": details.address, "title": details.title, "project_id": details.project_id,
        "team_id": details.team_id, "category": category, "description": details.description,
        "requirements": details.requirements, "skills": details.skills, "hours": hours,
        "signup_deadline": deadline,
    }  # fmt: skip
    changed = {k: v for k, v in wanted.items() if _differs(getattr(activity, k), v)}
    if not changed:
        db.session.rollback()
        return []
    moved = {"starts_at", "ends_at", "site_id", "address"} & set(changed)
    if moved and not reason and _active_signups(activity.id):
        refuse(
            "reason",
            _("Volunteers have signed up: tell them why the time or place changes."),
            field="reason",
        )
    before_site = activity.site.name
    records = []
    if {"starts_at", "ends_at"} & set(changed):
        records.append(("time", _times(activity.starts_at, activity.ends_at), _times(starts, ends)))
    if {"site_id", "address"} & set(changed):
        new_site = db.session.get(Site, details.site_id)
        records.append(("place", {"site": before_site, "address": activity.address},
                        {"site": new_site.name, "address": details.address}))  # fmt: skip
    # A deadline that moves with the start is part of the new time, not news of its own.
    shown = [
        k for k in DETAIL_LABELS
        if k in changed and not (k == "signup_deadline" and "starts_at" in changed)
    ]  # fmt: skip
    if shown:
        records.append(("details", {k: _plain(getattr(activity, k)) for k in shown},
                        {k: _plain(changed[k]) for k in shown}))  # fmt: skip
    before = {k: _plain(getattr(activity, k)) for k in changed}
    for name, value in changed.items():
        setattr(activity, name, value)
    for kind, old, new in records:
        db.session.add(ActivityChange(
            activity_id=activity.id, kind=kind, before=old, after=new, reason=reason,
            created_by_id=by.id, created_at=now,
        ))  # fmt: skip
    if moved:
        tell_signed_up(activity, "activity_changed")
    audit.record(
        "activity.edited", "activity", activity.id, site_id=activity.site_id, actor=by,
        summary=activity.title, before=before, after={k: _plain(v) for k, v in changed.items()},
    )  # fmt: skip
    db.session.commit()
    return [kind for kind, _old, _new in records]


def _differs(old, new) -> bool:
    if isinstance(new, Decimal):
        return Decimal(old) != new
    return old != new


def _times(starts: datetime, ends: datetime) -> dict:
    return {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}


def _plain(value):
    """A value as JSON holds it (the audit log and ActivityChange are JSON)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# Places ----------------------------------------------------------------------------------------


def set_places(activity_id: int, places: int, by: User) -> int:
    """Raise or lower the places; returns how many waiting volunteers moved up.

    Lowering below the places taken is refused. Raising hands the new places
    to the waiting list first come, first served. Under the activity's row
    lock, which every sign-up and cancellation takes too.
    """
    now = clock.now()
    _check_places(places)
    begin_write()
    activity = locked(Activity, Activity.id == activity_id)
    if activity is None:
        refuse("missing", _("This activity no longer exists."))
    if activity.status == "cancelled":
        refuse("cancelled", _("A cancelled activity cannot be changed."))
    if activity.ends_at <= now:
        refuse("ended", _("This activity is over."))
    if places < activity.taken:
        refuse(
            "below_taken",
            ngettext("%(num)s place is taken: keep at least that many.",
                     "%(num)s places are taken: keep at least that many.", activity.taken),
            field="places",
        )  # fmt: skip
    if places == activity.places:
        db.session.rollback()
        return 0
    before = {"places": activity.places, "taken": activity.taken}
    promoted = []
    if places > activity.taken:
        query = (
            select(Signup)
            .where(Signup.activity_id == activity.id, Signup.status == "waitlisted")
            .order_by(Signup.id)
            .limit(places - activity.taken)
            .execution_options(populate_existing=True)
        )
        if not is_sqlite():
            query = query.with_for_update()
        promoted = list(db.session.scalars(query))
    for signup in promoted:
        signup.status = "signed_up"
    activity.places = places
    activity.taken += len(promoted)
    audit.record(
        "activity.places", "activity", activity.id, site_id=activity.site_id, actor=by,
        summary=activity.title, before=before,
        after={"places": places, "taken": activity.taken, "promoted": len(promoted)},
    )  # fmt: skip
    db.session.commit()
    return len(promoted)


# Cancelling ---------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise VolunteerError(
            "reason", _("Tell the volunteers why it is cancelled."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise VolunteerError(
            "reason", _("Keep the reason to 200 characters or fewer."), field="reason"
        )
    return reason


def _cancel(activity: Activity, reason: str, by: User, now: datetime) -> None:
    activity.status = "cancelled"
    activity.cancelled_at = now
    activity.cancel_reason = reason
    db.session.add(ActivityChange(
        activity_id=activity.id, kind="cancelled", before={"status": "open"},
        after={"status": "cancelled"}, reason=reason, created_by_id=by.id, created_at=now,
    ))  # fmt: skip
    tell_signed_up(activity, "activity_cancelled", reason=reason)


def cancel_activity(activity_id: int, reason: str, by: User) -> Activity:
    """Cancel before the start, with the reason volunteers read. Every sign-up
    stays as it was (their history); the activity takes no new ones. Audited."""
    now = clock.now()
    reason = _reason(reason)
    begin_write()
    activity = locked(Activity, Activity.id == activity_id)
    if activity is not None and activity.status == "cancelled":
        refuse("already_cancelled", _("This activity is already cancelled."))
    _open_to_change(activity, now, "cancel")
    _cancel(activity, reason, by, now)
    audit.record(
        "activity.cancelled", "activity", activity.id, site_id=activity.site_id, actor=by,
        summary=activity.title, before={"status": "open"},
        after={"status": "cancelled", "reason": reason, "signups": _active_signups(activity.id)},
    )  # fmt: skip
    db.session.commit()
    return activity


def cancel_series(series_id: int, reason: str, by: User) -> int:
    """Cancel every occurrence still to come (one reason for all); returns how many."""
    now = clock.now()
    reason = _reason(reason)
    begin_write()
    # The series first, then its activities: two taps cancel once.
    series = locked(ActivitySeries, ActivitySeries.id == series_id)
    if series is None:
        refuse("missing", _("This series no longer exists."))
    query = (
        select(Activity)
        .where(Activity.series_id == series.id, Activity.status == "open",
               Activity.starts_at > now)
        .order_by(Activity.id)
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if not is_sqlite():
        query = query.with_for_update()
    coming = list(db.session.scalars(query))
    if not coming:
        refuse("nothing_left", _("No occurrence of this series is left to cancel."))
    for activity in coming:
        _cancel(activity, reason, by, now)
    audit.record(
        "series.cancelled", "activity_series", series.id, site_id=series.site_id, actor=by,
        summary=series.title, after={"reason": reason, "cancelled": [a.id for a in coming]},
    )  # fmt: skip
    db.session.commit()
    return len(coming)


# Telling volunteers -------------------------------------------------------------------------


def describe_change(change: ActivityChange) -> str:
    """What a change means, in a sentence a volunteer reads (the reason apart)."""
    after, before = change.after or {}, change.before or {}
    if change.kind == "cancelled":
        return _("The activity is cancelled.")
    if change.kind == "time":
        return _("Now %(now)s (was %(was)s).", now=_when(after), was=_when(before))
    if change.kind == "place":
        return _("Now at %(now)s (was %(was)s).", now=_place(after), was=_place(before))
    names = "、".join(str(DETAIL_LABELS[k]) for k in after if k in DETAIL_LABELS)
    return _("Changed: %(what)s.", what=names)


def _when(times: dict) -> str:
    try:
        starts = datetime.fromisoformat(times["starts_at"])
        ends = datetime.fromisoformat(times["ends_at"])
    except (KeyError, TypeError, ValueError):
        return "—"
    return f"{local_day(starts)} {local_time(starts)}–{local_time(ends)}"


def _place(place: dict) -> str:
    site, address = place.get("site") or "", place.get("address") or ""
    return f"{site}（{address}）" if address else site
