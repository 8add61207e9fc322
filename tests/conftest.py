"""Fixtures shared by every test: app, client, runner, time and query counting."""

import contextvars
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event

from app import clock, create_app
from app.config import TestConfig
from app.extensions import db
from app.jobs import huey

from .dbutil import Databases

# Jobs run inline in tests, inside the test's app context (tests/test_jobs.py
# runs a real worker process besides).
huey.immediate = True


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


def make_app(url: str, **overrides):
    return create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": url, **overrides})


def _config_dict() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


@pytest.fixture(scope="session")
def template_url(databases):
    """An empty database migrated to head, through the real migrations."""
    url = databases.new_url()
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(databases, template_url):
    """A fresh, migrated, empty database and an app bound to it."""
    url = databases.new_url(template=template_url)
    app = make_app(url, WTF_CSRF_ENABLED=False)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context.

    The test itself holds an app context (for factories and assertions). A
    request run inside it would share its database session and Babel's cached
    locale, hiding missing commits and stale state. Running each request in a
    fresh ``contextvars`` context gives it its own, as in production.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def freeze(monkeypatch):
    """Freeze the portal's clock: ``freeze(datetime(..., tzinfo=...))``."""

    def _freeze(moment: datetime):
        assert moment.tzinfo is not None, "freeze an aware datetime"
        monkeypatch.setattr(clock, "now", lambda: moment)
        return moment

    return _freeze


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside ``with count_queries() as counter:``."""
    from contextlib import contextmanager

    @contextmanager
    def _count():
        counter = QueryCounter()

        def _record(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", _record)

    return _count


class Auth:
    """Log a test client in and out, as a person would (through the forms)."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_mobile, password: str | None = None, **extra):
        from .factories import PASSWORD

        mobile = getattr(user_or_mobile, "mobile", user_or_mobile)
        data = {"mobile": mobile, "password": password or PASSWORD, **extra}
        response = self.client.post("/login", data=data)
        return response

    def logout(self):
        return self.client.post("/logout")

    def register(self, mobile, display_name="王阿姨", password="a-long-secret", **extra):
        """Register as a person does: ask for a code, read it from the outbox, finish."""
        asked = self.client.post("/register", data={"mobile": mobile})
        if asked.status_code != 303:
            return asked
        assert asked.headers["Location"].startswith("/register/finish"), asked.headers["Location"]
        data = {"code": last_code(), "display_name": display_name, "password": password,
                "consent": "y", **extra}  # fmt: skip
        return self.client.post("/register/finish", data=data)


def last_code(mobile: str | None = None) -> str:
    """The code in the newest verification text message (what the phone would show)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import SmsMessage

    db.session.rollback()  # a fresh snapshot: see what the request wrote
    query = select(SmsMessage.params).where(SmsMessage.kind == "verification_code")
    if mobile:
        query = query.where(SmsMessage.mobile == mobile)
    params = db.session.scalar(query.order_by(SmsMessage.id.desc()).limit(1))
    db.session.rollback()
    return params[0]


@pytest.fixture
def auth(client):
    return Auth(client)
