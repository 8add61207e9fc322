"""Who may do what: the one rule for every staff and admin check.

``can_manage_site(user, site)`` is the rule; ``managed_sites()`` lists what it
allows; the decorators apply it to views. A scope on a center covers the
center and all its stations; a scope on a station covers that station alone.
Admins manage everything.
"""

from functools import wraps

from flask import abort, g, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from .extensions import db
from .htmx import is_htmx
from .models import Site, StaffScope, User


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
