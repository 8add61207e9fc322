"""The staff and admin consoles at phone and desk size: close a station in one tap,
change the hours, post a notice and extend tonight, and residents see it at once;
an admin builds the tree and imports a district from CSV; every console page
passes axe in normal and elder mode."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import OpeningInterval, Site, StaffScope, User
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

_numbers = serial
PASSWORD = "a-long-secret"


@pytest.fixture(scope="module")
def station(live_db_url):
    """A station of the first center, open all day every day, and its own worker."""
    app = make_app(live_db_url)
    with app.app_context():
        center = db.session.get(Site, 1)
        site = Site(
            code=f"TEST-{next(_numbers)}", community_id=center.community_id, kind="station",
            station_type="convenience", center_id=center.id, name="测试便民驿站",
            address="测试路1号", latitude=center.latitude, longitude=center.longitude,
            search_text="测试便民驿站 测试路1号",
        )  # fmt: skip
        site.opening_intervals = [
            OpeningInterval(weekday=d, opens_min=0, closes_min=1440) for d in range(7)
        ]
        db.session.add(site)
        db.session.commit()
        ids = {"site": site.id}
        db.engine.dispose()
    return ids


def new_user(db_url: str, *, site_id: int | None = None, admin: bool = False) -> str:
    """A fresh account (each test logs in with its own number: logins are throttled
    per number), staff of ``site_id`` or an admin; returns its mobile number."""
    app = make_app(db_url)
    with app.app_context():
        user = User(mobile=f"13{3 if admin else 2}{next(_numbers):08d}", is_admin=admin,
                    display_name="测试管理员" if admin else "驿站社工",
                    password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add(user)
        db.session.flush()
        if site_id:
            db.session.add(StaffScope(user_id=user.id, site_id=site_id))
        db.session.commit()
        mobile = user.mobile
        db.engine.dispose()
    return mobile


@pytest.fixture
def staff(live_db_url, station):
    return new_user(live_db_url, site_id=station["site"])


@pytest.fixture
def admin(live_db_url):
    return new_user(live_db_url, admin=True)


def log_in(page, mobile):
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desk"])
def test_changing_the_hours_changes_open_now(new_page, station, staff, size):
    page = new_page(viewport={"width": size[0], "height": size[1]})
    log_in(page, staff)
    site_id = station["site"]
    page.goto(f"/sites/{site_id}")
    assert "正在开放" in page.locator(".status-box").inner_text()
    page.goto(f"/staff/sites/{site_id}/edit")
    screenshot(page, f"console-edit-{size[0]}")
    today = clock.local().weekday()
    row = page.locator("#hours li", has_text=re.compile(r"00:00–24:00")).nth(today)
    row.get_by_role("button", name="删除").click()
    page.wait_for_selector(".flash")  # the saved page (htmx may drop the #hours anchor)
    assert "已保存" in page.locator(".flash").inner_text()
    page.goto(f"/sites/{site_id}")
    assert "已休息" in page.locator(".status-box").inner_text()
    # Put the day back, so the test can run again on this server.
    page.goto(f"/staff/sites/{site_id}/edit")
    page.select_option("#hours-weekday", str(today))
    page.fill("#hours-opens", "00:00")
    page.fill("#hours-closes", "24:00")
    page.locator("#hours").get_by_role("button", name="添加", exact=True).click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{site_id}")
    assert "正在开放" in page.locator(".status-box").inner_text()


def test_bad_hours_show_the_error_and_focus_it(page, station, staff):
    log_in(page, staff)
    page.goto(f"/staff/sites/{station['site']}/edit")
    page.fill("#hours-opens", "18:00")
    page.fill("#hours-closes", "09:00")
    page.locator("#hours").get_by_role("button", name="添加", exact=True).click()
    summary = page.locator("#hours .error-summary")
    assert "关门时间必须晚于开门时间" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#hours-closes"
    # Focus moves once htmx has put the page in place (app.js, on the next tick).
    expect(summary).to_be_focused()
    screenshot(page, "console-edit-error")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_console_pages_are_accessible(new_page, station, staff, live_db_url, elder):
    page = new_page()
    if elder:
        set_elder_mode(page)
    log_in(page, staff)
    app = make_app(live_db_url)
    with app.app_context():
        from app.models import Service

        service = Service(site_id=station["site"], category="health", name="量血压")
        db.session.add(service)
        db.session.commit()
        service_id = service.id
        db.engine.dispose()
    for path in (
        "/staff/",
        f"/staff/sites/{station['site']}",
        f"/staff/sites/{station['site']}/edit",
        f"/staff/sites/{station['site']}/services/{service_id}/edit",
    ):
        page.goto(path)
        check_axe(page)
        screenshot(
            page, f"console{path.rstrip('/').replace('/', '-')}-{'elder' if elder else 'normal'}"
        )


SIZES = pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desk"])


@SIZES
def test_close_in_one_tap_from_the_staff_home(new_page, station, staff, size):
    page = new_page(viewport={"width": size[0], "height": size[1]})
    log_in(page, staff)
    site_id = station["site"]
    page.goto("/staff/")
    card = page.locator(f"#site-{site_id}")
    card.get_by_text("暂停服务", exact=True).click()
    card.get_by_label("居民看到的原因").fill("水管维修，明天恢复")
    screenshot(page, f"staff-home-close-{size[0]}")
    card.get_by_role("button", name="现在暂停服务").click()
    page.wait_for_selector(".flash")
    assert "已标为暂停服务" in page.locator(".flash").inner_text()
    page.goto(f"/sites/{site_id}")
    status = page.locator(".status-box").inner_text()
    assert "暂停服务" in status and "水管维修，明天恢复" in status
    page.goto("/staff/")
    page.locator(f"#site-{site_id}").get_by_role("button", name="正常开放").click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{site_id}")
    assert "正在开放" in page.locator(".status-box").inner_text()


@SIZES
def test_a_posted_notice_shows_on_the_public_page(new_page, station, staff, size):
    page = new_page(viewport={"width": size[0], "height": size[1]})
    log_in(page, staff)
    site_id = station["site"]
    title = f"周六义诊{size[0]}"
    page.goto(f"/staff/sites/{site_id}/edit")
    notices = page.locator("#notices")
    notices.get_by_label("标题").fill(title)
    notices.get_by_label("正文").fill("上午九点，社区医生来测血压。")
    notices.get_by_role("button", name="发布").click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{site_id}")
    assert title in page.locator("#notices-title + article, .notice").first.inner_text() or (
        title in page.content()
    )
    screenshot(page, f"notice-public-{size[0]}")
    # Take it down again so the next run starts clean.
    page.goto(f"/staff/sites/{site_id}/edit")
    page.locator("#notices li", has_text=title).get_by_role("button", name="删除").click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{site_id}")
    assert title not in page.content()


def test_extend_tonight_without_javascript(page_nojs, live_db_url):
    """Extended hours tonight, as a plain form: a center that closes at 17:00 stays open."""
    app = make_app(live_db_url)
    with app.app_context():
        center = Site(
            code=f"TEST-{next(_numbers)}", community_id=db.session.get(Site, 1).community_id,
            kind="station", station_type="residential", center_id=1, name="延时测试驿站",
            address="测试路2号", latitude=31.2, longitude=121.4, search_text="延时测试驿站",
        )  # fmt: skip
        center.opening_intervals = [
            OpeningInterval(weekday=d, opens_min=540, closes_min=600) for d in range(7)
        ]
        staff = User(mobile=f"134{next(_numbers):08d}", display_name="延时社工",
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add_all([center, staff])
        db.session.flush()
        db.session.add(StaffScope(user_id=staff.id, site_id=center.id))
        db.session.commit()
        site_id, mobile = center.id, staff.mobile
        db.engine.dispose()
    page = page_nojs
    log_in(page, mobile)
    page.goto("/staff/")
    card = page.locator(f"#site-{site_id}")
    card.get_by_text("今晚延时服务", exact=True).click()
    card.get_by_label("今晚开放到").select_option("1440")
    card.get_by_role("button", name="今晚延时").click()
    assert "今晚延时开放到 24:00" in page.locator(".flash").inner_text()
    page.goto(f"/sites/{site_id}")
    assert "24:00" in page.content()


def test_change_a_service(page, station, staff, live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        from app.models import Service

        service = Service(site_id=station["site"], category="legal", name="旧服务名")
        db.session.add(service)
        db.session.commit()
        service_id = service.id
        db.engine.dispose()
    log_in(page, staff)
    page.goto(f"/staff/sites/{station['site']}/services/{service_id}/edit")
    page.get_by_label("服务名称").fill("")
    page.get_by_role("button", name="保存").click()
    assert "请填写服务名称" in page.locator(".error-summary").inner_text()
    page.get_by_label("服务名称").fill("新服务名")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{station['site']}")
    assert "新服务名" in page.content() and "旧服务名" not in page.content()


def district_csv(tag: str) -> bytes:
    """A small district: one center and two stations, with Chinese text, UTF-8 with BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["编码", "区", "街道", "社区", "社区类别", "类型", "站点类型", "名称", "地址",
                     "电话", "纬度", "经度", "介绍", "设施", "开放时间"])  # fmt: skip
    place = [f"测试区{tag}", "测试街道", "测试社区", "B"]
    writer.writerow([
        f"IMP-{tag}-0", *place, "center", "", f"导入中心{tag}", "导入路1号",
        "021-5888 1234", "31.20", "121.40", "", "water;seats", "1-7 00:00-24:00",
    ])  # fmt: skip
    for n in (1, 2):
        writer.writerow([
            f"IMP-{tag}-{n}", *place, "station", "residential", f"导入驿站{tag}-{n}",
            f"导入路{n}0号", "", "31.21", "121.41", "", "water", "1-5 09:00-17:00",
        ])  # fmt: skip
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


