"""Template filters and globals shared by every area."""

from datetime import datetime

from flask import Flask
from flask_babel import gettext as _

from . import clock, vocab
from .accounts.mobile import mask_mobile
from .i18n import month_day
from .sites.directory import kind_label
from .sites.hours import format_minutes


def relative_time(when: datetime, moment: datetime) -> str:
    """'today at 17:30', 'tomorrow at 08:30', 'Monday at 09:00' in local time."""
    local_when = clock.local(when)
    days = (local_when.date() - clock.local(moment).date()).days
    time = local_when.strftime("%H:%M")
    if days == 0:
        return _("today at %(time)s", time=time)
    if days == 1:
        return _("tomorrow at %(time)s", time=time)
    if 1 < days < 7:
        return _("%(weekday)s at %(time)s", weekday=vocab.WEEKDAYS[local_when.weekday()], time=time)
    return _("%(date)s at %(time)s", date=month_day(local_when.date()), time=time)


def hours(value) -> str:
    """2.0 → '2', 2.5 → '2.5', 2.25 → '2.25': hours as people say them (quarter
    hours keep both decimals)."""
    text = f"{float(value or 0):.2f}".rstrip("0")
    return text.rstrip(".")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["relative_time"] = relative_time
    app.jinja_env.filters["masked"] = mask_mobile
    app.jinja_env.filters["hours"] = hours
    app.jinja_env.filters["kind_label"] = kind_label
    app.jinja_env.filters["hhmm"] = format_minutes
    app.jinja_env.globals.update(
        facilities=vocab.FACILITIES,
        service_categories=vocab.SERVICE_CATEGORIES,
        station_types=vocab.STATION_TYPES,
        special_day_kinds=vocab.SPECIAL_DAY_KINDS,
        community_classes=vocab.COMMUNITY_CLASSES,
        weekdays=vocab.WEEKDAYS,
        role_labels=vocab.ROLES,
        booking_statuses=vocab.BOOKING_STATUSES,
        project_categories=vocab.PROJECT_CATEGORIES,
        project_statuses=vocab.PROJECT_STATUSES,
        signup_statuses=vocab.SIGNUP_STATUSES,
        points_kinds=vocab.POINTS_KINDS,
        redemption_statuses=vocab.REDEMPTION_STATUSES,
        request_categories=vocab.REQUEST_CATEGORIES,
        request_states=vocab.REQUEST_STATES,
        request_ratings=vocab.REQUEST_RATINGS,
        request_steps=vocab.REQUEST_STEPS,
        topic_states=vocab.TOPIC_STATES,
        topic_steps=vocab.TOPIC_STEPS,
        attendee_roles=vocab.ATTENDEE_ROLES,
        audit_actions=vocab.AUDIT_ACTIONS,
    )
