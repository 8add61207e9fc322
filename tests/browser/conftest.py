"""Fixtures for browser tests: a seeded database, the app served live, Chromium.

Session fixtures are per xdist worker: each worker seeds its own database,
runs its own server and launches its own browser.

- ``live_db_url``: a migrated database loaded with the demo city (seed-demo).
- ``live_server``: base URL of the app serving ``live_db_url``.
- ``browser``: headless Debian Chromium through Playwright.
- ``page``: a phone-sized page (390×844, zh-CN, Asia/Shanghai), JavaScript on.
- ``page_nojs``: the same with JavaScript off (every page must work without it).
- ``new_page(**context_options)``: a page with other context options.

Every page's ``base_url`` is the live server, so ``page.goto("/sites")`` works.
"""

import contextlib
import os
from pathlib import Path

import pytest

import tests.browser as helpers
from tests.live import live_server as run_live_server
from tests.live import seed_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


def pytest_collection_modifyitems(items):
    """Everything under tests/browser is a browser test, marked or not."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so ``page`` knows when a test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def live_db_url(databases, template_url):
    """A fresh migrated database of this worker, loaded with the demo city."""
    url = databases.new_url(template=template_url)
    seed_demo(url)
    return url


@pytest.fixture(scope="session")
def live_server(live_db_url):
    """Base URL of the real app serving ``live_db_url``."""
    # Browser tests log in many times from one address; the per-number
    # throttle stays as in production, so the throttle journey still works.
    with run_live_server(live_db_url, env={"LOGIN_LIMITS_PER_ADDRESS": "1000/minute"}) as base_url:
        helpers.base_url, helpers.db_url = base_url, live_db_url
        try:
            yield base_url
        finally:
            helpers.base_url = helpers.db_url = None


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the distribution (never a downloaded browser build)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(request, browser, live_server):
    """Factory: ``new_page(**context_options)`` opens a page in a fresh context.

    Options default to the phone (390×844, zh-CN, Asia/Shanghai); pass e.g.
    ``java_script_enabled=False`` or another ``viewport``. On failure each page
    is saved to test-artifacts/screenshots/failed-<test>[-n].png.
    """
    contexts = []

    def _new_page(**context_options):
        context = browser.new_context(base_url=live_server, **{**PHONE, **context_options})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    report = getattr(request.node, "report_call", None)
    failed = report is not None and report.failed
    for n, context in enumerate(contexts):
        if failed:
            for page in context.pages:
                name = "failed-" + request.node.name + (f"-{n}" if n else "")
                # A screenshot that fails must not hide the test's own failure.
                with contextlib.suppress(Exception):
                    helpers.screenshot(page, name.replace("/", "_"))
        context.close()


@pytest.fixture
def page(new_page):
    """A phone-sized page with JavaScript on."""
    return new_page()


@pytest.fixture
def page_nojs(new_page):
    """A phone-sized page with JavaScript off."""
    return new_page(java_script_enabled=False)
