"""The admin console: users and staff scopes, and the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import data, places, routes  # noqa: E402,F401
