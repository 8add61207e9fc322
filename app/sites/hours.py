"""Opening hours: is a site open at a moment, until when, and when next.

Everything here is a pure function of the weekly intervals, the special days
and a moment, so the rules are easy to test with a frozen clock. The weekly
hours are wall-clock minutes in Asia/Shanghai; the moment is any aware
datetime, converted to local time first.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..clock import LOCAL_TZ

# How far ahead we look for the next opening. Two weeks covers a long holiday.
HORIZON_DAYS = 15
CLOSING_DAY_KINDS = ("closed", "holiday")


@dataclass(frozen=True)
class Special:
    """A special-day range as the rules need it (decoupled from the ORM)."""

    kind: str
    starts_on: date
    ends_on: date
    opens_min: int | None = None
    closes_min: int | None = None
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Interval:
    """One local opening interval on a given day, in minutes since midnight."""

    opens_min: int
    closes_min: int
    extended: bool = False

    @property
    def opens(self) -> str:
        return format_minutes(self.opens_min)

    @property
    def closes(self) -> str:
        return format_minutes(self.closes_min)


@dataclass(frozen=True)
class OpenState:
    """The answer to "is it open?" at one moment.

    ``closes_at`` is None while open when the site stays open past the horizon
    (a 24-hour post). ``opens_next_at`` is None while closed when no opening is
    known within the horizon, or while the site is temporarily closed.
    ``extended`` marks a run that includes extended hours (延时服务).
    """

    is_open: bool
    closes_at: datetime | None = None
    opens_next_at: datetime | None = None
    extended: bool = False
    closed_today_by: str | None = None  # 'status', 'closed' or 'holiday'


def format_minutes(minutes: int) -> str:
    """600 → '10:00'; 1440 → '24:00'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def closure_on(day: date, specials: Iterable[Special]) -> Special | None:
    """The closure or holiday covering ``day``, if any."""
    for special in specials:
        if special.kind in CLOSING_DAY_KINDS and special.covers(day):
            return special
    return None


def intervals_on(
    day: date, weekly: Sequence[tuple[int, int, int]], specials: Sequence[Special]
) -> list[Interval]:
    """The local opening intervals of one day, sorted, after special days.

    A closure or holiday empties the day. Extended hours add their interval to
    the weekly ones for each day of their range.
    """
    if closure_on(day, specials):
        return []
    found = [Interval(o, c) for wd, o, c in weekly if wd == day.weekday()]
    found += [
        Interval(s.opens_min, s.closes_min, extended=True)
        for s in specials
        if s.kind == "extended" and s.covers(day) and s.opens_min is not None
    ]
    return sorted(found, key=lambda i: (i.opens_min, i.closes_min))


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ) + timedelta(minutes=minutes)


def _runs(
    start_day: date, weekly: Sequence[tuple[int, int, int]], specials: Sequence[Special]
) -> list[tuple[datetime, datetime, bool]]:
    """Continuous open runs from ``start_day`` over the horizon.

    Intervals that touch or overlap merge, also across midnight (a day that
    ends at 24:00 followed by one that opens at 00:00 is one run).
    """
    runs: list[list] = []
    for offset in range(HORIZON_DAYS):
        day = start_day + timedelta(days=offset)
        for interval in intervals_on(day, weekly, specials):
            opens, closes = _at(day, interval.opens_min), _at(day, interval.closes_min)
            if runs and opens <= runs[-1][1]:
                runs[-1][1] = max(runs[-1][1], closes)
                runs[-1][2] = runs[-1][2] or interval.extended
            else:
                runs.append([opens, closes, interval.extended])
    return [tuple(r) for r in runs]


def open_state(
    weekly: Sequence[tuple[int, int, int]],
    special_days: Sequence[Special],
    temporarily_closed: bool,
    moment: datetime,
) -> OpenState:
    """Whether a site is open at ``moment``; if so until when, if not when next.

    ``weekly`` holds (weekday, opens_min, closes_min) tuples, Monday = 0.
    A site marked temporarily closed is closed with no known reopening.
    """
    if temporarily_closed:
        return OpenState(is_open=False, closed_today_by="status")
    local = moment.astimezone(LOCAL_TZ)
    today = local.date()
    # Start a day early so a run that began yesterday and crosses midnight counts.
    runs = _runs(today - timedelta(days=1), weekly, special_days)
    horizon_end = _at(today - timedelta(days=1), HORIZON_DAYS * 1440)
    closure = closure_on(today, special_days)
    closed_by = closure.kind if closure else None
    for opens, closes, extended in runs:
        if opens <= local < closes:
            return OpenState(
                is_open=True,
                closes_at=None if closes >= horizon_end else closes,
                extended=extended,
            )
        if opens > local:
            return OpenState(
                is_open=False,
                opens_next_at=opens,
                extended=extended,
                closed_today_by=closed_by,
            )
    return OpenState(is_open=False, closed_today_by=closed_by)


def weekly_rows(weekly: Sequence[tuple[int, int, int]]) -> list[list[Interval]]:
    """The regular intervals of each weekday, Monday first."""
    rows: list[list[Interval]] = [[] for _ in range(7)]
    for weekday, opens_min, closes_min in sorted(weekly):
        rows[weekday].append(Interval(opens_min, closes_min))
    return rows


def upcoming_specials(special_days: Iterable[Special], today: date, days: int = 30):
    """Special days that end today or later and start within ``days``."""
    until = today + timedelta(days=days)
    return sorted(
        (s for s in special_days if s.ends_on >= today and s.starts_on <= until),
        key=lambda s: s.starts_on,
    )


_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TYPED = re.compile(r"([0-9]{1,2})(?:[:.]?([0-9]{2}))?")


def _minutes(hours: int, minutes: int) -> int | None:
    value = hours * 60 + minutes
    return value if minutes < 60 and 0 <= value <= 1440 else None


def parse_hhmm(text: str) -> int | None:
    """'08:30' → 510, '24:00' → 1440; None when it is not H:MM or HH:MM.

    The strict form, for files (the CSV import documents HH:MM); what people
    type in a form goes through ``parse_typed_time``.
    """
    match = _HHMM.fullmatch((text or "").strip())
    return _minutes(int(match.group(1)), int(match.group(2))) if match else None


def parse_typed_time(text: str) -> int | None:
    """A time of day as people type it on a phone, in minutes after midnight.

    '08:30', '8:30', '0830', '830', '8.30', '17', full-width digits and colon
    ('１７：３０'); '24:00' → 1440. None when it is not a time of day.
    """
    normal = unicodedata.normalize("NFKC", text or "").strip()
    if not _TYPED.fullmatch(normal):
        return None
    if normal.isdigit() and len(normal) in (3, 4):  # 830, 1730: the last two are minutes
        return _minutes(int(normal[:-2]), int(normal[-2:]))
    match = _TYPED.fullmatch(normal)
    return _minutes(int(match.group(1)), int(match.group(2) or 0))
