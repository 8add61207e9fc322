"""Run the real app as a live HTTP server, for browser and concurrency tests.

``live_server(db_url)`` starts the app in a child process on a free loopback
port, bound to the given test database (SQLite file or PostgreSQL URL), waits
until ``/healthz`` answers 200 and yields the base URL. Whatever happens in the
``with`` body, the process it started is stopped, within bounded time.

Two kinds of server:

- ``workers=1`` (default): ``flask run --with-threads``, one process, threads.
- ``workers=N > 1``: gunicorn with N processes of threads, for tests that need
  two app workers racing on one database.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from app import create_app
from app.config import TestConfig
from app.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LIVE_SECRET_KEY = "live-test-secret-key-not-for-production"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(db_url: str, **overrides):
    """An app with the test settings, bound to ``db_url`` (for seeding, or writers)."""
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app({**settings, "SQLALCHEMY_DATABASE_URI": db_url, **overrides})


def seed_demo(db_url: str, *args: str) -> str:
    """Load the demo city into ``db_url`` through the app's own CLI command."""
    app = make_app(db_url)
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo", *args])
        if result.exit_code != 0:
            raise RuntimeError(
                f"seed-demo failed (exit {result.exit_code}):\n{result.output}"
            ) from result.exception
        return result.output
    finally:
        with app.app_context():
            db.engine.dispose()


def _command(port: int, workers: int, threads: int, app_config: dict | None) -> list[str]:
    if workers > 1:
        # Settings the environment does not carry go in as create_app's mapping
        # (gunicorn calls a factory with literal arguments).
        target = f"app:create_app({app_config!r})" if app_config else "wsgi:app"
        return [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--worker-class", "gthread",
            "--graceful-timeout", "5",
            target,
        ]  # fmt: skip
    assert not app_config, "app_config needs workers > 1 (gunicorn)"
    return [
        sys.executable, "-m", "flask", "--app", "wsgi",
        "run", "--host", "127.0.0.1", "--port", str(port),
        "--no-reload", "--no-debugger", "--with-threads",
    ]  # fmt: skip


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """Stop the server we started: SIGTERM to its process group, then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def live_server(
    db_url: str,
    *,
    workers: int = 1,
    threads: int = 8,
    env: dict[str, str] | None = None,
    app_config: dict | None = None,
) -> Iterator[str]:
    """Serve the app on ``db_url``; yield its base URL, e.g. ``http://127.0.0.1:40123``.

    ``app_config`` (gunicorn only) overrides settings, e.g. a throttle key prefix.
    """
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    child_env.update(
        DATABASE_URL=db_url,
        SECRET_KEY=LIVE_SECRET_KEY,
        PYTHONUNBUFFERED="1",
        # No worker beside a server under test, unless a test starts one (and says "0").
        JOBS_IMMEDIATE="1",
    )
    child_env.update(env or {})
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
        prefix="doorstep-live-", suffix=".log", delete=False
    )
    process = None
    try:
        for _attempt in range(3):  # a port taken between free_port() and bind: try again
            log.seek(0)
            log.truncate()
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            process = subprocess.Popen(
                _command(port, workers, threads, app_config),
                cwd=PROJECT_ROOT,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so _stop reaches workers
            )
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline and process.poll() is None:
                if _healthy(base_url):
                    break
                time.sleep(0.1)
            if process.poll() is None and _healthy(base_url):
                break
            _stop(process)
            output = Path(log.name).read_text(errors="replace")
            if "Address already in use" not in output:
                raise RuntimeError(
                    f"live server did not become healthy at {base_url} within "
                    f"{START_TIMEOUT_S:.0f}s; its output:\n{output[-4000:]}"
                )
        else:
            raise RuntimeError("live server could not bind a free port in 3 attempts")
        yield base_url
    finally:
        if process is not None:
            _stop(process)
        log.close()
        Path(log.name).unlink(missing_ok=True)
