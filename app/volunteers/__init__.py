"""Volunteering: teams, projects with 公示, activities, hours, points, the love mall."""

from flask import Blueprint

bp = Blueprint("volunteers", __name__)

from . import routes  # noqa: E402,F401
