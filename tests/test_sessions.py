"""Logging out logs out: the remember cookie goes, and copied cookies open nothing.

These tests carry cookies the way a browser does (the test client's cookie jar),
copy them to a second "device" before logging out, and try them afterwards, in
development settings and with the production cookie settings (Secure, __Host-).
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import LoginSession

from . import factories as f
from .conftest import IsolatedClient, make_app

HTTPS = "https://localhost"


@pytest.fixture(params=["development", "production cookies"])
def mode(request, databases, template_url):
    """An app in each cookie mode, with the names and scheme its cookies use."""
    secure = request.param != "development"
    url = databases.new_url(template=template_url)
    app = make_app(url, WTF_CSRF_ENABLED=False, SECURE_COOKIES=secure)
    app.test_client_class = IsolatedClient
    with app.app_context():
        user_id = f.user(mobile="13912345678").id
        db.session.commit()
        yield {
            "app": app,
            "user_id": user_id,
            "base_url": HTTPS if secure else "http://localhost",
            "session": app.config["SESSION_COOKIE_NAME"],
            "remember": app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        }
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


def _client(mode):
    return mode["app"].test_client()


def _login(client, mode, remember=True):
    data = {"mobile": "13912345678", "password": f.PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, base_url=mode["base_url"])
    assert response.status_code == 303, response.text
    return response


def _me(client, mode):
    return client.get("/me", base_url=mode["base_url"]).status_code


def _copy(client, mode, *names):
    """A second device holding copies of ``names`` cookies (as a thief would)."""
    thief = _client(mode)
    domain = "localhost"
    for name in names:
        cookie = client.get_cookie(name, domain=domain)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value, domain=domain)
    return thief


def test_cookie_names_follow_the_mode(mode):
    if mode["base_url"] == HTTPS:
        assert mode["session"] == "__Host-session" and mode["remember"] == "__Host-remember"
    else:
        assert mode["session"] == "session" and mode["remember"] == "remember_token"


def test_log_out_deletes_the_remember_cookie(mode):
    client = _client(mode)
    _login(client, mode)
    assert client.get_cookie(mode["remember"], domain="localhost") is not None
    response = client.post("/logout", base_url=mode["base_url"])
    assert response.status_code == 303
    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(mode["remember"])]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0], response.headers
    assert client.get_cookie(mode["remember"], domain="localhost") is None
    assert _me(client, mode) == 302


def test_a_remember_cookie_copied_before_log_out_opens_nothing(mode):
    client = _client(mode)
    _login(client, mode)
    thief = _copy(client, mode, mode["remember"])
    assert _me(thief, mode) == 200  # the copy works while the login lives
    thief = _copy(client, mode, mode["remember"])
    client.post("/logout", base_url=mode["base_url"])
    assert _me(thief, mode) == 302


def test_a_session_cookie_copied_before_log_out_opens_nothing(mode):
    client = _client(mode)
    _login(client, mode, remember=False)
    thief = _copy(client, mode, mode["session"])
    client.post("/logout", base_url=mode["base_url"])
    assert _me(thief, mode) == 302
    assert _me(client, mode) == 302


def test_log_out_on_one_device_keeps_the_other_logged_in(mode):
    phone, center_pc = _client(mode), _client(mode)
    _login(phone, mode)
    _login(center_pc, mode)
    center_pc.post("/logout", base_url=mode["base_url"])
    assert _me(center_pc, mode) == 302
    assert _me(phone, mode) == 200


def test_the_token_is_stored_hashed_and_revoked_on_log_out(mode):
    client = _client(mode)
    _login(client, mode)
    cookie = client.get_cookie(mode["remember"], domain="localhost").value
    db.session.rollback()  # a fresh snapshot: the requests committed in their own sessions
    login = db.session.scalar(select(LoginSession))
    assert login.user_id == mode["user_id"] and login.revoked_at is None and login.remember
    assert login.token_hash not in cookie
    client.post("/logout", base_url=mode["base_url"])
    db.session.rollback()
    assert db.session.get(LoginSession, login.id).revoked_at is not None


def test_a_login_expires_with_its_cookie(mode, freeze):
    start = freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    client = _client(mode)
    _login(client, mode, remember=False)
    thief = _copy(client, mode, mode["session"])
    freeze(start + timedelta(hours=11))
    assert _me(thief, mode) == 200
    freeze(start + timedelta(hours=12, minutes=1))
    assert _me(thief, mode) == 302


def test_a_remembered_login_lasts_thirty_days(mode, freeze):
    start = freeze(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    client = _client(mode)
    _login(client, mode)
    thief = _copy(client, mode, mode["remember"])
    freeze(start + timedelta(days=29))
    assert _me(thief, mode) == 200
    thief = _copy(client, mode, mode["remember"])
    freeze(start + timedelta(days=30, minutes=1))
    assert _me(thief, mode) == 302


def test_logging_in_sweeps_the_users_dead_logins(mode):
    client = _client(mode)
    for _ in range(3):
        _login(client, mode)
        client.post("/logout", base_url=mode["base_url"])
    _login(client, mode)
    db.session.rollback()
    live = db.session.scalar(select(func.count()).select_from(LoginSession))
    assert live == 1


def test_changing_the_password_ends_every_other_login(mode):
    phone, thief_source = _client(mode), _client(mode)
    _login(phone, mode)
    _login(thief_source, mode)
    thief = _copy(thief_source, mode, mode["remember"])
    response = phone.post(
        "/me/password",
        data={
            "current_password": f.PASSWORD,
            "password": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
        base_url=mode["base_url"],
    )
    assert response.status_code == 303, response.text
    assert _me(phone, mode) == 200
    assert _me(thief, mode) == 302
    assert _me(thief_source, mode) == 302
