"""Deliberation (议事, 一征三议两公开): topics residents raise and support, the
meeting that decides them, the published decision and its implementation.

The rules are in ``service``; the public pages in ``routes``; staff set the
threshold, schedule meetings, record, publish and report the implementation
from ``app/staff/topics.py``.
"""

from flask import Blueprint

bp = Blueprint("topics", __name__)

from . import routes  # noqa: E402,F401
