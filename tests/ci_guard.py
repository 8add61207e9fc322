"""Pytest plugin (loaded by ``-p tests.ci_guard``): CI must not pass by skipping.

Under ``CI=true`` a skipped test is reported as failed, so a missing browser, a
missing database server or a forgotten ``skip`` cannot turn a run green. Only
skips that are right by construction stay skips: their reason starts with
``sqlite-only:`` or ``postgresql-only:`` (a test that proves something about one
database while the run uses the other).

Also under ``CI=true``, when ``TEST_DATABASE_URL`` is set the session first
connects to that server: a run meant for PostgreSQL that cannot reach it stops
loudly instead of quietly testing something else.
"""

import os

import pytest

ALLOWED_SKIP_PREFIXES = ("sqlite-only:", "postgresql-only:")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _fail_if_skipped(report) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if reason.startswith(ALLOWED_SKIP_PREFIXES):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true, which counts as a failure: {reason}\n"
        f"(only reasons starting with {' or '.join(ALLOWED_SKIP_PREFIXES)} may skip in CI)"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if in_ci():
        _fail_if_skipped(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    if in_ci():
        _fail_if_skipped(outcome.get_result())


def pytest_sessionstart(session):
    server = os.environ.get("TEST_DATABASE_URL")
    if not (in_ci() and server):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, connect_timeout=10) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure: the PostgreSQL run would be meaningless
        raise pytest.UsageError(
            f"CI=true and TEST_DATABASE_URL is set, but its server cannot be reached: {error}"
        ) from error
