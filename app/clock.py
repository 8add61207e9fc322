"""The one clock of the portal, and conversions to the local time of the city.

Instants are stored timezone-aware in UTC and shown in Asia/Shanghai. Tests
freeze time by monkeypatching ``clock.now``.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def current() -> datetime:
    """``now()``, looked up when called: column defaults use this, so that a clock
    frozen by a test (which replaces ``now``) reaches them too."""
    return now()


def local(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) as a wall-clock time in Asia/Shanghai."""
    return (moment or now()).astimezone(LOCAL_TZ)


def today() -> date:
    """Today's date in Asia/Shanghai."""
    return local().date()


def stamp(moment: datetime) -> str:
    """'2026-11-29 08:00' in Asia/Shanghai, for messages that name a moment."""
    return local(moment).strftime("%Y-%m-%d %H:%M")
