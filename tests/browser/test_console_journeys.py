"""The staff console at phone and desk size: change the hours and see "open now"
follow; edit the listing; every console page passes axe."""

import itertools
import re

import pytest
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import OpeningInterval, Site, StaffScope, User
from tests.browser import check_axe, screenshot, set_elder_mode
from tests.live import make_app

_numbers = itertools.count(int(clock.now().timestamp()) % 10_000_000)
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
        staff = User(mobile=f"132{next(_numbers):08d}", display_name="驿站社工",
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add(staff)
        db.session.flush()
        db.session.add(StaffScope(user_id=staff.id, site_id=site.id))
        db.session.commit()
        ids = {"site": site.id, "staff": staff.mobile}
        db.engine.dispose()
    return ids


def log_in(page, mobile):
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "desk"])
def test_changing_the_hours_changes_open_now(new_page, station, size):
    page = new_page(viewport={"width": size[0], "height": size[1]})
    log_in(page, station["staff"])
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
    page.select_option("#weekday", str(today))
    page.fill("#opens", "00:00")
    page.fill("#closes", "24:00")
    page.locator("#hours").get_by_role("button", name="添加", exact=True).click()
    page.wait_for_selector(".flash")
    page.goto(f"/sites/{site_id}")
    assert "正在开放" in page.locator(".status-box").inner_text()


def test_bad_hours_show_the_error_and_focus_it(page, station):
    log_in(page, station["staff"])
    page.goto(f"/staff/sites/{station['site']}/edit")
    page.fill("#opens", "18:00")
    page.fill("#closes", "09:00")
    page.locator("#hours").get_by_role("button", name="添加", exact=True).click()
    summary = page.locator("#hours .error-summary")
    assert "关门时间必须晚于开门时间" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#closes"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    screenshot(page, "console-edit-error")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_console_pages_are_accessible(new_page, station, elder):
    page = new_page()
    if elder:
        set_elder_mode(page)
    log_in(page, station["staff"])
    for path in (
        "/staff/",
        f"/staff/sites/{station['site']}",
        f"/staff/sites/{station['site']}/edit",
    ):
        page.goto(path)
        check_axe(page)
        screenshot(
            page, f"console{path.rstrip('/').replace('/', '-')}-{'elder' if elder else 'normal'}"
        )
