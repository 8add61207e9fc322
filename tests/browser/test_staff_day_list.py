"""The staff's day list of bookings on a phone (390×844), with JavaScript on and off:
a check-in by code changes the booking's row without a reload, "show number" comes
back to the list with the number shown, and a refusal shows inside the row that was
tapped. The list passes axe-core in normal and elder mode.

Everything is made through the live app's own pages. An admin adds two services to
the demo station, with times every 10 minutes today (one needs approval); in each
test a new resident registers and books both on the service pages, so no test
depends on which demo bookings fall on today. Each demo account logs in once (the
login throttle allows 5 a minute per number).
"""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

import tests.browser as helpers
from app import clock
from app.extensions import db
from app.models import Service, Site, Slot, StaffScope, User
from tests import factories as f
from tests.browser import SCREENSHOT_DIR, check_axe, screenshot, set_elder_mode
from tests.live import make_app

PASSWORD = "doorstep-demo"
CENTER_STAFF = "13800000003"
STATION_STAFF = "13800000004"
ADMIN = "13800000005"
TAG = uuid.uuid4().hex[:6]
DESK = f"测试签到{TAG}"
ROOM = f"测试活动室{TAG}"
STATUS_BOOKED = "这个预约的状态是：已预约。"


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("手机号").fill(mobile)
    form.get_by_label("密码", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def csrf(page) -> str:
    return page.locator("#csrf-token").input_value()


def post(page, path: str, data: dict) -> None:
    """A form POST in the page's session, as another tab of the same worker would."""
    response = page.request.post(path, form={"csrf_token": csrf(page), **data})
    assert response.ok, f"{path}: {response.status} {response.text()[:300]}"


def top_flashes(page) -> str:
    """The messages base.html shows at the top of <main>, off screen on a long list."""
    return " ".join(page.locator("main > .flash, main > .flash-error").all_inner_texts())


def screen(page, name: str) -> None:
    """What the phone shows right now (not the whole page): where the tap was."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


@pytest.fixture(scope="module")
def station(browser, live_server, live_db_url):
    """The station worker's demo station, with two services bookable today."""
    app = make_app(live_db_url)
    with app.app_context():
        worker = db.session.query(User).filter_by(mobile=STATION_STAFF).one()
        site_id = db.session.query(StaffScope).filter_by(user_id=worker.id).one().site_id
        assert db.session.get(Site, site_id).status == "open"
        db.session.remove()
        db.engine.dispose()
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    services = {}
    try:
        log_in(page, ADMIN)
        for name, category, approval in ((DESK, "health", False), (ROOM, "venue", True)):
            page.goto(f"/staff/sites/{site_id}/edit")
            form = page.locator(f'form[action="/staff/sites/{site_id}/services"]')
            post(page, f"/staff/sites/{site_id}/services", f.prefixed("service", {
                "version": form.locator('input[name="service-version"]').input_value(),
                "category": category, "name": name, "description": "", "bookable": "y",
            }))  # fmt: skip
            with app.app_context():
                query = db.session.query(Service).filter_by(site_id=site_id, name=name)
                services[name] = query.one().id
                db.session.remove()
                db.engine.dispose()
            rules = f"/staff/sites/{site_id}/services/{services[name]}/rules"
            page.goto(rules)
            post(page, rules, f.prefixed("rules", {
                "seat_limit": "2", "window_days": "1", "min_notice_minutes": "0",
                "cancel_cutoff_minutes": "0", "max_active": "20", "max_per_month": "50",
                **({"needs_approval": "y"} if approval else {}),
            }))  # fmt: skip
            post(page, f"/staff/sites/{site_id}/services/{services[name]}/slot-rules",
                 f.prefixed("times", {
                     "weekday": str(clock.today().weekday()), "starts": "00:00", "ends": "24:00",
                     "slot_minutes": "10", "capacity": "20",
                 }))  # fmt: skip
    finally:
        context.close()
    return {"site": site_id, "db": live_db_url, **services}


def next_slot(db_url: str, service_id: int) -> int:
    """The service's first slot that starts at least two minutes from now (today)."""
    app = make_app(db_url)
    with app.app_context():
        slot_id = (
            db.session.query(Slot.id)
            .filter(Slot.service_id == service_id,
                    Slot.starts_at > clock.now() + timedelta(minutes=2))
            .order_by(Slot.starts_at)
            .first()
        )[0]  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return slot_id


def resident_books(new_page, station) -> tuple[dict, dict]:
    """A new resident registers and books the desk and the room (it waits for approval)."""
    page = new_page()
    name, mobile = f"居民{uuid.uuid4().hex[:4]}", f"139{uuid.uuid4().int % 10**8:08d}"
    helpers.register(page, mobile, name, "a-long-secret")
    booked = []
    for service in (DESK, ROOM):
        slot_id = next_slot(station["db"], station[service])
        page.goto(f"/services/{station[service]}")
        page.locator(f'form[action="/slots/{slot_id}/book"] button').click()
        page.wait_for_url(re.compile(r"/bookings/\d+$"))
        booked.append({
            "name": name, "mobile": mobile, "id": page.url.rsplit("/", 1)[1],
            "code": page.locator(".code").inner_text().replace(" ", ""),
        })  # fmt: skip
    return booked[0], booked[1]


def test_check_in_changes_the_row_and_a_refusal_shows_in_it(page, new_page, station):
    site_id = station["site"]
    visitor, waiting = resident_books(new_page, station)
    log_in(page, STATION_STAFF)
    page.goto(f"/staff/sites/{site_id}/bookings")
    row = page.locator(f"#booking-{visitor['id']}")
    expect(row).to_contain_text(visitor["name"])
    expect(row.locator(".badge")).to_have_text("已预约")
    page.evaluate("window.notReloaded = true")

    page.locator("#code").fill(visitor["code"][:4] + " " + visitor["code"][4:])
    page.get_by_role("button", name="签到", exact=True).click()
    expect(row.locator(".badge")).to_have_text("已签到")
    expect(page.locator("#checkin .flash")).to_contain_text(f"已签到：{visitor['name']}")
    assert page.evaluate("window.notReloaded") is True  # swapped in place, no reload
    expect(row.get_by_role("button", name="未到")).to_have_count(0)
    expect(page.locator("#code")).to_have_value("")  # ready for the next resident

    # Another worker approves the room booking; this page still offers "decline".
    pending = page.locator(f"#booking-{waiting['id']}")
    expect(pending.locator(".badge")).to_have_text("待审核")
    post(page, f"/staff/sites/{site_id}/bookings/{waiting['id']}/decide", {"decision": "approve"})
    pending.get_by_role("button", name="不同意").click()
    expect(pending.locator(".form-error")).to_have_text(STATUS_BOOKED)
    expect(pending.locator(".badge")).to_have_text("已预约")
    expect(pending.locator(".form-error")).to_be_in_viewport()
    assert page.evaluate("window.notReloaded") is True
    assert STATUS_BOOKED not in top_flashes(page)
    screen(page, "staff-day-list-js-refusal")
    screenshot(page, "staff-day-list-js")

    check_axe(page)
    set_elder_mode(page)
    page.reload()
    expect(page.locator("html.elder")).to_have_count(1)
    check_axe(page)
    screenshot(page, "staff-day-list-elder")


def test_without_javascript_show_number_and_a_refusal_come_back_to_the_row(
    page_nojs, new_page, station
):
    page, site_id = page_nojs, station["site"]
    visitor, waiting = resident_books(new_page, station)
    log_in(page, CENTER_STAFF)  # the center's manager also runs its stations
    page.goto(f"/staff/sites/{site_id}/bookings")
    row = page.locator(f"#booking-{visitor['id']}")
    expect(row).to_contain_text(visitor["name"])
    expect(row).not_to_contain_text(visitor["mobile"])
    row.get_by_role("button", name="显示号码").click()
    page.wait_for_url(re.compile(rf"/bookings\?date=[\d-]+#booking-{visitor['id']}$"))
    expect(row.locator(f'a[href="tel:{visitor["mobile"]}"]')).to_have_text(visitor["mobile"])
    expect(page.locator('main a[href^="tel:"]')).to_have_count(1)  # that booking's only
    expect(row.locator("a[href^='tel:']")).to_be_in_viewport()  # back where the tap was
    screen(page, "staff-day-list-nojs-number")

    pending = page.locator(f"#booking-{waiting['id']}")
    post(page, f"/staff/sites/{site_id}/bookings/{waiting['id']}/decide", {"decision": "approve"})
    pending.get_by_role("button", name="不同意").click()
    page.wait_for_url(re.compile(rf"/bookings\?date=[\d-]+#booking-{waiting['id']}$"))
    expect(pending.locator(".form-error")).to_have_text(STATUS_BOOKED)
    expect(pending.locator(".form-error")).to_be_in_viewport()
    assert top_flashes(page) == ""
    assert page.locator("main .form-error").count() == 1
    screen(page, "staff-day-list-nojs-refusal")
    set_elder_mode(page)
    page.reload()
    expect(pending.locator(".form-error")).to_have_count(0)  # shown once
    expect(row).not_to_contain_text(visitor["mobile"])  # and the number is masked again
    screenshot(page, "staff-day-list-nojs-elder")
