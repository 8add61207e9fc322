"""Preferences every visitor can set: language and elder mode (长辈模式)."""

from flask import Blueprint

bp = Blueprint("prefs", __name__, url_prefix="/prefs")

from . import routes  # noqa: E402,F401
