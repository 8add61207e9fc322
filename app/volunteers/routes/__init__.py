"""Volunteering pages for residents and volunteers, one module per feature.

``teams``, ``projects``, ``activities``, ``attendance`` (check-in and the
organiser's roster) and
``record`` (the volunteer's own hours, certificate and the love mall). The
rules they call live beside them in the domain package (``volunteers.teams``,
``volunteers.signups`` …); the staff's pages are in ``app/staff``.
"""

from flask import flash, redirect, request, url_for

from ...urls import positive_int
from ..common import VolunteerError


def page_number() -> int:
    return positive_int(request.args.get("page")) or 1


def refused_redirect(error: VolunteerError, endpoint: str, **values):
    flash(error.message, "error")
    return redirect(url_for(endpoint, **values), 303)


from . import activities, attendance, projects, record, teams  # noqa: E402,F401
