"""Journeys through accounts, roles and the security baseline, on a phone.

Residents register, log out and in, and mistype; the login throttle answers
the sixth wrong password; station and center staff see exactly their sites
and close and reopen one; an admin reveals a number and finds it audited.
Every account page passes axe-core in normal and elder mode.

The live server throttles logins per number (5/minute, as in production), so
each demo account logs in once per module, in a context kept for the module.
"""

import re
import uuid
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

import tests.browser as helpers
from tests.browser import check_axe, screenshot, set_elder_mode, set_language

PASSWORD = "doorstep-demo"
RESIDENT = "13800000001"
CENTER_STAFF = "13800000003"
STATION_STAFF = "13800000004"
ADMIN = "13800000005"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
FIXTURES = ["page", "page_nojs"]


def unique_mobile() -> str:
    """A mobile number no run on the same server has used (139 + 8 random digits)."""
    return f"139{uuid.uuid4().int % 10**8:08d}"


def _tag(fixture: str) -> str:
    return "js" if fixture == "page" else "nojs"


# --- Steps ------------------------------------------------------------------------------


def log_in(page, mobile: str, password: str = PASSWORD):
    """Log in through the form on a fresh /login; return the response to the POST."""
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("手机号").fill(mobile)
    form.get_by_label("密码", exact=True).fill(password)
    with page.expect_response(
        lambda r: "/login" in r.url and r.request.method == "POST"
    ) as response:
        form.get_by_role("button", name="登录").click()
    return response.value


def register(page, mobile: str, name: str, password: str = PASSWORD):
    """Register in two steps (number, then code and the rest); the last response."""
    return helpers.register(page, mobile, name, password, wait=False)


def expect_my_page(page, name: str, mobile: str) -> None:
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"您好，{name}")
    expect(page.locator(".facts")).to_contain_text(mobile)


# --- Contexts kept for the module (one login per account) -----------------------------


@pytest.fixture(scope="module")
def browser_context(browser, live_server):
    """Factory of phone contexts kept open for the module."""
    contexts = []

    def _make(**options):
        context = browser.new_context(base_url=live_server, **{**PHONE, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        context.close()


def _logged_in(make, mobile: str, **options):
    context = make(**options)
    page = context.new_page()
    response = log_in(page, mobile)
    assert response.status == 303, f"{mobile} could log in (status {response.status})"
    page.wait_for_url(re.compile(r"/me$"))
    page.close()
    return context


@pytest.fixture(scope="module")
def station_staff(browser_context):
    return _logged_in(browser_context, STATION_STAFF)


@pytest.fixture(scope="module")
def center_staff(browser_context):
    return _logged_in(browser_context, CENTER_STAFF)


@pytest.fixture(scope="module")
def admin(browser_context):
    return _logged_in(browser_context, ADMIN)


@pytest.fixture(scope="module")
def admin_nojs(browser_context):
    return _logged_in(browser_context, ADMIN, java_script_enabled=False)


@pytest.fixture(scope="module")
def resident(browser_context):
    """A resident registered for this module (the demo resident keeps its logins)."""
    context = browser_context()
    page = context.new_page()
    response = register(page, unique_mobile(), "测试居民")
    assert response.status == 303
    page.wait_for_url(re.compile(r"/me$"))
    page.close()
    return context


@contextmanager
def opened(context, *, elder: bool = False):
    """A new page in a kept context, in Chinese, elder mode on or off."""
    set_language(context, "zh")
    set_elder_mode(context, elder)
    page = context.new_page()
    try:
        yield page
    finally:
        page.close()


# --- B1: register, log out, log in, language ---------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_register_log_out_log_in_and_switch_language(request, fixture):
    page = request.getfixturevalue(fixture)
    tag = _tag(fixture)
    mobile, name = unique_mobile(), "新居民"

    response = register(page, mobile, name)
    assert response.status == 303
    expect_my_page(page, name, mobile)
    expect(page.get_by_role("status")).to_contain_text("欢迎您")
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("我的")
    screenshot(page, f"accounts-registered-{tag}")

    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("您已退出登录")
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="登录")).to_be_visible()
    expect(nav.get_by_role("link", name="我的")).to_have_count(0)
    page.goto("/me")
    assert urlparse(page.url).path == "/login", "after logging out, /me asks to log in"

    response = log_in(page, mobile)
    assert response.status == 303
    expect_my_page(page, name, mobile)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.url.endswith("/me")
    screenshot(page, f"accounts-me-english-{tag}")
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", name="我的账号")).to_be_visible()


