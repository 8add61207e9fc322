"""Booking services (预约): slots, bookings, waitlist, check-in and ratings."""

from flask import Blueprint

bp = Blueprint("bookings", __name__)

from . import routes  # noqa: E402,F401
