"""Flask-Login wiring: how a session cookie becomes a user."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from .extensions import db, login_manager
from .models import User
from .permissions import login_redirect


def load_user(user_id: str) -> User | None:
    """The cookie holds "<id>:<session token>"; a changed token logs it out."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(login_redirect)
