from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request

from ..i18n import ELDER_COOKIE, LANGUAGE_COOKIE
from ..urls import safe_next
from . import bp


@bp.before_request
def same_origin():
    """Refuse a switch posted from another site.

    Browsers name the page a form was posted from in ``Origin`` (or, failing
    that, ``Referer``); a switch from elsewhere gets 400 and sets nothing.
    """
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(source)
    if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
        abort(400)


def _remember(name: str, value: str):
    """Redirect back to the page the switch was on, setting a lasting cookie."""
    response = redirect(safe_next(request.form.get("next")), code=303)
    response.set_cookie(
        name,
        value,
        max_age=current_app.config["PREFERENCE_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@bp.post("/language")
def set_language():
    """Switch the language and remember it, so every later page speaks it."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    return _remember(LANGUAGE_COOKIE, language)


@bp.post("/elder")
def set_elder_mode():
    """Turn elder mode on or off: larger text and tap targets, simpler navigation."""
    value = request.form.get("elder", "")
    if value not in ("0", "1"):
        abort(400)
    return _remember(ELDER_COOKIE, value)