# --- B2: bad input -----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_bad_registration_shows_errors_and_creates_nothing(request, fixture):
    page = request.getfixturevalue(fixture)
    tag = _tag(fixture)

    response = register(page, "12345", "错号码")
    assert response.status == 422
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("请检查以下内容")
    expect(summary).to_contain_text("11位")
    mobile_field = page.get_by_label("手机号")
    expect(mobile_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#mobile-error")).to_contain_text("11位")
    expect(mobile_field).to_have_value("12345")
    # The summary links to the field it is about.
    expect(summary.get_by_role("link")).to_have_attribute("href", "#mobile")
    screenshot(page, f"accounts-register-errors-{tag}")

    # A good number with a too-short password: refused, and no account exists.
    mobile = unique_mobile()
    response = register(page, mobile, "短密码", password="short")
    assert response.status == 422
    expect(page.locator("#password-error")).to_contain_text("8 到 128")
    expect(page.get_by_label("称呼")).to_have_value("短密码")  # what was typed stays
    expect(page.get_by_label("密码", exact=True)).to_have_value("")
    screenshot(page, f"accounts-register-finish-errors-{tag}")

    response = log_in(page, mobile, "short")
    assert response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("手机号或密码不对")
    assert page.url.endswith("/login")


# --- B3: the throttle --------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES)
def test_sixth_wrong_password_is_throttled(request, fixture, new_page):
    mobile = unique_mobile()
    setup = new_page()
    assert register(setup, mobile, "限流测试").status == 303

    page = request.getfixturevalue(fixture)
    for attempt in range(1, 6):
        response = log_in(page, mobile, f"wrong-password-{attempt}")
        assert response.status == 422, f"attempt {attempt}"
        expect(page.get_by_role("alert")).to_contain_text("手机号或密码不对")
        # The form, re-rendered after a failure, keeps the number typed in.
        expect(page.get_by_label("手机号")).to_have_value(mobile)
    response = log_in(page, mobile, "wrong-password-6")
    assert response.status == 429
    assert int(response.headers["retry-after"]) > 0
    expect(page.get_by_role("heading", level=1)).to_have_text("尝试次数太多")
    expect(page.locator("main")).to_contain_text("秒后再试")
    screenshot(page, f"accounts-throttled-{_tag(fixture)}")


# --- B4: staff scopes --------------------------------------------------------------------


def _staff_site_links(page):
    return page.locator("main .site-cards .card-title a")


def test_station_staff_closes_and_reopens_their_one_station(station_staff):
    with opened(station_staff) as page:
        page.goto("/staff/")
        links = _staff_site_links(page)
        expect(links).to_have_count(1)
        site_name = links.first.inner_text().strip()
        links.first.click()
        page.wait_for_url(re.compile(r"/staff/sites/\d+$"))
        site_id = page.url.rsplit("/", 1)[1]
        expect(page.get_by_role("heading", level=1)).to_have_text(site_name)
        screenshot(page, "staff-station-before")

        try:
            page.get_by_label("暂停服务").check()
            page.get_by_label("居民看到的原因").fill("测试闭站")
            page.get_by_role("button", name="保存").click()
            page.locator("h1:has-text('关闭之前'), [role=status]").first.wait_for()
            if page.locator("h1", has_text="关闭之前").count():
                # The station has bookings or activities later today: keep them.
                screenshot(page, "staff-station-closure-asks")
                page.check("input[name='affected-then'][value='keep']")
                page.locator("main form button.button").first.click()
                expect(page.locator(".flash", has_text="保持不变")).to_be_visible()
            expect(page.locator(".flash", has_text="已保存")).to_be_visible()
            expect(page.locator("main > .state")).to_contain_text("暂停服务")

            public = page.context.new_page()
            public.goto(f"/sites/{site_id}")
            status = public.locator(".status-box")
            expect(status).to_contain_text("暂停服务")
            expect(status).to_contain_text("原因：测试闭站")
            screenshot(public, "staff-station-closed-public")
            public.close()
        finally:
            page.goto(f"/staff/sites/{site_id}")
            page.get_by_label("正常开放").check()
            page.get_by_label("居民看到的原因").fill("")
            page.get_by_role("button", name="保存").click()
            expect(page.get_by_role("status")).to_contain_text("已保存")
        public = page.context.new_page()
        public.goto(f"/sites/{site_id}")
        expect(public.locator(".status-box")).not_to_contain_text("暂停服务")
        expect(public.locator(".status-box")).not_to_contain_text("测试闭站")

        # The station's center is out of this worker's scope.
        center = public.locator("section[aria-labelledby='network-title'] .cards").first
        center_href = center.locator(".card-title a").first.get_attribute("href")
        public.close()
        center_id = center_href.rsplit("/", 1)[1]
        response = page.goto(f"/staff/sites/{center_id}")
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("您无权打开此页面")
        screenshot(page, "staff-forbidden")


def test_center_staff_sees_the_center_and_all_its_stations(center_staff):
    with opened(center_staff) as page:
        page.goto("/staff/")
        listed = sorted(t.strip() for t in _staff_site_links(page).all_inner_texts())
        assert listed, "the center manager has sites"
        center = page.locator("main .site-cards > li").filter(has_text="党群服务中心 ·").first
        center.locator(".card-title a").click()
        page.wait_for_url(re.compile(r"/staff/sites/\d+$"))
        center_id = page.url.rsplit("/", 1)[1]

        page.goto(f"/sites/{center_id}")
        center_name = page.get_by_role("heading", level=1).inner_text().strip()
        network = page.locator("section[aria-labelledby='network-title'] .card-title a")
        stations = [t.strip() for t in network.all_inner_texts()]
        assert stations, "the demo center has stations"
        assert listed == sorted([center_name, *stations])
        page.goto("/staff/")
        screenshot(page, "staff-center-home")


# --- B5: admin reveals a number, and the audit log has it ---------------------------------


@pytest.mark.parametrize("which", ["admin", "admin_nojs"])
def test_admin_reveals_a_number_and_the_audit_log_records_it(request, which):
    context = request.getfixturevalue(which)
    js = which == "admin"
    tag = "js" if js else "nojs"
    with opened(context) as page:
        page.goto("/")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="管理").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("管理后台")
        page.get_by_role("link", name="用户和管理权限").click()
        page.wait_for_url(re.compile(r"/admin/users"))

        page.get_by_label(re.compile("尾号四位")).fill("0001")
        if js:
            # Typing searches on its own (htmx), the URL keeps the query.
            page.wait_for_url(re.compile(r"q=0001"))
        else:
            page.get_by_role("search").get_by_role("button", name="搜索").click()
            page.wait_for_url(re.compile(r"q=0001"))
        results = page.locator("#user-results")
        expect(results.get_by_role("link", name="王阿姨")).to_be_visible()
        expect(results).not_to_contain_text(RESIDENT)
        expect(results).to_contain_text("138****0001")
        screenshot(page, f"admin-users-search-{tag}")
        results.get_by_role("link", name="王阿姨").click()
        page.wait_for_url(re.compile(r"/admin/users/\d+$"))
        user_id = page.url.rsplit("/", 1)[1]
        mobile = page.locator("#mobile")
        expect(mobile).to_contain_text("138****0001")
        expect(mobile).not_to_contain_text(RESIDENT)

        if js:
            page.evaluate("window.__sameDocument = true")
        page.get_by_role("button", name="显示完整号码").click()
        expect(page.locator("#mobile")).to_contain_text(RESIDENT)
        expect(page.get_by_role("button", name="显示完整号码")).to_have_count(0)
        if js:
            assert page.evaluate("window.__sameDocument === true"), "htmx swapped the number in"
            assert page.url.endswith(f"/admin/users/{user_id}")
        screenshot(page, f"admin-revealed-{tag}")

        page.goto("/admin/audit")
        newest = page.locator(".audit-list > li").first
        expect(newest).to_contain_text("personal.revealed")
        expect(newest).to_contain_text(f"user #{user_id}")
        expect(newest).to_contain_text("平台管理员")
        screenshot(page, f"admin-audit-{tag}")


