"""The login throttle counts failures only, and never locks people out when Redis is down."""

import logging
import shutil
import socket
import subprocess
import time

import pytest

from app.extensions import db

from . import factories as f
from .conftest import make_app

MOBILE = "13912345678"


def _login(client, password, mobile=MOBILE, address="10.0.0.1"):
    return client.post(
        "/login",
        data={"mobile": mobile, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def throttled(databases, template_url):
    """An app with the throttle on, counting in memory, and one resident."""

    def build(**config):
        url = databases.new_url(template=template_url)
        app = make_app(url, RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False, **config)
        with app.app_context():
            f.user(mobile=MOBILE)
            db.session.commit()
        built.append((app, url))
        return app

    built = []
    yield build
    for app, url in built:
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)


def test_correct_logins_from_one_address_are_never_counted(throttled):
    """A center's shared Wi-Fi: the 21st good login in an hour still gets in."""
    app = throttled(RATELIMIT_STORAGE_URI="memory://")
    for _ in range(25):
        client = app.test_client()
        assert _login(client, f.PASSWORD).status_code == 303
        client.post("/logout")


def test_failed_logins_are_still_counted(throttled):
    app = throttled(RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    statuses = [_login(client, "wrong-password").status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


def test_good_logins_in_between_do_not_reset_or_add_to_the_count(throttled):
    app = throttled(RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    statuses = []
    for _ in range(4):
        statuses.append(_login(client, "wrong-password").status_code)
        statuses.append(_login(app.test_client(), f.PASSWORD).status_code)
    statuses.append(_login(client, "wrong-password").status_code)
    statuses.append(_login(client, "wrong-password").status_code)
    assert statuses == [422, 303] * 4 + [422, 429]


# Redis down -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, so the test can stop it."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (apt-get install redis-server)"
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("the test's Redis did not start")

    def stop():
        process.terminate()
        process.wait(timeout=10)

    yield {"url": f"redis://127.0.0.1:{port}/0", "stop": stop, "client": client}
    if process.poll() is None:
        stop()
    # The limiter is one object per process (as in production, where a process
    # serves one app); later tests' apps must not start out in fallback mode.
    from app.extensions import limiter

    limiter._storage_dead = False


def test_logins_go_on_when_redis_stops(throttled, own_redis, caplog):
    app = throttled(RATELIMIT_STORAGE_URI=own_redis["url"])
    client = app.test_client()
    assert _login(client, "wrong-password").status_code == 422
    assert own_redis["client"].keys("*login*"), "the attempt was counted in Redis"
    own_redis["stop"]()
    caplog.set_level(logging.WARNING)
    assert _login(app.test_client(), f.PASSWORD).status_code == 303
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
    # Wrong passwords are counted per process meanwhile, and refused politely.
    statuses = [_login(client, "wrong-password").status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    register = client.post("/register", data={"mobile": "13700000000"})
    assert register.status_code == 303  # a code is sent: the fallback counts it
    assert app.test_client().get("/healthz").status_code == 503


def test_redis_down_from_the_start_is_no_500(throttled, own_redis):
    own_redis["stop"]()
    app = throttled(RATELIMIT_STORAGE_URI=own_redis["url"])
    assert _login(app.test_client(), "wrong-password").status_code == 422
    assert _login(app.test_client(), f.PASSWORD).status_code == 303
