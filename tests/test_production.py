"""Production mode: required settings, cookies and proxies, gunicorn, static files,
compression, /healthz with Redis, and the JSON access log."""

import gzip
import json
import logging
import os
import re
import runpy
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import brotli
import pytest
from flask import Response, request, stream_with_context, url_for

from app import create_app
from app.clock import LOCAL_TZ
from app.config import ConfigError, ProductionConfig
from app.static_files import IMMUTABLE, Manifest
from app.static_files import hashed_name as make_hashed_name

from . import factories as f
from .conftest import make_app
from .live import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STATIC = PROJECT_ROOT / "static"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
PG_URL = "postgresql://doorstep:secret-password@db.example:5432/doorstep"

# Every variable that changes what create_app builds; tests set what they need.
SETTING_VARIABLES = (
    "DOORSTEP_CONFIG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "SECURE_COOKIES",
    "PROXY_FIX",
    "PROXY_FIX_HOPS",
    "ACCESS_LOG",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No setting from the outside; the access logger left as it was found."""
    for name in SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    logger = logging.getLogger("doorstep.access")
    saved = (logger.handlers[:], logger.level, logger.propagate, logger.disabled)
    yield
    logger.handlers[:], logger.level, logger.propagate, logger.disabled = saved


@pytest.fixture
def production_env(monkeypatch):
    """The three settings production requires, set."""
    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    monkeypatch.setenv("DATABASE_URL", PG_URL)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)


@pytest.fixture
def new_app(databases, template_url):
    """``new_app(**settings)``: an app on a fresh migrated database, dropped afterwards."""
    made = []

    def _new_app(**overrides):
        url = databases.new_url(template=template_url)
        app = make_app(url, WTF_CSRF_ENABLED=False, **overrides)
        made.append((app, url))
        return app

    yield _new_app
    for app, url in made:
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
        databases.drop(url)


# Required settings -------------------------------------------------------------


def test_production_refuses_to_start_and_names_everything_missing():
    with pytest.raises(ConfigError) as error:
        create_app(ProductionConfig)
    message = str(error.value)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in message
    assert "DOORSTEP_CONFIG=production" in message


def test_doorstep_config_production_selects_the_production_settings(monkeypatch):
    monkeypatch.setenv("DOORSTEP_CONFIG", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("DATABASE_URL", "sqlite:////srv/doorstep.sqlite3", "DATABASE_URL must be a PostgreSQL"),
        ("REDIS_URL", "memcached://127.0.0.1:11211", "REDIS_URL must be a Redis URL"),
        ("SECRET_KEY", "   ", "SECRET_KEY is not set"),
    ],
)
def test_production_refuses_settings_of_the_wrong_kind(
    production_env, monkeypatch, variable, value, complaint
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=complaint) as error:
        create_app(ProductionConfig)
    assert "/srv/doorstep" not in str(error.value)  # values are never echoed


def test_production_message_never_shows_the_database_password(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://admin:hunter2-password@db/doorstep")
    with pytest.raises(ConfigError) as error:
        create_app(ProductionConfig)
    assert "hunter2" not in str(error.value)


def test_production_with_its_settings_uses_postgres_redis_and_the_access_log(production_env):
    app = create_app(ProductionConfig)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SECRET_KEY"] == "production-test-secret"
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert app.config["ACCESS_LOG"] is True
    # Secure cookies are a choice of the operator, who knows whether HTTPS is there.
    assert app.config["SESSION_COOKIE_NAME"] == "session"
    assert not app.config.get("SESSION_COOKIE_SECURE")


@pytest.mark.parametrize("value", ["yes please", "2"])
def test_a_switch_that_is_not_yes_or_no_is_refused(monkeypatch, value):
    monkeypatch.setenv("SECURE_COOKIES", value)
    with pytest.raises(ConfigError, match="SECURE_COOKIES must be 1 or 0"):
        make_app("sqlite://")


def test_proxy_fix_hops_must_be_a_number(monkeypatch):
    monkeypatch.setenv("PROXY_FIX_HOPS", "two")
    with pytest.raises(ConfigError, match="PROXY_FIX_HOPS"):
        make_app("sqlite://")


# Cookies and proxies -----------------------------------------------------------


def test_secure_cookies_send_host_prefixed_secure_cookies(new_app, monkeypatch):
    monkeypatch.setenv("SECURE_COOKIES", "1")
    app = new_app()
    response = app.test_client().get("/login", base_url="https://doorstep.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert app.config["REMEMBER_COOKIE_NAME"] == "__Host-remember"
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_without_secure_cookies_plain_http_keeps_working(new_app):
    response = new_app().test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


def _whoami(app):
    @app.get("/_whoami")
    def whoami():
        return {"remote": request.remote_addr, "scheme": request.scheme, "host": request.host}

    return app.test_client()


PROXY_HEADERS = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "doorstep.example",
}


def test_forwarded_headers_are_ignored_without_proxy_fix():
    client = _whoami(make_app("sqlite://"))
    seen = client.get("/_whoami", headers=PROXY_HEADERS, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.json == {"remote": "10.0.0.2", "scheme": "http", "host": "localhost"}


@pytest.mark.parametrize(("variable", "value"), [("PROXY_FIX", "1"), ("PROXY_FIX_HOPS", "1")])
def test_proxy_fix_believes_one_proxy(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    client = _whoami(make_app("sqlite://"))
    seen = client.get("/_whoami", headers=PROXY_HEADERS, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.json == {"remote": "203.0.113.7", "scheme": "https", "host": "doorstep.example"}


def test_proxy_fix_hops_believes_that_many_proxies(monkeypatch):
    monkeypatch.setenv("PROXY_FIX_HOPS", "2")
    client = _whoami(make_app("sqlite://"))
    headers = {**PROXY_HEADERS, "X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.0.0.9"}
    seen = client.get("/_whoami", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert seen.json["remote"] == "203.0.113.7"  # the address the outer proxy saw


# gunicorn ----------------------------------------------------------------------


def _gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("BIND", "HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == 2 * os.cpu_count() + 1
    assert settings["worker_class"] == "gthread" and settings["threads"] >= 2
    assert settings["accesslog"] is None  # the app logs each request itself
    assert 0 < settings["timeout"] <= 120
    assert settings["control_socket_disable"] is True  # one per user: instances would clash


def test_gunicorn_takes_its_numbers_from_the_environment(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, PORT="9000", WEB_CONCURRENCY="3")
    assert settings["bind"] == ["127.0.0.1:9000"] and settings["workers"] == 3
    settings = _gunicorn_settings(monkeypatch, BIND="0.0.0.0:8080", GUNICORN_THREADS="8")
    assert settings["bind"] == ["0.0.0.0:8080"] and settings["threads"] == 8


def _run(command: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _child_env(**extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTING_VARIABLES and not k.startswith(("FLASK_", "GUNICORN_"))
    }
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def test_gunicorn_stops_with_the_message_when_settings_are_missing():
    env = _child_env(
        DOORSTEP_CONFIG="production", WEB_CONCURRENCY="1", BIND=f"127.0.0.1:{free_port()}"
    )
    result = _run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "ConfigError: DOORSTEP_CONFIG=production cannot start" in output
    assert "SECRET_KEY is not set" in output and "REDIS_URL is not set" in output


def test_flask_commands_stop_with_the_message_when_settings_are_missing():
    env = _child_env(DOORSTEP_CONFIG="production", SECRET_KEY="x", REDIS_URL=REDIS_URL)
    result = _run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"], env)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stdout + result.stderr


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@contextmanager
def _gunicorn(env: dict, log_path: Path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env={**env, "BIND": f"127.0.0.1:{port}"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        yield base_url
    finally:
        _stop(process)


def _get(url: str, **headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return r.status, r.headers, r.read()


def test_make_serve_production_stack_end_to_end(databases, template_url, tmp_path):
    """gunicorn.conf.py with production settings: PostgreSQL, Redis, gzip, hashed static
    files and one JSON log line per request."""
    if databases.kind != "postgresql":
        pytest.skip("postgresql-only: production requires PostgreSQL")
    url = databases.new_url(template=template_url)
    env = _child_env(
        DOORSTEP_CONFIG="production",
        SECRET_KEY="live-production-secret",
        DATABASE_URL=url,
        REDIS_URL=REDIS_URL,
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    log_path = tmp_path / "gunicorn.log"
    try:
        with _gunicorn(env, log_path) as base_url:
            status, _, body = _get(base_url + "/healthz")
            assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "ok"}
            status, headers, body = _get(base_url + "/", **{"Accept-Encoding": "gzip"})
            assert status == 200 and headers["Content-Encoding"] == "gzip"
            page = gzip.decompress(body).decode()
            script = re.search(r'src="(/static/js/app\.[0-9a-f]+\.js)"', page).group(1)
            status, headers, _ = _get(base_url + script)
            assert status == 200 and headers["Cache-Control"] == IMMUTABLE
    finally:
        databases.drop(url)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    assert {"path": "/", "status": 200, "method": "GET"}.items() <= lines[-2].items()
    assert any(line["path"] == script for line in lines)


# Static files ------------------------------------------------------------------


def test_static_urls_carry_a_content_hash(app):
    with app.test_request_context():
        script = url_for("static", filename="js/app.js")
    assert re.fullmatch(r"/static/js/app\.[0-9a-f]{10}\.js", script)


def test_hashed_static_files_are_cached_for_a_year(app, client):
    with app.test_request_context():
        script = url_for("static", filename="js/app.js")
    response = client.get(script)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.data == (STATIC / "js/app.js").read_bytes()


def test_plain_static_names_keep_working_with_a_short_cache(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.data == (STATIC / "js/app.js").read_bytes()


def test_a_hash_that_does_not_match_is_not_found(client):
    assert client.get("/static/js/app.0000000000.js").status_code == 404
    assert client.get("/static/js/nothing.js").status_code == 404


def test_every_static_url_on_a_page_loads_under_the_csp(client):
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert len(urls) >= 3
    for static_url in urls:
        assert re.search(r"\.[0-9a-f]{10}\.\w+$", static_url), static_url
        response = client.get(static_url)
        assert response.status_code == 200, static_url
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_the_hash_follows_the_content(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: black }")
    before = Manifest(tmp_path).hashed["css/site.css"]
    (tmp_path / "css" / "site.css").write_text("body { color: navy }")
    after = Manifest(tmp_path).hashed["css/site.css"]
    assert before != after and before.startswith("css/site.") and before.endswith(".css")
    assert Manifest(tmp_path).plain[after] == "css/site.css"


def test_hashed_name_keeps_the_suffix():
    assert make_hashed_name("js/htmx-2.0.11.min.js", "abc") == "js/htmx-2.0.11.min.abc.js"
    assert make_hashed_name("LICENSE", "abc") == "LICENSE.abc"


def test_hashed_names_can_be_turned_off():
    app = make_app("sqlite://", STATIC_HASHED_NAMES=False)
    with app.test_request_context():
        assert url_for("static", filename="js/app.js") == "/static/js/app.js"


# Compression -------------------------------------------------------------------


def _decode(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(response.data)
    if encoding == "br":
        return brotli.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def _without_tokens(body: bytes) -> bytes:
    """The page without its CSRF tokens, which carry the second they were made."""
    return re.sub(rb'(csrf_token" value="|id="csrf-token" value=")[^"]+', rb"\1", body)


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


@pytest.fixture
def listed_sites(app, freeze):
    freeze(datetime(2026, 11, 23, 10, 0, tzinfo=LOCAL_TZ))  # "open now" must not change
    center = f.site(name="东方社区党群服务中心")
    for n in range(3):
        f.site(kind="station", center=center, name=f"东方小区站点{n}")
    from app.extensions import db

    db.session.commit()


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_are_compressed_when_the_client_accepts_it(client, listed_sites, encoding):
    plain = client.get("/sites")
    packed = client.get("/sites", headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert len(packed.data) < len(plain.data) / 2
    assert _without_tokens(_decode(packed)) == _without_tokens(plain.data)
    assert "accept-encoding" in _vary(packed) and "accept-encoding" in _vary(plain)


def test_htmx_fragments_are_compressed_and_vary_on_both(client, listed_sites):
    headers = {"HX-Request": "true", "HX-Target": "results", "Accept-Encoding": "gzip, br"}
    response = client.get("/sites", headers=headers)
    assert response.headers["Content-Encoding"] == "br"
    body = _decode(response).decode()
    assert "<html" not in body and 'id="results"' in body
    assert {"hx-request", "accept-encoding"} <= _vary(response)


def test_a_client_that_does_not_ask_gets_no_compression(client, listed_sites):
    response = client.get("/sites", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert "<html" in response.text


def test_small_bodies_are_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert "accept-encoding" in _vary(response)
    assert response.json["status"] == "ok"


def test_static_files_compress_and_keep_their_etag_working(app, client):
    with app.test_request_context():
        script = url_for("static", filename="js/htmx-2.0.11.min.js")
    first = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert _decode(first) == (STATIC / "js/htmx-2.0.11.min.js").read_bytes()
    etag = first.headers["ETag"]
    assert etag.endswith(':gzip"')  # the compressed body has its own validator
    again = client.get(script, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_streamed_responses_still_stream_compressed():
    app = make_app("sqlite://")

    @app.get("/_stream")
    def stream():
        def rows():
            for n in range(200):
                yield f"第{n}行，家门口服务\n"

        return Response(stream_with_context(rows()), mimetype="text/plain")

    response = app.test_client().get("/_stream", headers={"Accept-Encoding": "gzip"})
    assert response.is_streamed and response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers
    expected = "".join(f"第{n}行，家门口服务\n" for n in range(200)).encode()
    assert gzip.decompress(response.get_data()) == expected


# /healthz ------------------------------------------------------------------------


def test_healthz_without_redis_says_so(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "not configured"}


def test_healthz_checks_redis_when_the_throttle_uses_it(new_app):
    app = new_app(RATELIMIT_STORAGE_URI=REDIS_URL)
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}
    redis_client = app.extensions["doorstep_redis"]
    client.get("/healthz")
    assert app.extensions["doorstep_redis"] is redis_client  # one client, its pool reused


def test_healthz_names_an_unreachable_redis(new_app):
    app = new_app(RATELIMIT_STORAGE_URI=UNREACHABLE_REDIS)
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "ok", "redis": "unreachable"}


def test_healthz_names_an_unreachable_database(new_app, monkeypatch):
    from app.extensions import db

    app = new_app()

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken)
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "error",
        "database": "unreachable",
        "redis": "not configured",
    }


# Access log ----------------------------------------------------------------------


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture
def access_lines():
    """The access logger's lines, as dicts.

    A line is written when the server closes the response, as every WSGI server
    does; the test client does so for ``buffered=True`` requests.
    """
    capture = Lines()
    logging.getLogger("doorstep.access").handlers[:] = [capture]
    return capture.lines


def test_one_json_line_per_request(new_app, access_lines):
    client = new_app(ACCESS_LOG=True).test_client()
    response = client.get(
        "/sites?q=王阿姨的住址",
        headers={"Accept-Encoding": "gzip"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
        buffered=True,
    )
    assert len(access_lines) == 1
    line = access_lines[0]
    assert line["method"] == "GET" and line["path"] == "/sites" and line["status"] == 200
    assert line["bytes"] == len(response.data)  # as sent, compressed
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    assert line["remote_addr"] == "10.1.2.3"
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert "王阿姨" not in json.dumps(line, ensure_ascii=False)  # no query strings
    assert set(line) >= {"time", "method", "path", "status", "latency_ms", "bytes"}


def test_access_log_records_errors_and_unicode_paths(new_app, access_lines):
    client = new_app(ACCESS_LOG=True).test_client()
    client.get("/sites/999999", buffered=True)
    client.get("/不存在", buffered=True)
    assert [(line["path"], line["status"]) for line in access_lines] == [
        ("/sites/999999", 404),
        ("/不存在", 404),
    ]


def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(new_app, access_lines):
    client = new_app(ACCESS_LOG=True).test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-42.a"}, buffered=True)
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"}, buffered=True)
    assert kept.headers["X-Request-ID"] == "edge-42.a"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert [line["request_id"] for line in access_lines] == [
        "edge-42.a",
        replaced.headers["X-Request-ID"],
    ]


def test_access_log_is_off_unless_asked(new_app, access_lines):
    new_app().test_client().get("/healthz", buffered=True)
    assert access_lines == []


def test_access_log_writes_json_to_stdout_by_itself(new_app, access_lines, capsys):
    logging.getLogger("doorstep.access").handlers.clear()
    new_app(ACCESS_LOG=True).test_client().get("/healthz", buffered=True)
    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1])["path"] == "/healthz"


def test_access_log_with_proxy_fix_logs_the_client_address(new_app, access_lines, monkeypatch):
    monkeypatch.setenv("PROXY_FIX", "1")
    client = new_app(ACCESS_LOG=True).test_client()
    client.get(
        "/healthz",
        headers={"X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
        buffered=True,
    )
    assert access_lines[0]["remote_addr"] == "203.0.113.9"
