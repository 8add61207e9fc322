"""Deadlines of a request, in working days (Monday to Friday, Beijing time).

A request reported on a working day is due the same time of day ``days``
working days later: reported Friday 16:00, accept within 1 → Monday 16:00.
One reported at a weekend starts its count on Monday at 00:00: reported
Saturday, accept within 1 → Tuesday 00:00, that is by the end of Monday.
Public holidays are not known to the portal; a category whose staff need more
time around them gets longer deadlines (staff set them per category).
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from ..clock import LOCAL_TZ
from ..extensions import db
from ..models import RequestDeadline

DEFAULT_ACCEPT_DAYS = 1
DEFAULT_RESOLVE_DAYS = 7
MAX_ACCEPT_DAYS = 30
MAX_RESOLVE_DAYS = 90


def _working(day) -> bool:
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days, as an aware UTC-comparable moment."""
    local = start.astimezone(LOCAL_TZ)
    if not _working(local.date()):
        day = local.date()
        while not _working(day):
            day += timedelta(days=1)
        local = datetime.combine(day, time(), tzinfo=LOCAL_TZ)
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if _working(day):
            left -= 1
    return datetime.combine(day, local.time(), tzinfo=LOCAL_TZ)


def days_for(category: str) -> tuple[int, int]:
    """(accept days, resolve days) for ``category``: staff's setting, or 1 and 7."""
    row = db.session.get(RequestDeadline, category)
    if row is None:
        return DEFAULT_ACCEPT_DAYS, DEFAULT_RESOLVE_DAYS
    return row.accept_days, row.resolve_days


def all_days() -> dict[str, tuple[int, int]]:
    """Every category's deadlines, for the settings page."""
    from ..models import ResidentRequest

    rows = {
        r.category: (r.accept_days, r.resolve_days)
        for r in db.session.scalars(select(RequestDeadline))
    }
    return {
        c: rows.get(c, (DEFAULT_ACCEPT_DAYS, DEFAULT_RESOLVE_DAYS))
        for c in ResidentRequest.CATEGORIES
    }


def due(start: datetime, category: str) -> tuple[datetime, datetime]:
    """(accept by, resolve by) for a request of ``category`` reported at ``start``."""
    accept_days, resolve_days = days_for(category)
    return add_working_days(start, accept_days), add_working_days(start, resolve_days)


def save_days(days: dict[str, tuple[int, int]], by) -> int:
    """Set each category's (accept days, resolve days); returns how many changed.

    Applies to requests reported from now on: a request keeps the deadlines
    it was given. Audited with the values before and after.
    """
    from sqlalchemy.exc import IntegrityError

    from .. import audit
    from ..database import begin_write
    from ..models import ResidentRequest

    begin_write()
    before = all_days()
    changed = {}
    for category, (accept, resolve) in days.items():
        if category not in ResidentRequest.CATEGORIES:
            continue
        if not (1 <= accept <= MAX_ACCEPT_DAYS and 1 <= resolve <= MAX_RESOLVE_DAYS):
            db.session.rollback()  # the form checks the range; nothing half-saved
            raise ValueError(category)
        if before[category] == (accept, resolve):
            continue
        row = db.session.get(RequestDeadline, category, populate_existing=True)
        if row is None:
            try:
                with db.session.begin_nested():
                    db.session.add(RequestDeadline(category=category, accept_days=accept,
                                                   resolve_days=resolve))  # fmt: skip
            except IntegrityError:  # another admin saved it first: this save wins
                row = db.session.get(RequestDeadline, category, populate_existing=True)
        if row is not None:
            row.accept_days, row.resolve_days = accept, resolve
        changed[category] = (accept, resolve)
    if changed:
        audit.record(
            "request.deadlines_set", "request_deadline", None, actor=by,
            before={c: list(before[c]) for c in changed},
            after={c: list(v) for c, v in changed.items()},
        )  # fmt: skip
    db.session.commit()
    return len(changed)
