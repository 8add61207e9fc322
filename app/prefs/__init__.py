"""Preferences every visitor can set: language and elder mode (长辈模式)."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("prefs", __name__, url_prefix="/prefs")

# The switches post from cached public pages, which carry no session and so no
# CSRF token; they are guarded by an origin check instead (routes.same_origin).
csrf.exempt(bp)

from . import routes  # noqa: E402,F401