@SIZES
def test_admin_imports_a_district_from_csv(new_page, admin, size):
    page = new_page(viewport={"width": size[0], "height": size[1]})
    log_in(page, admin)
    tag = str(next(_numbers))
    page.goto("/admin/")
    page.get_by_role("link", name="导入和导出 CSV").click()
    page.set_input_files("#file", {"name": "district.csv", "mimeType": "text/csv",
                                   "buffer": district_csv(tag)})  # fmt: skip
    page.get_by_role("button", name="检查并导入").click()
    assert "新增 3 个" in page.locator(".flash").inner_text()
    screenshot(page, f"admin-import-{size[0]}")
    page.get_by_role("link", name=f"导入中心{tag}").click()
    page.wait_for_url("**/sites/*")
    assert f"导入中心{tag}" in page.locator("h1").inner_text()
    assert "正在开放" in page.locator(".status-box").inner_text()
    # The new sites are in the directory too.
    page.goto(f"/sites?q=导入驿站{tag}")
    assert page.locator("main").get_by_text(f"导入驿站{tag}-1").count() >= 1


def test_admin_import_with_a_bad_row_shows_where(page_nojs, admin):
    page = page_nojs
    log_in(page, admin)
    tag = str(next(_numbers))
    data = district_csv(tag).replace(b"121.41", b"12.41", 1)
    page.goto("/admin/data")
    page.set_input_files("#file", {"name": "d.csv", "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="检查并导入").click()
    assert "没有导入任何数据" in page.locator(".error-summary").inner_text()
    assert "经度 (longitude)" in page.locator(".errors-table").inner_text()
    page.goto(f"/sites?q=导入驿站{tag}")
    assert f"导入驿站{tag}" not in page.locator("main").inner_text()


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_admin_console_pages_are_accessible(new_page, admin, live_db_url, elder):
    app = make_app(live_db_url)
    with app.app_context():
        site = db.session.get(Site, 1)
        community = site.community
        ids = (community.street.district_id, community.street_id, community.id)
        db.engine.dispose()
    page = new_page()
    if elder:
        set_elder_mode(page)
    log_in(page, admin)
    mode = "elder" if elder else "normal"
    paths = ("/admin/", "/admin/places", f"/admin/districts/{ids[0]}",
             f"/admin/streets/{ids[1]}", f"/admin/communities/{ids[2]}", "/admin/data")  # fmt: skip
    for path in paths:
        page.goto(path)
        check_axe(page)
        screenshot(page, f"admin{path.rstrip('/').replace('/', '-')}-{mode}")
    # A refused site form, an import with problems and a finished import.
    page.goto(f"/admin/communities/{ids[2]}")
    page.get_by_role("button", name="添加", exact=True).first.click()
    page.wait_for_selector(".error-summary")
    check_axe(page)
    page.goto("/admin/data")
    bad = district_csv("x").replace(b"121.41", b"12.41", 1)
    page.set_input_files("#file", {"name": "d.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="检查并导入").click()
    page.wait_for_selector(".errors-table")
    check_axe(page)
    screenshot(page, f"admin-import-errors-{mode}")
    page.set_input_files("#file", {"name": "d.csv", "mimeType": "text/csv",
                                   "buffer": district_csv(f"a{next(_numbers)}")})  # fmt: skip
    page.get_by_role("button", name="检查并导入").click()
    page.wait_for_selector(".flash")
    check_axe(page)
