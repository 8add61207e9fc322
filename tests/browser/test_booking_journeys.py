"""Booking journeys at phone size: book, see the code, cancel, book again,
check in at the desk, rate the visit. With JavaScript on and off."""

import re
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

import tests.browser as helpers
from app import clock
from app.extensions import db
from app.models import Booking, BookingRule, Service, Slot, StaffScope, User
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

_numbers = serial
PASSWORD = "a-long-secret"


@pytest.fixture(scope="module")
def clinic(live_db_url):
    """A service at the first center with a slot starting in a few minutes.

    The live server runs on the real clock, so the slot is made relative to
    now; no notice and no cancel cut-off, so the whole journey fits today.
    """
    app = make_app(live_db_url)
    with app.app_context():
        service = Service(site_id=1, category="health", name="测试理疗", bookable=True)
        db.session.add(service)
        db.session.flush()
        db.session.add(BookingRule(
            service_id=service.id, seat_limit=2, window_days=14, min_notice_minutes=0,
            cancel_cutoff_minutes=0, max_active=5, max_per_month=20, needs_approval=False,
        ))  # fmt: skip
        starts = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=5)
        slot = Slot(service_id=service.id, starts_at=starts, ends_at=starts + timedelta(hours=1),
                    capacity=20, taken=0)  # fmt: skip
        db.session.add(slot)
        # A worker of this center of its own, so these tests never compete with
        # others for the per-number login throttle of a shared demo account.
        staff = User(mobile=f"135{next(_numbers):08d}", display_name="测试站长",
                     password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add(staff)
        db.session.flush()
        db.session.add(StaffScope(user_id=staff.id, site_id=1))
        db.session.commit()
        ids = {"service": service.id, "slot": slot.id, "staff": staff.mobile}
        db.engine.dispose()
    return ids


def register(page, name="测试居民") -> str:
    mobile = f"136{next(_numbers):08d}"
    helpers.register(page, mobile, name, PASSWORD)
    return mobile


def book_first_time(page, clinic):
    page.goto(f"/services/{clinic['service']}")
    page.locator(f'form[action="/slots/{clinic["slot"]}/book"] button').click()
    page.wait_for_url(re.compile(r".*/bookings/\d+$"))
    return page.locator(".code").inner_text().replace(" ", "")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_book_see_code_cancel_and_book_again(request, clinic, js):
    page = request.getfixturevalue("page" if js else "page_nojs")
    register(page)
    code = book_first_time(page, clinic)
    assert re.fullmatch(r"\d{8}", code)
    assert page.locator("h1").inner_text() == "预约成功"
    assert page.locator(".qr svg[role=img]").count() == 1
    assert page.get_by_role("link", name=re.compile("加入手机日历")).count() == 1
    screenshot(page, f"booking-confirmation-{'js' if js else 'nojs'}")
    page.get_by_role("link", name="我的预约").click()
    page.wait_for_url("**/me/bookings")
    item = page.locator("li.booking", has_text="测试理疗")
    assert item.count() == 1
    if js:
        page.once("dialog", lambda dialog: dialog.accept())
        item.get_by_role("link", name="取消预约").click()
        page.wait_for_selector("li.booking .flash")
        assert "已取消" in page.locator("li.booking", has_text="测试理疗").inner_text()
    else:
        item.get_by_role("link", name="取消预约").click()
        page.wait_for_url("**/cancel")
        screenshot(page, "booking-cancel-confirm-nojs")
        page.get_by_role("button", name="确定取消").click()
        page.wait_for_url("**/me/bookings")
        assert "名额已让给其他居民" in page.content()
    screenshot(page, f"my-bookings-after-cancel-{'js' if js else 'nojs'}")
    again = book_first_time(page, clinic)
    assert again != code


def test_staff_check_in_and_resident_rates(page, new_page, clinic):
    register(page, "签到居民")
    code = book_first_time(page, clinic)
    staff = new_page()
    staff.goto("/login")
    staff.fill("#mobile", clinic["staff"])
    staff.fill("#password", PASSWORD)
    staff.click("main form button")
    staff.wait_for_url("**/me")
    staff.goto("/staff/sites/1/bookings")
    assert "签到居民" in staff.content()
    staff.fill("#code", code[:4] + " " + code[4:])
    staff.get_by_role("button", name="签到", exact=True).click()
    staff.wait_for_selector("#checkin .flash")
    assert "已签到：签到居民，测试理疗" in staff.locator("#checkin").inner_text()
    screenshot(staff, "staff-check-in")
    check_axe(staff)
    page.goto("/me/bookings")
    item = page.locator("li.booking", has_text="已签到")
    item.locator("label.star-choice", has_text="★★★★★").first.click()
    item.get_by_label("还想说点什么").fill("很耐心")
    # The page is /me/bookings before and after: wait for the new page itself.
    with page.expect_navigation():
        item.get_by_role("button", name="提交评价").click()
    assert "感谢您的评价" in page.content()
    assert (
        page.locator("li.booking .stars")
        .first.get_attribute("aria-label")
        .startswith("您给了 5 星")
    )
    page.goto("/sites/1")
    assert "满意度" in page.locator(".satisfaction").inner_text()


def test_full_slot_offers_the_waiting_list(page, clinic, live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        slot = db.session.get(Slot, clinic["slot"])
        full = Slot(service_id=clinic["service"], starts_at=slot.starts_at + timedelta(hours=2),
                    ends_at=slot.starts_at + timedelta(hours=3), capacity=1, taken=1)  # fmt: skip
        db.session.add(full)
        db.session.commit()
        full_id = full.id
        db.engine.dispose()
    register(page)
    page.goto(f"/services/{clinic['service']}")
    page.locator(f'form[action="/slots/{full_id}/book"] button', has_text="排队候补").click()
    page.wait_for_url(re.compile(r".*/bookings/\d+$"))
    assert page.locator("h1").inner_text() == "您已进入候补队列"
    with app.app_context():
        booking = db.session.query(Booking).filter_by(slot_id=full_id).one()
        assert booking.status == "waitlisted"
        db.engine.dispose()


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_booking_pages_are_accessible(page, new_page, clinic, elder):
    if elder:
        set_elder_mode(page)
    register(page)
    paths = [f"/services/{clinic['service']}"]
    page.goto(paths[0])
    check_axe(page)
    screenshot(page, f"service-page-{'elder' if elder else 'normal'}")
    book_first_time(page, clinic)
    check_axe(page)
    booking_path = page.url.split(page.url.split("/bookings/")[0])[1]
    for path in ("/me/bookings", booking_path + "/cancel"):
        page.goto(path)
        check_axe(page)
        screenshot(page, f"booking{path.replace('/', '-')}-{'elder' if elder else 'normal'}")
    staff = new_page()
    if elder:
        set_elder_mode(staff)
    staff.goto("/login")
    staff.fill("#mobile", clinic["staff"])
    staff.fill("#password", PASSWORD)
    staff.click("main form button")
    staff.wait_for_url("**/me")
    for path in (
        "/staff/sites/1",
        "/staff/sites/1/bookings",
        "/staff/sites/1/proxy-book",
        f"/staff/sites/1/services/{clinic['service']}/rules",
    ):
        staff.goto(path)
        check_axe(staff)
        screenshot(staff, f"staff{path.replace('/', '-')}-{'elder' if elder else 'normal'}")
