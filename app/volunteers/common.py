"""What every rule of volunteering shares: the refusal, the row lock, the rate.

Writers start with ``begin_write()``. Every read-then-write holds the row it
decides on (``locked``): on SQLite the write lock of ``begin_write()`` already
serialises writers, on PostgreSQL a row lock does, so a double tap or two app
hosts make one decision. Locks are taken in one order, so two writers never
wait for each other in a circle: an activity before its sign-ups, a sign-up or
a redemption before the volunteer's user row, and that row before a mall item.
"""

from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from ..database import locked  # noqa: F401 (the areas call common.locked)
from ..extensions import db
from ..models import User
from ..refusals import Refused

MAX_HOURS = Decimal(24)


class VolunteerError(Refused):
    """A rule refused the request; ``reason`` for code, ``message`` for people."""

    def __init__(self, reason: str, message: str, field: str | None = None):
        super().__init__(message, field=field, reason=reason)


def refuse(reason: str, message: str, field: str | None = None):
    """Roll the transaction back and refuse (nothing a refused request did stays)."""
    db.session.rollback()
    raise VolunteerError(reason, message, field)


def points_per_hour() -> Decimal:
    return Decimal(str(current_app.config.get("POINTS_PER_HOUR", 1)))


def require_volunteer(user: User) -> None:
    if user.volunteer is None:
        refuse("not_volunteer", _("Please fill in your volunteer profile first."))


def tell_signed_up(activity, kind: str, *, user_ids=None, sms: bool = True, **extra) -> None:
    """Tell volunteers of ``activity`` what happened (in the caller's transaction):
    ``user_ids``, or everyone holding a place or waiting for one."""
    from ..models import Signup
    from ..notifications import notify
    from ..notifications.reminders import activity_params
    from ..urls import path_for

    if user_ids is None:
        user_ids = db.session.scalars(
            select(Signup.user_id).where(
                Signup.activity_id == activity.id,
                Signup.status.in_(("signed_up", "waitlisted", "checked_in")),
            )
        ).all()
    params = {**activity_params(activity), **extra}
    url = path_for("volunteers.activity", activity_id=activity.id)
    for user_id in user_ids:
        notify(user_id, kind, params, url=url, sms=sms)
