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

from .. import personal
from ..extensions import client_address, limiter
from ..htmx import render
from ..refusals import Refused, show_on
from ..urls import safe_next
from . import bp, codes, service
from .forms import (
    ChangeMobileForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    MobileForm,
    NewMobileForm,
    RegisterCodeForm,
    RegisterForm,
    ResetPasswordForm,
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


def _code_limits(view):
    """Codes cost money and reach a phone: by default one a minute and five an hour
    per number, thirty an hour per address (``CODE_LIMITS_PER_*``).

    Only a code that was sent counts: a mistyped number costs nothing.
    """
    per_mobile = limiter.limit(
        lambda: current_app.config["CODE_LIMITS_PER_MOBILE"], key_func=_mobile_key,
        methods=["POST"], scope=lambda endpoint: endpoint + ":code-mobile", deduct_when=_sent,
    )  # fmt: skip
    per_address = limiter.limit(
        lambda: current_app.config["CODE_LIMITS_PER_ADDRESS"], key_func=_address_key,
        methods=["POST"], scope=lambda endpoint: endpoint + ":code-address", deduct_when=_sent,
    )  # fmt: skip
    return per_address(per_mobile(view))


def _sent(response) -> bool:
    """A code went out: the form was accepted and moved on to the next step."""
    return response.status_code == 303


REGISTER_MOBILE = "register_mobile"


@bp.route("/register", methods=["GET", "POST"])
@_attempt_limits(failures_only=False)
@_code_limits
def register():
    """Registering, step one: the mobile number, where a code goes to prove it."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    form = RegisterCodeForm()
    if form.validate_on_submit():
        codes.send_code(form.mobile.data, "register")
        session[REGISTER_MOBILE] = form.mobile.data
        return redirect(url_for("accounts.register_finish", next=request.args.get("next")), 303)
    status = 422 if form.errors else 200
    return render("accounts/register.html", form=form, status=status)


@bp.route("/register/finish", methods=["GET", "POST"])
def register_finish():
    """Step two: the code, a name, a password and consent to the privacy notice."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.me"))
    mobile = session.get(REGISTER_MOBILE)
    if not mobile:
        return redirect(url_for("accounts.register", next=request.args.get("next")), 303)
    form = RegisterForm(mobile=mobile)
    if form.validate_on_submit():
        try:
            user = service.register_with_code(
                mobile, form.code.data, form.display_name.data, form.password.data,
                PRIVACY_VERSION,
            )  # fmt: skip
        except Refused as error:
            show_on(form, error)
        else:
            session.pop(REGISTER_MOBILE, None)
            _start_session(user, remember=False)
            flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name))
            return redirect(safe_next(request.args.get("next"), url_for("accounts.me")), 303)
    status = 422 if form.errors else 200
    return render("accounts/register_finish.html", form=form, mobile=mobile, status=status)


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
    body = json.dumps(personal.export(current_user), ensure_ascii=False, indent=2)
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


# Proving a number: forgotten password (and taking over a desk account), new number ----

RESET_MOBILE = "reset_mobile"
NEW_MOBILE = "new_mobile"


@bp.route("/password/forgot", methods=["GET", "POST"])
@_code_limits
def forgot_password():
    """A forgotten password, or an account staff made at the desk: a code to the number.

    The answer is the same whether or not the number has an account, so the
    page cannot be used to find out who is registered.
    """
    form = MobileForm()
    if form.validate_on_submit():
        user = service.find_by_mobile(form.mobile.data)
        if user is not None and user.is_active:
            codes.send_code(form.mobile.data, "reset", user.id)
        session[RESET_MOBILE] = form.mobile.data
        flash(_("If this number has an account, a code is on its way. It is valid for 10 minutes."))
        return redirect(url_for("accounts.reset_password"), 303)
    return render("accounts/forgot.html", form=form, status=422 if form.errors else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """The code from the text message, and a new password."""
    mobile = session.get(RESET_MOBILE)
    if not mobile:
        return redirect(url_for("accounts.forgot_password"), 303)
    form = ResetPasswordForm(mobile=mobile)
    if form.validate_on_submit():
        owner = service.find_by_mobile(mobile)
        claiming = owner is not None and not owner.password_hash
        try:
            user = service.reset_password(mobile, form.code.data, form.password.data)
        except Refused as error:
            show_on(form, error)
        else:
            session.pop(RESET_MOBILE, None)
            _start_session(user, remember=False)
            if claiming:
                flash(_("The account is yours now. The bookings staff made for you are here."))
                return redirect(url_for("bookings.mine"), 303)
            flash(_("Your new password is set, and you are logged in. Welcome back."))
            return redirect(url_for("accounts.me"), 303)
    return render("accounts/reset.html", form=form, mobile=mobile,
                  status=422 if form.errors else 200)  # fmt: skip


@bp.route("/me/mobile", methods=["GET", "POST"])
@login_required
@_code_limits
def change_mobile():
    """Step one of a new number: a code goes to the new number."""
    form = NewMobileForm()
    if form.validate_on_submit():
        if form.mobile.data == current_user.mobile:
            form.mobile.errors.append(_("This is your number already."))
        elif service.find_by_mobile(form.mobile.data) is not None:
            form.mobile.errors.append(_("This mobile number is already registered."))
        else:
            codes.send_code(form.mobile.data, "change", current_user.id)
            session[NEW_MOBILE] = form.mobile.data
            return redirect(url_for("accounts.confirm_mobile"), 303)
    return render("accounts/mobile.html", form=form, status=422 if form.errors else 200)


@bp.route("/me/mobile/confirm", methods=["GET", "POST"])
@login_required
def confirm_mobile():
    """Step two: the code sent to the new number, and the password."""
    new = session.get(NEW_MOBILE)
    if not new:
        return redirect(url_for("accounts.change_mobile"), 303)
    form = ChangeMobileForm()
    if form.validate_on_submit():
        try:
            service.change_mobile(current_user, new, form.code.data, form.password.data)
        except Refused as error:
            show_on(form, error)
        else:
            session.pop(NEW_MOBILE, None)
            flash(_("Your mobile number is changed. Log in with the new one from now on."))
            return redirect(url_for("accounts.me"), 303)
    return render("accounts/mobile_confirm.html", form=form, new=new,
                  status=422 if form.errors else 200)  # fmt: skip


PRIVACY_VERSION = "2026-12"


@bp.get("/privacy")
def privacy():
    """What Doorstep keeps about a person, why, for how long, and how to have it or end it."""
    return render("accounts/privacy.html", version=PRIVACY_VERSION)
