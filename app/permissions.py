"""Who may do what: the one rule for every staff and admin check.

``can_manage_site(user, site)`` is the rule; ``managed_sites()`` lists what it
allows; the decorators apply it to views. A scope on a center covers the
center and all its stations; a scope on a station covers that station alone.
Admins manage everything.

Grids follow the same shape: ``can_manage_grid(user, grid)``. A grid scope
(网格员) covers its grid and the grids below it; a scope on a community's
center (community staff) covers every grid of that community, and the
community itself (``can_manage_community``).
"""

from functools import wraps

from flask import abort, g, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from .extensions import db
from .htmx import is_htmx
from .models import Grid, GridScope, Site, StaffScope, User


def scoped_site_ids(user: User) -> set[int]:
    """The ids of the sites the user's scopes name directly."""
    return {s.site_id for s in user.scopes}


def covers(managed: Site, site: Site) -> bool:
    """Is ``site`` part of ``managed``'s unit: the site itself, or one of its stations?"""
    return site.id == managed.id or site.center_id == managed.id


def unit_site_ids(managed: Site):
    """A select of the ids in ``managed``'s unit (itself and, for a center, its stations)."""
    return select(Site.id).where(or_(Site.id == managed.id, Site.center_id == managed.id))


def can_manage_site(user: User | None, site: Site) -> bool:
    """May ``user`` manage ``site``? Center scope covers its stations."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    direct = scoped_site_ids(user)
    return site.id in direct or (site.center_id is not None and site.center_id in direct)


def managed_sites_query(user: User):
    """A select of every site the user manages (for listings and filters)."""
    if user.is_admin:
        return select(Site)
    direct = select(StaffScope.site_id).where(StaffScope.user_id == user.id)
    return select(Site).where(or_(Site.id.in_(direct), Site.center_id.in_(direct)))


def _usable(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def can_manage_community(user: User | None, community_id: int) -> bool:
    """Community staff: a scope on the community's center (or admin)."""
    if not _usable(user):
        return False
    if user.is_admin:
        return True
    return any(s.site.kind == "center" and s.site.community_id == community_id for s in user.scopes)


def grid_line(grid: Grid) -> list[int]:
    """The ids of ``grid`` and the grids above it (at most three levels)."""
    ids = []
    while grid is not None:
        ids.append(grid.id)
        grid = grid.parent
    return ids


def can_manage_grid(user: User | None, grid: Grid) -> bool:
    """May ``user`` handle ``grid``? Its own grid workers, those of a grid
    above it, the community's staff, and admins may."""
    if not _usable(user):
        return False
    if can_manage_community(user, grid.community_id):
        return True
    if not user.is_grid_worker:
        return False
    mine = set(db.session.scalars(select(GridScope.grid_id).where(GridScope.user_id == user.id)))
    return bool(mine.intersection(grid_line(grid)))


def managed_grid_ids(user: User) -> set[int] | None:
    """Every grid the user handles, by id; None for an admin (every grid).

    The grids of the communities whose center the user manages, the user's
    own grids and all grids below them (three levels at most: two steps down).
    """
    if user.is_admin:
        return None
    communities = {s.site.community_id for s in user.scopes if s.site.kind == "center"}
    ids = set()
    if communities:
        ids.update(db.session.scalars(select(Grid.id).where(Grid.community_id.in_(communities))))
    if not user.is_grid_worker:
        return ids
    level = set(db.session.scalars(select(GridScope.grid_id).where(GridScope.user_id == user.id)))
    while level:  # at most three rounds: a tree has three levels
        ids.update(level)
        level = set(db.session.scalars(select(Grid.id).where(Grid.parent_id.in_(level)))) - ids
    return ids


def managed_community_ids(user: User) -> set[int] | None:
    """The communities whose staff the user is (their center's scope); None for an admin."""
    if user.is_admin:
        return None
    return {s.site.community_id for s in user.scopes if s.site.kind == "center"}


def login_redirect():
    """Send an anonymous visitor to log in and come back.

    htmx must not swap a login form into a fragment, so it gets HX-Redirect
    and the browser loads the login page whole.
    """
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def staff_required(view):
    """Staff (any scope) or admin; others get 403, anonymous visitors log in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        if not (current_user.is_admin or current_user.is_staff):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Admins only; others get 403, anonymous visitors log in."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def community_scope_required(view):
    """The view's ``community_id`` must be a community whose staff the user is.

    The community is loaded once and left in ``g.community`` for the view.
    """
    from .models import Community

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        community = db.session.get(Community, kwargs["community_id"])
        if community is None:
            abort(404 if (current_user.is_admin or current_user.is_staff) else 403)
        if not can_manage_community(current_user, community.id):
            abort(403)
        g.community = community
        return view(*args, **kwargs)

    return wrapped


def grid_scope_required(view):
    """The view's ``grid_id`` must be a grid the user handles; it is left in ``g.grid``."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        grid = db.session.get(Grid, kwargs["grid_id"])
        if grid is None:
            abort(404 if (current_user.is_admin or current_user.is_staff) else 403)
        if not can_manage_grid(current_user, grid):
            abort(403)
        g.grid = grid
        return view(*args, **kwargs)

    return wrapped


def site_scope_required(view):
    """The view's ``site_id`` must be a site the user manages (else 403/404).

    The site is loaded once and left in ``g.site`` for the view.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect()
        site = db.session.get(Site, kwargs["site_id"])
        if site is None:
            if current_user.is_admin or current_user.is_staff:
                abort(404)
            abort(403)
        if not can_manage_site(current_user, site):
            abort(403)
        g.site = site
        return view(*args, **kwargs)

    return wrapped