# --- B6: axe on every account page ----------------------------------------------------------

ELDER = pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])


def _axe(page, name: str, elder: bool) -> None:
    if elder:
        expect(page.locator("html")).to_have_class(re.compile(r"\belder\b"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
    screenshot(page, f"axe-{name}-{'elder' if elder else 'normal'}")
    check_axe(page)


@ELDER
@pytest.mark.parametrize("path", ["/login", "/register", "/password/forgot", "/privacy"])
def test_anonymous_account_pages_pass_axe(page, path, elder):
    set_elder_mode(page, elder)
    assert page.goto(path).status == 200
    _axe(page, path.strip("/"), elder)


@ELDER
def test_login_with_errors_passes_axe(page, elder):
    set_elder_mode(page, elder)
    response = log_in(page, "12345", "")
    assert response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("请检查以下内容")
    _axe(page, "login-422", elder)


@ELDER
@pytest.mark.parametrize("path", ["/me", "/me/password", "/me/volunteer-profile", "/me/delete"])
def test_resident_pages_pass_axe(resident, path, elder):
    with opened(resident, elder=elder) as page:
        assert page.goto(path).status == 200
        _axe(page, path.strip("/").replace("/", "-"), elder)


@ELDER
@pytest.mark.parametrize("path", ["/staff/", "/staff/sites/<center>"])
def test_staff_pages_pass_axe(center_staff, path, elder):
    with opened(center_staff, elder=elder) as page:
        if "<center>" in path:
            page.goto("/staff/")
            center = page.locator("main .site-cards > li").filter(has_text="党群服务中心 ·").first
            path = center.locator(".card-title a").get_attribute("href")
        assert page.goto(path).status == 200
        _axe(page, "staff-site" if "sites" in path else "staff-home", elder)


@ELDER
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/users", "/admin/users/<resident>", "/admin/audit"]
)
def test_admin_pages_pass_axe(admin, path, elder):
    with opened(admin, elder=elder) as page:
        if "<resident>" in path:
            page.goto("/admin/users?q=0001")
            path = (
                page.locator("#user-results")
                .get_by_role("link", name="王阿姨")
                .get_attribute("href")
            )
        assert page.goto(path).status == 200
        name = "admin-" + (path.strip("/").split("/")[-1] if path != "/admin/" else "home")
        _axe(page, re.sub(r"\d+", "user", name), elder)


@ELDER
def test_error_pages_pass_axe(station_staff, new_page, elder):
    # 404: anyone.
    page = new_page()
    set_elder_mode(page, elder)
    assert page.goto("/sites/999999").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("找不到这个页面")
    _axe(page, "404", elder)

    # 403: a station worker at a staff page outside their scope.
    with opened(station_staff, elder=elder) as staff_page:
        staff_page.goto("/staff/")
        site_href = _staff_site_links(staff_page).first.get_attribute("href")
        staff_page.goto(site_href.replace("/staff", ""))
        center = staff_page.locator("section[aria-labelledby='network-title'] .card-title a")
        center_id = center.first.get_attribute("href").rsplit("/", 1)[1]
        assert staff_page.goto(f"/staff/sites/{center_id}").status == 403
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("您无权打开此页面")
        _axe(staff_page, "403", elder)

    # 429: the sixth login attempt for one number within a minute.
    mobile = unique_mobile()
    for _attempt in range(5):
        assert log_in(page, mobile, "wrong-password").status == 422
    assert log_in(page, mobile, "wrong-password").status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("尝试次数太多")
    _axe(page, "429", elder)
