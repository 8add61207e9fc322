"""The staff console: the sites a worker manages (scoped by permissions)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import bookings, listing, mall, routes  # noqa: E402,F401
