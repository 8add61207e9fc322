"""The staff console: the sites a worker manages (scoped by permissions)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import (  # noqa: E402,F401
    activities,
    bookings,
    grids,
    listing,
    mall,
    points,
    projects,
    redemptions,
    requests,
    routes,
    teams,
    topics,
    volunteering,
    wishes,
)
