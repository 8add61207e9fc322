"""Configuration classes. Values that differ per machine come from the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or from a file made on first run.

    The key is never in the source: a fresh checkout generates its own, kept in
    ``instance/secret_key`` (ignored by git) so sessions survive restarts.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(instance_path: str) -> str:
    """DATABASE_URL when set (PostgreSQL), else the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        # psycopg 3 is the driver; accept the common postgres:// spellings.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return "sqlite:///" + str(Path(instance_path) / "doorstep.sqlite3")


class Config:
    """Defaults for development and for `make run`."""

    TIMEZONE = "Asia/Shanghai"
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SITES_PER_PAGE = 20
    POINTS_PER_HOUR = 1  # 积分: points earned per volunteer hour, set per city
    # Sessions: a browser session by default, bounded either way.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Throttling (Flask-Limiter). Memory unless a shared store is configured.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "doorstep"
    LOGIN_LIMITS_PER_MOBILE = "5/minute;20/hour"
    LOGIN_LIMITS_PER_ADDRESS = "5/minute;20/hour"
    MAX_QUERY_LENGTH = 100
    PREFERENCE_COOKIE_DAYS = 365

    @classmethod
    def init(cls, app) -> None:
        """Fill settings that depend on the instance folder."""
        # Flask's defaults hold None for SECRET_KEY, so test for a value.
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _secret_key(app.instance_path)
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
        # Throttle limits can be tuned per deployment, e.g. a center whose
        # residents all share one address behind its Wi-Fi.
        for name in ("LOGIN_LIMITS_PER_MOBILE", "LOGIN_LIMITS_PER_ADDRESS"):
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        # Several workers or hosts must share one throttle count: Redis.
        shared = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
        if shared and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
            app.config["RATELIMIT_STORAGE_URI"] = shared


class ProductionConfig(Config):
    """Selected with DOORSTEP_CONFIG=production: secure cookies with __Host- names."""

    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-remember"


class TestConfig(Config):
    """Settings for the test suite: tests pass their own database URI."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # Most tests log in many times; the throttle tests turn it back on.
    RATELIMIT_ENABLED = False
