"""Residents' requests (诉求 / 随手拍): the public board, reporting, one request.

The rules are in ``service`` (with ``deadlines`` and ``figures``); the pages
residents use are in ``routes``; the staff's pages are in ``app/staff/requests.py``.
"""

from flask import Blueprint

bp = Blueprint("requests", __name__, url_prefix="/requests")

from . import personal, routes  # noqa: E402,F401
