"""Helpers about URLs that several areas share."""

from urllib.parse import urlsplit


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
    """A query or form value as a positive id-sized int, or None if it is not one."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def query_args(**values) -> dict:
    """The arguments that have a value, for links that keep a list's filters."""
    return {key: value for key, value in values.items() if value}
