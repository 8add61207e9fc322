"""Configuration classes. Values that differ per machine come from the environment."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

POSTGRES_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://")
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


class ConfigError(RuntimeError):
    """The settings cannot run the app; the message says what to set."""


def env_flag(name: str, environ=os.environ) -> bool | None:
    """A yes/no variable: True, False, or None when it is not set."""
    value = environ.get(name)
    if value is None:
        return None
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (or true/false), not {value!r}")


def proxy_hops(environ=os.environ) -> int | None:
    """How many reverse proxies to trust: PROXY_FIX_HOPS=N, or PROXY_FIX=1 for one."""
    hops = environ.get("PROXY_FIX_HOPS", "").strip()
    if hops:
        if not hops.isdigit():
            raise ConfigError(f"PROXY_FIX_HOPS must be a whole number, not {hops!r}")
        return int(hops)
    flag = env_flag("PROXY_FIX", environ)
    return None if flag is None else int(flag)


def production_problems(environ) -> list[str]:
    """What production lacks: each required variable missing or of the wrong kind.

    Values are never echoed: a database URL may hold a password.
    """
    problems = []
    if not environ.get("SECRET_KEY", "").strip():
        problems.append("SECRET_KEY is not set (a long random string, the same on every host)")
    database = environ.get("DATABASE_URL", "").strip()
    if not database:
        problems.append("DATABASE_URL is not set (postgresql://user@host:5432/doorstep)")
    elif not database.startswith(POSTGRES_SCHEMES):
        problems.append("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
    redis_url = environ.get("REDIS_URL", "").strip()
    if not redis_url:
        problems.append("REDIS_URL is not set (redis://host:6379/0)")
    elif not redis_url.startswith(REDIS_SCHEMES):
        problems.append("REDIS_URL must be a Redis URL (redis://... or rediss://...)")
    return problems


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


TENCENT_SMS_SETTINGS = (
    "TENCENT_SMS_SECRET_ID", "TENCENT_SMS_SECRET_KEY", "TENCENT_SMS_APP_ID", "TENCENT_SMS_SIGN",
)  # fmt: skip


def sms_settings(app, environ) -> None:
    """The SMS backend and its settings from the environment; a real provider needs them all."""
    import json

    backend = environ.get("SMS_BACKEND", "").strip()
    if backend:
        if backend not in ("console", "tencent"):
            raise ConfigError(f"SMS_BACKEND must be console or tencent, not {backend!r}")
        app.config["SMS_BACKEND"] = backend
    for name in (*TENCENT_SMS_SETTINGS, "TENCENT_SMS_REGION", "TENCENT_SMS_ENDPOINT",
                 "TENCENT_SMS_SCHEME"):  # fmt: skip
        if environ.get(name):
            app.config[name] = environ[name]
    quiet = environ.get("SMS_QUIET_HOURS", "").strip()
    if quiet:
        app.config["SMS_QUIET_HOURS"] = _quiet_hours(quiet)
    if environ.get("SMS_TEMPLATES"):
        try:
            templates = json.loads(environ["SMS_TEMPLATES"])
        except ValueError:
            raise ConfigError(
                'SMS_TEMPLATES must be JSON: {"booking_confirmed": "123456"}'
            ) from None
        app.config["SMS_TEMPLATES"] = {str(k): str(v) for k, v in templates.items()}
    if app.config["SMS_BACKEND"] == "tencent":
        missing = [name for name in TENCENT_SMS_SETTINGS if not app.config.get(name)]
        if missing:
            raise ConfigError(f"SMS_BACKEND=tencent needs {', '.join(missing)}")


def _quiet_hours(text: str):
    """'21:00-08:00' → (21:00, 08:00); 'off' → None (no quiet hours)."""
    from datetime import time

    if text.lower() in ("off", "none", "0"):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ConfigError(
            f"SMS_QUIET_HOURS must look like 21:00-08:00 or off, not {text!r}"
        ) from None
    return start, end


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
    # Redis down must not lock residents out: the count falls back to this
    # process's memory (Flask-Limiter logs a warning and retries Redis with
    # back-off), and any other storage error is logged instead of failing the
    # request. A Redis that hangs gives up within a second.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}
    LOGIN_LIMITS_PER_MOBILE = "5/minute;20/hour"
    LOGIN_LIMITS_PER_ADDRESS = "5/minute;20/hour"
    # Text-message codes cost money and reach someone's phone.
    CODE_LIMITS_PER_MOBILE = "1/minute;5/hour"
    CODE_LIMITS_PER_ADDRESS = "30/hour"
    MAX_QUERY_LENGTH = 100
    # The largest request body: the admin's CSV import (sites_csv.MAX_BYTES,
    # 8 MiB) plus its multipart envelope and CSRF field. Anything bigger gets
    # a localized 413 before it is read.
    MAX_CONTENT_LENGTH = 8 * 2**20 + 64 * 2**10
    # Public pages for visitors not logged in (app/page_cache.py); 0 turns it off.
    PAGE_CACHE_SECONDS = 30
    PAGE_CACHE_SIZE = 512
    PAGE_CACHE_GENERATION_SECONDS = 1.0  # how often a worker asks whether anything changed
    PREFERENCE_COOKIE_DAYS = 365
    # Text messages (app/notifications/sms.py): "console" writes them to the log and
    # the admin's outbox page; "tencent" sends them through Tencent Cloud SMS.
    SMS_BACKEND = "console"
    SMS_SIGN = "家门口"  # the sign name the provider approved, before each message
    SMS_TEMPLATES: dict = {}  # kind → the provider's approved template id
    SMS_PER_NUMBER_PER_HOUR = 5
    SMS_MAX_ATTEMPTS = 3
    # Behind HTTPS: Secure cookies with __Host- names (env SECURE_COOKIES=1).
    SECURE_COOKIES = False
    # Reverse proxies in front whose X-Forwarded-* headers are believed (env
    # PROXY_FIX=1 or PROXY_FIX_HOPS=N); 0 believes none.
    PROXY_FIX_HOPS = 0
    # One JSON line per request on the "doorstep.access" logger (env ACCESS_LOG=1).
    ACCESS_LOG = False
    # Content-hashed static URLs; None means on unless the app runs in debug mode.
    STATIC_HASHED_NAMES = None
    # Compression (Flask-Compress): streamed bodies, e.g. static files, may use gzip too.
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["zstd", "br", "gzip"]
    COMPRESS_MIN_SIZE = 500

    @classmethod
    def init(cls, app) -> None:
        """Fill settings that depend on the instance folder."""
        # Flask's defaults hold None for SECRET_KEY, so test for a value.
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _secret_key(app.instance_path)
        if not app.config.get("SQLALCHEMY_DATABASE_URI"):
            app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
        if os.environ.get("PAGE_CACHE_SECONDS", "").isdigit():
            app.config["PAGE_CACHE_SECONDS"] = int(os.environ["PAGE_CACHE_SECONDS"])
        # Throttle limits can be tuned per deployment, e.g. a center whose
        # residents all share one address behind its Wi-Fi.
        for name in ("LOGIN_LIMITS_PER_MOBILE", "LOGIN_LIMITS_PER_ADDRESS",
                     "CODE_LIMITS_PER_MOBILE", "CODE_LIMITS_PER_ADDRESS"):  # fmt: skip
            if os.environ.get(name):
                app.config[name] = os.environ[name]
        # Several workers or hosts must share one throttle count: Redis.
        shared = os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL")
        if shared and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
            app.config["RATELIMIT_STORAGE_URI"] = shared
        # Deployment switches: the environment wins over the class defaults.
        for name in ("SECURE_COOKIES", "ACCESS_LOG"):
            flag = env_flag(name)
            if flag is not None:
                app.config[name] = flag
        hops = proxy_hops()
        if hops is not None:
            app.config["PROXY_FIX_HOPS"] = hops
        sms_settings(app, os.environ)
        if app.config["SECURE_COOKIES"]:
            # __Host- names need Secure, Path=/ and no Domain: the browser then
            # refuses the cookie from plain HTTP or from a sibling subdomain.
            app.config.update(
                SESSION_COOKIE_SECURE=True,
                SESSION_COOKIE_NAME="__Host-session",
                REMEMBER_COOKIE_SECURE=True,
                REMEMBER_COOKIE_NAME="__Host-remember",
            )


class ProductionConfig(Config):
    """Selected with DOORSTEP_CONFIG=production: shared stores, required secrets, access log.

    Every setting an operator must choose comes from the environment, and a
    missing one stops the start with one message naming all that is missing.
    """

    ACCESS_LOG = True
    # A database that stops answering must not hold a worker (or /healthz) for long.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}

    @classmethod
    def init(cls, app) -> None:
        problems = production_problems(os.environ)
        if problems:
            raise ConfigError(
                "DOORSTEP_CONFIG=production cannot start: "
                + "; ".join(problems)
                + ". See the Production section of README.md."
            )
        super().init(app)


class TestConfig(Config):
    """Settings for the test suite: tests pass their own database URI."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # Most tests log in many times; the throttle tests turn it back on.
    RATELIMIT_ENABLED = False
    # Tests move the clock between requests; the page cache tests turn it on.
    PAGE_CACHE_SECONDS = 0
