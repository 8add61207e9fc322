"""Helpers about URLs that several areas share."""

import re
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

# The largest id any table holds: PostgreSQL's integer ends at 2**31 - 1
# (SQLite's at 2**63 - 1), and a bigger number sent to either is an error, not
# a row that is not there.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")


def numbers_up_to(limit: int) -> str:
    """A regular expression for the numbers 1 … ``limit`` in ASCII digits, no leading zero."""
    text = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(text) - 2}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            parts.append(f"{text[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(text) - i - 1}}}")
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: an id from 1 to MAX_ID, in ASCII digits.

    Registered as ``int`` in the factory, so every object URL answers 404 for
    ``/sites/99999999999999999999`` before any query runs. Werkzeug's own
    converter passes any size of number on, and its ``\\d`` also matches
    Arabic-Indic and full-width digits (``/sites/١٢`` would be site 12). The
    bound is in the pattern, not only in ``to_python``: a number the pattern
    takes but ``to_python`` refuses makes Werkzeug answer 405, not 404, when
    the same path has a rule for another method.
    """

    regex = numbers_up_to(MAX_ID)

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ones (``//evil.example``), backslash
    tricks and anything with a scheme such as ``javascript:``.
    """
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def positive_int(value: str | None) -> int | None:
    """A query or form value as an id (1 to MAX_ID), or None if it is not one.

    Only ASCII digits: Python's ``int`` also reads '１２', '١٢' and '1_2'.
    """
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def query_args(**values) -> dict:
    """The arguments that have a value, for links that keep a list's filters."""
    return {key: value for key, value in values.items() if value}


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` (e.g. "/bookings/12"), also outside a request (jobs).

    ``url_for`` needs a request or SERVER_NAME; a message's link is a path on
    this site, whichever host shows it.
    """
    from flask import current_app

    return current_app.url_map.bind("localhost").build(endpoint, values)
