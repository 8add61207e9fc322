"""Flask-Login wiring: how a session cookie becomes a user."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from .accounts.service import user_for_login
from .extensions import login_manager
from .models import User
from .permissions import login_redirect


def load_user(user_id: str) -> User | None:
    """The cookies hold "<user id>:<login token>"; a revoked or expired login opens nothing."""
    ident, _, token = user_id.partition(":")
    if not ident.isascii() or not ident.isdigit() or not 0 < int(ident) < 2**31 or not token:
        return None
    return user_for_login(int(ident), token)


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.session_protection = "basic"
    login_manager.unauthorized_handler(login_redirect)
