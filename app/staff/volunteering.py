"""The volunteering console's front page: one site's teams, projects, activities,
love mall, points and pick-up desk, with what needs a worker's eye today."""

from flask import g

from ..htmx import render
from ..permissions import site_scope_required
from ..volunteers import queries
from . import bp


@bp.get("/sites/<int:site_id>/volunteering")
@site_scope_required
def volunteering(site_id: int):
    """Where a worker starts volunteering work for a site (a center: its whole unit)."""
    return render("staff/volunteering.html", site=g.site, counts=queries.unit_volunteering(g.site))
