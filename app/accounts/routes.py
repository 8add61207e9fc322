import json

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import client_address, limiter
from ..htmx import render
from ..urls import safe_next
from . import bp, service
from .forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    RegisterForm,
    VolunteerProfileForm,
)
from .mobile import normalize_mobile


def _key(kind: str, value: str) -> str:
    # The app's own prefix is part of the key: Flask-Limiter keeps the prefix
    # of the first app it served, and one Redis may serve several portals.
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:{kind}:{value}"


def _mobile_key() -> str:
    """Throttle key: the number being tried, normalized when possible."""
    raw = request.form.get("mobile", "")
    return _key("mobile", normalize_mobile(raw) or raw.strip()[:20])


def _address_key() -> str:
    return _key("address", client_address())


def _failed(response) -> bool:
    """A login that did not succeed: anything but the redirect into the account."""
    return response.status_code != 303


def _attempt_limits(*, failures_only: bool):
    """Limit POSTs per number and per client address (config'd, e.g. 5/min, 20/h).

    ``failures_only`` counts only refused attempts: a center's shared Wi-Fi puts
    many residents behind one address, and their correct logins must never lock
    the next one out. Registration counts every attempt.
    """
    deduct_when = _failed if failures_only else None

    def decorate(view):
        per_mobile = limiter.limit(
            lambda: current_app.config["LOGIN_LIMITS_PER_MOBILE"],
            key_func=_mobile_key,
            methods=["POST"],
            scope=lambda endpoint: endpoint + ":mobile",
            deduct_when=deduct_when,
        )
        per_address = limiter.limit(
            lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"],
            key_func=_address_key,
            methods=["POST"],
            scope=lambda endpoint: endpoint + ":address",
            deduct_when=deduct_when,
        )
        return per_address(per_mobile(view))

    return decorate


def _start_session(user, remember: bool) -> None:
    user = getattr(user, "_get_current_object", lambda: user)()
    session.clear()  # a fresh session on login: no fixation
    login_user(service.start_login(user, remember=remember), remember=remember)
    session.permanent = True


def _end_session() -> None:
    """Log this device out: revoke its login, empty the session, delete the remember cookie.

    ``logout_user`` comes after ``session.clear``: it leaves the instruction that
    deletes the remember cookie in the session, which clearing would drop.
    """
    if current_user.is_authenticated:
        service.end_login(current_user._get_current_object())
    session.clear()
    logout_user()


@bp.route("/register", methods=["GET", "POST"])
@_attempt_limits(failures_only=False)
def register():
    """Create a resident account with a mobile number, a name and a password."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register(form.mobile.data, form.display_name.data, form.password.data)
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            _start_session(user, remember=False)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name))
            return redirect(safe_next(request.args.get("next"), url_for("accounts.me")), 303)
    status = 422 if form.errors else 200
    return render("accounts/register.html", form=form, status=status)


@bp.route("/login", methods=["GET", "POST"])
@_attempt_limits(failures_only=True)
def login():
    """Log in with mobile number and password; only local ``next`` URLs are followed."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("accounts.me")))
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = service.authenticate(form.mobile.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("accounts.me")), 303)
        failed = True
    status = 422 if (failed or form.errors) else 200
    return render("accounts/login.html", form=form, failed=failed, status=status)


@bp.post("/logout")
def logout():
    """Log out (a POST, so no link or prefetch can do it by accident)."""
    _end_session()
    flash(_("You have logged out."))
    return redirect(url_for("public.home"), 303)


@bp.get("/me")
@login_required
def me():
    """The user's own page: their account, roles and data."""
    return render("accounts/me.html", roles=service.roles_of(current_user))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; every other device is logged out."""
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            # The session token changed: log in again here so this device stays in.
            _start_session(current_user, remember=False)
            flash(_("Your password is changed. Other devices have been logged out."))
            return redirect(url_for("accounts.me"), 303)
    return render("accounts/password.html", form=form, status=422 if form.errors else 200)


@bp.route("/me/volunteer-profile", methods=["GET", "POST"])
@login_required
def volunteer_profile():
    """Become a volunteer, or edit the volunteer profile."""
    form = VolunteerProfileForm(obj=current_user.volunteer)
    if form.validate_on_submit():
        service.save_volunteer_profile(
            current_user,
            form.real_name.data.strip(),
            # A field left out of the post is None, not "".
            (form.skills.data or "").strip(),
            (form.bio.data or "").strip(),
        )
        flash(_("Your volunteer profile is saved."))
        return redirect(url_for("accounts.me"), 303)
    return render("accounts/volunteer_profile.html", form=form, status=422 if form.errors else 200)


@bp.get("/me/export")
@login_required
def export():
    """Download everything the portal holds about the user, as a JSON file."""
    body = json.dumps(service.export_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="doorstep-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/me/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """Delete the account after the password is given again."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            service.delete_account(current_user, form.password.data)
        except service.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            _end_session()
            flash(_("Your account is deleted. Thank you for using Doorstep."))
            return redirect(url_for("public.home"), 303)
    return render("accounts/delete.html", form=form, status=422 if form.errors else 200)
