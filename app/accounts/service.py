"""Rules about accounts, called by the views and by the tests."""

from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, clock
from ..database import begin_write, lock_row
from ..extensions import db
from ..models import LoginSession, StaffScope, User, VolunteerProfile
from ..models.accounts import hash_login_token, new_login_token
from ..refusals import Refused

# Checked when the number is unknown, so a wrong number costs as long as a
# wrong password and timing does not tell which numbers have accounts.
_DUMMY_HASH = generate_password_hash("doorstep-not-a-password")
DELETED_NAME = "已注销用户"


class AccountError(Refused):
    """A rule refused the change; ``field`` names the form field it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


def find_by_mobile(mobile: str) -> User | None:
    return db.session.scalar(select(User).where(User.mobile == mobile))


def register(mobile: str, display_name: str, password: str, *, by_staff: bool = False) -> User:
    """Create a resident account. ``mobile`` is already normalized.

    The unique index on ``mobile`` decides a race between two registrations.
    """
    from flask_babel import gettext as _

    begin_write()
    user = User(
        mobile=mobile,
        display_name=display_name,
        password_hash=generate_password_hash(password) if password else "",
        created_by_staff=by_staff,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("mobile", _("This mobile number is already registered.")) from None
    return user


def register_with_code(
    mobile: str, code: str, display_name: str, password: str, consent_version: str
) -> User:
    """A resident registers online: the code proves the number, and they agree to the notice."""
    from .codes import use_code

    use_code(mobile, "register", code)
    user = register(mobile, display_name, password)
    begin_write()
    record_consent(user.id, consent_version)
    db.session.commit()
    return user


def authenticate(mobile: str | None, password: str) -> User | None:
    """The user whose number and password these are, if the account may log in."""
    user = find_by_mobile(mobile) if mobile else None
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    return user


# Logins ------------------------------------------------------------------------


def start_login(user: User, *, remember: bool) -> User:
    """Open a login for ``user`` on this device and return the user carrying it.

    The login lasts as long as its cookie may: the session's lifetime, or the
    remember cookie's with "keep me logged in". The user's own expired and
    revoked logins are swept at the same time, so the table stays small.
    """
    now = clock.now()
    config = current_app.config
    lifetime = config["REMEMBER_COOKIE_DURATION" if remember else "PERMANENT_SESSION_LIFETIME"]
    token = new_login_token()
    begin_write()
    db.session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            or_(LoginSession.expires_at <= now, LoginSession.revoked_at.is_not(None)),
        )
    )
    login = LoginSession(
        user_id=user.id,
        token_hash=hash_login_token(token),
        remember=remember,
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(login)
    fresh = db.session.get(User, user.id)
    fresh.last_login_at = now
    db.session.commit()
    fresh.login_token, fresh.login_session_id = token, login.id
    return fresh


def user_for_login(user_id: int, token: str) -> User | None:
    """The user of a live login (not expired, not revoked, account active), in one query."""
    from ..models import GridScope, Notification

    # The unread count rides in the same query: the header shows it on every page.
    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    # So does "is a grid worker", which the navigation asks on every page.
    grid_worker = select(GridScope.id).where(GridScope.user_id == User.id).exists()
    row = db.session.execute(
        select(User, LoginSession.id, unread, grid_worker)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            LoginSession.token_hash == hash_login_token(token),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > clock.now(),
        )
    ).first()
    if row is None or not row[0].is_active:
        return None
    user, login_id, user.unread, user.grid_worker = row
    user.login_token, user.login_session_id = token, login_id
    return user


def end_login(user: User) -> None:
    """Log out this device: its login is revoked, so a copy of its cookies opens nothing."""
    if user.login_session_id is None:
        return
    begin_write()
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == user.login_session_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    db.session.commit()


def reset_password(mobile: str, code: str, new_password: str) -> User:
    """Set a new password with a code sent to the number (a forgotten password).

    This is also how a resident takes over the account staff made for them at
    the desk (代预约): it has no password until then, and its bookings are there.
    Every other login of the account ends.
    """

    from .codes import expired_message, use_code

    user = find_by_mobile(mobile)
    if user is None or not user.is_active:
        raise AccountError("code", expired_message())
    use_code(mobile, "reset", code)
    begin_write()
    user = db.session.get(User, user.id)
    claimed = not user.password_hash
    user.password_hash = generate_password_hash(new_password)
    _revoke_all_logins(user.id, clock.now())
    audit.record("account.claimed" if claimed else "account.password_reset", "user", user.id,
                 actor=user, summary=user.display_name)  # fmt: skip
    db.session.commit()
    return user


def change_mobile(user: User, new_mobile: str, code: str, password: str) -> User:
    """Move the account to a new number, proven by a code sent to it and the password.

    Audited; the old number is told by text message, so a stolen session
    cannot quietly take the account away.
    """
    from flask_babel import gettext as _

    from ..accounts.mobile import mask_mobile
    from ..notifications import sms
    from .codes import use_code

    if not check_password_hash(user.password_hash, password):
        raise AccountError("password", _("That password is not right."))
    if find_by_mobile(new_mobile) is not None:
        raise AccountError("mobile", _("This mobile number is already registered."))
    use_code(new_mobile, "change", code)
    begin_write()
    user = db.session.get(User, user.id)
    old = user.mobile
    user.mobile = new_mobile
    audit.record(
        "account.mobile_changed", "user", user.id, actor=user,
        before={"mobile": mask_mobile(old)}, after={"mobile": mask_mobile(new_mobile)},
    )  # fmt: skip
    if old:
        sms.queue(old, "mobile_changed", {"masked": mask_mobile(new_mobile)}, user_id=user.id)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("mobile", _("This mobile number is already registered.")) from None
    return user


def record_consent(user_id: int, version: str) -> None:
    """The person agreed to the privacy notice of ``version`` (in the caller's transaction)."""
    from flask import has_request_context

    from ..extensions import client_address
    from ..models import Consent

    db.session.add(
        Consent(user_id=user_id, kind="privacy", version=version,
                ip=client_address() if has_request_context() else "")
    )  # fmt: skip


def _revoke_all_logins(user_id: int, now: datetime) -> None:
    """Every device of the user is logged out (inside the caller's transaction)."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password; every device is logged out (the caller logs this one in again)."""
    from flask_babel import gettext as _

    if not check_password_hash(user.password_hash, current):
        raise AccountError("current_password", _("Your current password is not right."))
    begin_write()
    user = db.session.get(User, user.id)
    user.password_hash = generate_password_hash(new)
    _revoke_all_logins(user.id, clock.now())
    db.session.commit()


def save_volunteer_profile(user: User, real_name: str, skills: str, bio: str) -> VolunteerProfile:
    """Create or update the user's volunteer profile (becoming a volunteer)."""
    begin_write()
    user = db.session.get(User, user.id)
    profile = user.volunteer or VolunteerProfile(user=user)
    profile.real_name, profile.skills, profile.bio = real_name, skills, bio
    db.session.add(profile)
    db.session.commit()
    return profile


def delete_account(user: User, password: str) -> None:
    """Let go of what the account holds and remove its personal data (app/personal.py);
    keep an anonymous row for history.

    Past bookings and volunteer hours point at the user row, so the row stays,
    with no number, name, password or profile left in it. Its logins end.
    """
    from flask_babel import gettext as _

    if not check_password_hash(user.password_hash, password):
        raise AccountError("password", _("That password is not right."))
    from .. import personal

    begin_write()
    lock_row(User, user.id)  # one deletion at a time; the user's bookings wait
    user = db.session.get(User, user.id, populate_existing=True)
    if user is None or user.deleted_at is not None:
        db.session.rollback()
        raise AccountError("password", _("That password is not right."))
    # Every area lets go of what the account holds, by its own rules (future
    # bookings and places end and go to the waiting list), before the name goes.
    personal.erase(user)
    user.mobile = None
    user.display_name = DELETED_NAME
    user.password_hash = ""
    user.active = False
    user.deleted_at = clock.now()
    audit.record("account.deleted", "user", user.id, actor=user)
    db.session.commit()


def roles_of(user: User) -> list[str]:
    roles = ["resident"]
    if user.is_volunteer:
        roles.append("volunteer")
    if user.is_staff:
        roles.append("staff")
    if user.is_admin:
        roles.append("admin")
    return roles


def grant_scope(user: User, site_id: int, *, by: User) -> StaffScope:
    """Make ``user`` staff of a site (audited). Granting twice is refused."""
    from flask_babel import gettext as _

    from ..models import Site

    begin_write()
    site = db.session.get(Site, site_id)
    if site is None:
        raise AccountError("site", _("There is no site with that number."))
    scope = StaffScope(user_id=user.id, site_id=site.id, granted_by_id=by.id)
    db.session.add(scope)
    audit.record(
        "scope.granted", "user", user.id, site_id=site.id, actor=by,
        summary=site.name, after={"site_id": site.id},
    )  # fmt: skip
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("site", _("This user already works at that site.")) from None
    return scope


def revoke_scope(scope_id: int, user: User, *, by: User) -> None:
    """Take a site away from a staff member (audited)."""
    begin_write()
    scope = db.session.get(StaffScope, scope_id)
    if scope is None or scope.user_id != user.id:
        db.session.rollback()
        raise LookupError(scope_id)
    audit.record(
        "scope.revoked", "user", user.id, site_id=scope.site_id, actor=by,
        summary=scope.site.name, before={"site_id": scope.site_id},
    )  # fmt: skip
    db.session.delete(scope)
    db.session.commit()


def set_active(user: User, active: bool, *, by: User) -> None:
    """Disable or enable an account (audited)."""
    begin_write()
    target = db.session.get(User, user.id)
    before = target.active
    target.active = active
    if not active:
        _revoke_all_logins(target.id, clock.now())  # log it out everywhere
    audit.record(
        "user.enabled" if active else "user.disabled", "user", target.id, actor=by,
        before={"active": before}, after={"active": active},
    )  # fmt: skip
    db.session.commit()


def resident_for(mobile: str, display_name: str, staff: User, *, site_id: int | None = None):
    """The account of ``mobile``, created for the resident (and audited) if it is new.

    For 代预约 and 代办: call it inside the writing transaction of the booking
    or the request it is made for, so a refusal leaves no account behind.
    Two staff may act for the same new number at once. The unique index on
    the mobile keeps one account: the insert runs in a savepoint, so the
    request that loses the race keeps its transaction and books for the
    account the other has just committed (a new SELECT sees it).
    """
    user = find_by_mobile(mobile)
    if user is not None:
        return user
    user = User(mobile=mobile, display_name=display_name, created_by_staff=True)
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        existing = find_by_mobile(mobile)
        if existing is None:
            raise
        return existing
    audit.record(
        "user.created_by_staff", "user", user.id, site_id=site_id, actor=staff,
        summary=display_name,
    )  # fmt: skip
    return user
