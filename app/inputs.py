"""Values that arrive as plain text outside WTForms: dates, search text, NUL bytes.

Everything here stops a bad value before it reaches the database, so it gets a
clear, localized 4xx, never a 500, on SQLite and PostgreSQL alike.
"""

import re
import unicodedata
from datetime import date

from flask import Flask, request
from flask_babel import gettext as _

EARLIEST_DAY = date(2000, 1, 1)
YEARS_AHEAD = 5
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Query arguments that hold free-text search: their views clean them with
# ``search_text``, so a pasted NUL or tab still searches instead of refusing.
SEARCH_ARGS = frozenset({"q"})


class DayRefused(ValueError):
    """A date parameter that is not a date, or one outside the window."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def latest_day(today: date) -> date:
    """The last day a date parameter may name: today + YEARS_AHEAD years."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February, and the year five on is not a leap year
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def parse_day(text: str | None, today: date | None = None) -> date | None:
    """A date parameter ('2026-11-23') within EARLIEST_DAY … today + YEARS_AHEAD years.

    None when nothing was given. Raises ``DayRefused`` with a localized message
    for text that is not a date in that form, and for a date outside the
    window: a day near the ends of the calendar (0001-01-01, 9999-12-31)
    overflows as soon as a page adds or takes a day, or turns it into a time.

    How pages answer, the same everywhere:

    - A page that shows a day (the staff day list, the audit log's day filter)
      shows its default (today; no day filter) with the message above it,
      status 200: a mistyped or stale link still lands somewhere useful.
    - A form or download that acts on dates refuses with the message: the
      admin exports answer 422 on the data page; a project's publicity step
      goes back to the project with the message, as its other refusals do.
    - The resident's service page offers only the days of its booking window
      and shows the first free one for any day it does not offer.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if not _ISO_DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise DayRefused(_("Enter a date such as 2026-11-23.")) from None
    if today is None:
        from . import clock

        today = clock.today()
    last = latest_day(today)
    if not EARLIEST_DAY <= day <= last:
        raise DayRefused(
            _(
                "Choose a date from %(first)s to %(last)s.",
                first=EARLIEST_DAY.isoformat(),
                last=last.isoformat(),
            )
        )
    return day


def search_text(text: str | None, limit: int) -> str:
    """Free-text search input: control characters (NUL among them) dropped,
    runs of white space made one space, at most ``limit`` characters.

    PostgreSQL text cannot hold a NUL byte, and no one searches for a tab.
    """
    kept = "".join(
        c if unicodedata.category(c) != "Cc" else " " if c.isspace() else ""
        for c in (text or "")[: limit * 4]
    )
    return " ".join(kept.split())[:limit]


def _holds_nul(values, skip=frozenset()) -> bool:
    return any(
        "\x00" in key or (key not in skip and "\x00" in value)
        for key, value in values.items(multi=True)
    )


def refuse_nul_bytes():
    """Answer 400 to a NUL byte anywhere in the path, the query or the form.

    PostgreSQL refuses NUL in text (SQLite stores it), so one guard here keeps
    every route's queries safe. Search boxes (SEARCH_ARGS) are cleaned by their
    views instead.
    """
    if "\x00" in request.path or _holds_nul(request.args, SEARCH_ARGS) or _holds_nul(request.form):
        from .errors.handlers import error_page

        return error_page(
            400,
            detail=_("The request held a character that cannot be saved (a NUL byte). "
                     "Remove it and try again."),
        )  # fmt: skip
    return None


# Forms that carry several photos (up to 3 of 5 MB each): their bodies may be
# larger than MAX_CONTENT_LENGTH, the limit of every other request.
PHOTO_FORMS = {"requests.new": 3, "staff.request_move": 3, "staff.request_new": 3}


def allow_photos():
    """Raise the body limit for a form with several photos (before anything reads it)."""
    photos = PHOTO_FORMS.get(request.endpoint or "")
    if photos and request.method == "POST":
        from .uploads import MAX_BYTES

        request.max_content_length = photos * MAX_BYTES + 256 * 2**10
    return None


def init_app(app: Flask) -> None:
    app.before_request(allow_photos)
    app.before_request(refuse_nul_bytes)
