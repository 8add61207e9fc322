"""The admin's pages on a 360 px phone: the audit log reads in words and fits,
and a scope is granted by finding the site (JavaScript on and off)."""

import re

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import AuditEntry, User
from tests.browser import SCREENSHOT_DIR, check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
NARROW = {"viewport": {"width": 360, "height": 780}}


def _people(db_url: str) -> dict:
    """A fresh admin, a resident to make staff, and audit entries with long values."""
    app = make_app(db_url)
    with app.app_context():
        n = next(serial)
        admin = User(mobile=f"133{n:08d}", display_name="手机管理员", is_admin=True,
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        resident = User(mobile=f"132{n:08d}", display_name=f"新社工{n}",
                        password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add_all([admin, resident])
        db.session.flush()
        db.session.add_all([
            AuditEntry(actor_id=admin.id, action="site.hours_added", target_type="site",
                       target_id=1, site_id=1, summary="锦绣社区党群服务中心",
                       after={"weekday": 2, "opens_min": 510, "closes_min": 1050}),
            AuditEntry(actor_id=admin.id, action="site.edited", target_type="site", target_id=1,
                       site_id=1, summary="锦绣社区党群服务中心",
                       before={"description": "旧的介绍" * 30, "phone": ""},
                       after={"description": "新的介绍，开放时间调整，欢迎居民前来" * 12,
                              "phone": "021-5888 1234"}),
            AuditEntry(actor_id=admin.id, action="site.special_day_added", target_type="site",
                       target_id=1, site_id=1,
                       after={"kind": "extended", "starts_on": "2026-12-24",
                              "ends_on": "2026-12-24", "opens_min": "None", "note": ""}),
        ])  # fmt: skip
        db.session.commit()
        people = {"admin": admin.mobile, "resident": resident.id, "name": resident.display_name}
        db.engine.dispose()
    return people


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for box in page.locator("table.change").evaluate_all(
        "tables => tables.map(t => t.getBoundingClientRect().right)"
    ):
        assert box <= width + 0.5


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_the_audit_log_reads_in_words_and_fits_360_px(new_page, live_db_url, elder):
    people = _people(live_db_url)
    page = new_page(**NARROW)
    if elder:
        set_elder_mode(page)
    log_in(page, people["admin"])
    page.goto("/admin/audit")
    entry = page.locator("li.audit-entry", has_text="添加开放时间").first
    expect(entry).to_contain_text("17:30")
    expect(entry.locator("tr", has_text="星期")).to_contain_text("星期三")
    expect(entry.locator(".meta time")).to_have_text(re.compile(r"\d{1,2}:\d{2}$"))
    assert "opens_min" not in entry.locator("table").inner_text()
    special = page.locator("li.audit-entry", has_text="添加特殊日期").first
    expect(special.locator("tr", has_text="开门")).to_contain_text("—")
    expect(special.locator("tr", has_text="类型")).to_contain_text("延时服务")
    _fits(page)
    check_axe(page)
    screenshot(page, f"admin-audit-360-{'elder' if elder else 'normal'}")
    entry.scroll_into_view_if_needed()
    page.screenshot(
        path=str(SCREENSHOT_DIR / f"admin-audit-360-{'elder' if elder else 'normal'}-entry.png")
    )


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_scope_is_granted_by_finding_the_site(new_page, live_db_url, js):
    people = _people(live_db_url)
    page = new_page(**NARROW, java_script_enabled=js)
    log_in(page, people["admin"])
    page.goto(f"/admin/users/{people['resident']}")
    page.fill("#site-q", "锦绣")
    if js:
        expect(page.locator("#site-choices li").first).to_be_visible()  # as typed
    else:
        page.get_by_role("button", name="搜索").click()
    choice = page.locator("#site-choices li", has_text="锦绣社区党群服务中心").first
    expect(choice).to_contain_text("·")  # the place and code tell sites apart
    choice.get_by_role("button", name=re.compile("分配管理权限")).click()
    expect(page.locator(".flash")).to_contain_text("已分配")
    expect(page.locator("#scopes-title + p + ul")).to_contain_text("锦绣社区党群服务中心")
    _fits(page)
    if js:  # axe runs in the page; without JavaScript the markup is the same
        check_axe(page)
    screenshot(page, f"admin-scope-picker-{'js' if js else 'nojs'}")
