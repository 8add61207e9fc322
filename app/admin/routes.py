from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts import service as accounts
from ..extensions import db
from ..htmx import render, wants_fragment
from ..inputs import DayRefused, parse_day, search_text
from ..models import AuditEntry, Site, StaffScope, User
from ..permissions import admin_required
from ..urls import positive_int, query_args
from . import bp, queries
from .forms import GrantScopeForm


def _page() -> int:
    return positive_int(request.args.get("page")) or 1


@bp.get("/")
@admin_required
def home():
    """The admin's start page: counts and the ways in."""
    counts = {
        "users": db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None))),
        "staff": db.session.scalar(select(func.count(func.distinct(StaffScope.user_id)))),
        "sites": db.session.scalar(select(func.count(Site.id))),
        "audit": db.session.scalar(select(func.count(AuditEntry.id))),
    }
    return render("admin/home.html", counts=counts)


@bp.get("/users")
@admin_required
def users():
    """Find users by name or masked mobile number."""
    q = search_text(request.args.get("q"), queries.MAX_USER_QUERY)
    page = _page()
    found, total, page, pages = queries.search_users(q, page)
    return render(
        "admin/users.html",
        fragments=("user_results",),
        users=found,
        total=total,
        q=q,
        page=page,
        pages=pages,
        pager_args=query_args(q=q),
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.scalar(
        select(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .options(selectinload(User.scopes).joinedload(StaffScope.site))
    )
    if user is None:
        abort(404)
    return user


def _user_page(target: User, form: GrantScopeForm, *, status: int = 200, revealed=False):
    """The user's page; ``site_q`` finds the sites to grant a scope on."""
    site_q = search_text(request.args.get("site_q"), 40)
    return render(
        "admin/user.html", fragments=("site_choices",), user=target, form=form,
        site_q=site_q, site_choices=queries.sites_to_pick(site_q), revealed=revealed,
        status=status,
    )  # fmt: skip


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    """One user: roles, staff scopes, and the switches an admin has.

    Sites to grant a scope on are found by name, code or place (``site_q``),
    never typed as a raw number.
    """
    return _user_page(_user_or_404(user_id), GrantScopeForm())


@bp.post("/users/<int:user_id>/scopes")
@admin_required
def grant_scope(user_id: int):
    """Make the user staff of a site (a center covers its stations)."""
    target = _user_or_404(user_id)
    form = GrantScopeForm()
    if form.validate_on_submit():
        try:
            accounts.grant_scope(target, form.site_id.data, by=current_user)
        except accounts.AccountError as error:
            form.site_id.errors.append(error.message)
        else:
            flash(_("Scope granted."))
            return redirect(url_for("admin.user", user_id=user_id), 303)
    return _user_page(_user_or_404(user_id), form, status=422)


@bp.post("/users/<int:user_id>/scopes/<int:scope_id>/revoke")
@admin_required
def revoke_scope(user_id: int, scope_id: int):
    """Take a site away from a staff member."""
    target = _user_or_404(user_id)
    try:
        accounts.revoke_scope(scope_id, target, by=current_user)
    except LookupError:
        abort(404)
    flash(_("Scope revoked."))
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    """Disable or enable an account. Admins cannot disable themselves."""
    target = _user_or_404(user_id)
    value = request.form.get("active")
    if value not in ("0", "1") or target.id == current_user.id:
        abort(400)
    accounts.set_active(target, value == "1", by=current_user)
    flash(_("Account enabled.") if value == "1" else _("Account disabled."))
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/reveal")
@admin_required
def reveal_mobile(user_id: int):
    """Show a user's whole number to an admin; every reveal is audited."""
    target = _user_or_404(user_id)
    audit.record("personal.revealed", "user", target.id, summary="mobile")
    db.session.commit()
    if wants_fragment():
        return render("admin/user.html", block="mobile", user=target, revealed=True)
    return _user_page(target, GrantScopeForm(), revealed=True)


@bp.get("/audit")
@admin_required
def audit_log():
    """Every staff and admin change, and every reveal, newest first."""
    actor_id = positive_int(request.args.get("user"))
    site_id = positive_int(request.args.get("site"))
    day_error = None
    try:
        day = parse_day(request.args.get("date"))
    except DayRefused as refusal:
        # The log without a day filter, and the message saying why (in the
        # results block, which htmx swaps when the filter form changes).
        day, day_error = None, refusal.message
    page = _page()
    entries, total, page, pages = queries.audit_entries(actor_id, site_id, day, page)
    return render(
        "admin/audit.html",
        fragments=("audit_results",),
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        day_error=day_error,
        filters={
            key: value
            for key, value in (
                ("user", actor_id),
                ("site", site_id),
                ("date", day and day.isoformat()),
            )
            if value
        },
    )
