"""Browser tests: the real app, served live, driven in headless Chromium.

Helpers for the tests (fixtures are in ``conftest.py``)::

    from tests.browser import check_axe, screenshot, set_elder_mode, set_language
"""

import itertools
import json
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = PROJECT_ROOT / "test-artifacts" / "screenshots"
AXE_TAGS = ("wcag2a", "wcag2aa")

# One counter for every browser test module of this worker (they share its live
# database): mobile numbers, codes and names made from it never collide, which
# one counter per module, all started from the same clock, did.
serial = itertools.count(int(time.time()) % 10_000_000)

# The live server's base URL in this worker, set by the ``live_server`` fixture;
# cookies are set for it when a helper is given no URL.
base_url: str | None = None
# Its database, where a verification code's text message waits in the outbox.
db_url: str | None = None
_engines: dict = {}


def code_sent_to(mobile: str) -> str:
    """The code of the newest verification text message to ``mobile``: what the
    phone would show (the console backend keeps it in the outbox)."""
    import sqlalchemy as sa

    if db_url is None:
        raise RuntimeError("no live database: start the live_server fixture")
    engine = _engines.setdefault(db_url, sa.create_engine(db_url, poolclass=sa.pool.NullPool))
    with engine.connect() as connection:
        params = connection.execute(
            sa.text(
                "SELECT params FROM sms_message WHERE kind = 'verification_code' "
                "AND mobile = :mobile ORDER BY id DESC LIMIT 1"
            ),
            {"mobile": mobile},
        ).scalar_one()
    return (json.loads(params) if isinstance(params, str) else params)[0]


def register(page, mobile: str, name: str, password: str, *, wait: bool = True):
    """Register as a person does: the number, then the code from the text message,
    a name, a password and consent. Returns the response to the last form sent
    (the first one's when it was refused); ``wait`` waits for the new /me page."""
    page.goto("/register")
    form = page.locator("main form")
    form.locator("#mobile").fill(mobile)
    with page.expect_response(
        lambda r: r.url.split("?")[0].endswith("/register") and r.request.method == "POST"
    ) as asked:
        form.locator("button").click()
    if asked.value.status != 303:
        return asked.value
    page.wait_for_url("**/register/finish**")
    form = page.locator("main form")
    form.locator("#code").fill(code_sent_to(mobile))
    form.locator("#display_name").fill(name)
    form.locator("#password").fill(password)
    form.locator("#consent").check()
    with page.expect_response(
        lambda r: "/register/finish" in r.url and r.request.method == "POST"
    ) as finished:
        form.locator("button").click()
    if wait and finished.value.status == 303:
        page.wait_for_url("**/me")
    return finished.value


def _context(target):
    """The browser context of a Page, or the BrowserContext itself."""
    return getattr(target, "context", target)


def _cookie(target, name: str, value: str, url: str | None) -> None:
    url = url or base_url
    if not url:
        raise RuntimeError("no URL for the cookie: start the live_server fixture or pass url=")
    _context(target).add_cookies([{"name": name, "value": value, "url": url}])


def set_elder_mode(target, on: bool = True, *, url: str | None = None) -> None:
    """Turn elder mode (长辈模式) on or off for a page's context (from its next request)."""
    _cookie(target, "elder", "1" if on else "0", url)


def set_language(target, language: str, *, url: str | None = None) -> None:
    """Choose the interface language, 'zh' or 'en', for a page's context."""
    assert language in ("zh", "en"), language
    _cookie(target, "lang", language, url)


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to test-artifacts/screenshots/<name>.png and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _inject_axe(page) -> None:
    """Load axe-core into the page without weakening its Content-Security-Policy.

    ``add_script_tag(path=...)`` inserts an inline script, which our CSP
    (``script-src 'self'``) rightly refuses. So the file is served from the
    page's own origin through a route, and the tag loads it by URL.
    """
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `npm ci` (make test does)")
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    origin = page.evaluate("location.origin")
    if not origin.startswith("http"):
        page.add_script_tag(path=str(AXE_SCRIPT))  # about:blank, set_content(): no CSP
        return
    url = f"{origin}/__test-assets__/axe.min.js"
    page.route(
        url,
        lambda route: route.fulfill(
            path=str(AXE_SCRIPT), content_type="application/javascript; charset=utf-8"
        ),
    )
    try:
        page.add_script_tag(url=url)
    finally:
        page.unroute(url)


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            lines.append(f"    at {json.dumps(node['target'], ensure_ascii=False)}")
            lines.append(f"      {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def check_axe(page, *, disable: tuple[str, ...] = ()) -> None:
    """Assert the page has no WCAG 2 A/AA violations that axe-core can find.

    ``disable`` names axe rules to leave out (say why at the call site).
    """
    _inject_axe(page)
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}}
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    result = page.evaluate("options => axe.run(document, options)", options)
    violations = result["violations"]
    assert not violations, (
        f"axe found {len(violations)} accessibility violation(s) on {page.url}:\n"
        + _describe(violations)
    )


def loaded_width(image, attempts: int = 100) -> int:
    """The natural width of ``image`` (a locator) once the browser has loaded it;
    0 if it never loads. Polled from here, so it works with JavaScript off too
    (a page function waiting inside a page without JavaScript never returns)."""
    for _ in range(attempts):
        width = image.evaluate("img => (img.complete && img.naturalWidth) || 0")
        if width:
            return width
        image.page.wait_for_timeout(100)
    return 0
