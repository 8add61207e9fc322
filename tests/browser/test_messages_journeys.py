"""Proving a number, messages and closures on a phone (390×844), JavaScript on
and off, in normal and elder mode:

- a resident whom staff booked at the desk takes the account over with "forgot
  the password" and finds the booking;
- a resident registers with a code, books, reads the message in the inbox,
  marks it read, turns one kind of text message off, changes the number with a
  code to the new one, and deletes the account;
- a worker closes a site for a day that has a booking: the portal asks first,
  the worker cancels and tells, and the resident reads the worker's words.

Every page on the way passes axe-core (with JavaScript: axe runs in the page).
The live server runs on the real clock: what is booked is two days from now.
The accounts and the site are the module's own (numbers from ``serial``).
"""

import re
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import tests.browser as helpers
from app import clock
from app.clock import LOCAL_TZ
from app.extensions import db
from app.models import Booking, NotificationPreference, StaffScope, User
from tests import factories as f
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
MODES = [("js", "normal"), ("nojs", "normal"), ("js", "elder")]
MODE_IDS = ["js", "nojs", "js-elder"]


@contextmanager
def database(live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def number(prefix: str = "133") -> str:
    return f"{prefix}{next(serial):08d}"


@pytest.fixture(scope="module")
def place(live_db_url):
    """A center of its own with a bookable desk, two days from now, and its worker."""
    day = clock.today() + timedelta(days=2)
    with database(live_db_url):
        site = f.site(name=f"消息测试中心{next(serial)}")
        service = f.bookable_service(site, name="法律咨询", rule={"max_active": 5})
        slots = [
            f.slot(service, datetime.combine(day, time(9 + i), tzinfo=LOCAL_TZ), capacity=9).id
            for i in range(6)
        ]
        worker = User(mobile=number("135"), display_name="消息社工",
                      password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add(worker)
        db.session.flush()
        db.session.add(StaffScope(user_id=worker.id, site_id=site.id))
        db.session.commit()
        return {"site": site.id, "service": service.id, "slots": slots, "day": day,
                "worker": worker.mobile}  # fmt: skip


def open_page(new_page, js: str, mode: str):
    page = new_page(java_script_enabled=js == "js")
    if mode == "elder":
        set_elder_mode(page)
    return page


def axe(page, js: str) -> None:
    if js == "js":
        check_axe(page)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def log_in(page, mobile: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", password)
    page.click("main form button")
    page.wait_for_url(re.compile(r"/me$"))


def book(page, place, slot_id: int) -> str:
    page.goto(f"/services/{place['service']}?date={place['day'].isoformat()}")
    page.locator(f'form[action="/slots/{slot_id}/book"] button').click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))
    return page.locator(".code").inner_text().replace(" ", "")


@pytest.mark.parametrize(("js", "mode"), MODES, ids=MODE_IDS)
def test_a_desk_account_is_taken_over_with_a_code(new_page, live_db_url, place, js, mode):
    mobile = number()
    with database(live_db_url):
        from app.bookings.service import book_slot

        desk = User(mobile=mobile, display_name="柜台居民", password_hash="",
                    created_by_staff=True)  # fmt: skip
        db.session.add(desk)
        db.session.commit()
        code = book_slot(desk, place["slots"][0]).booking.code_display.replace(" ", "")
    page = open_page(new_page, js, mode)
    page.goto("/login")
    page.locator('main a[href="/password/forgot"]').click()
    page.wait_for_url("**/password/forgot")
    axe(page, js)
    page.fill("#mobile", mobile)
    page.click("main form button")
    page.wait_for_url("**/password/reset")
    expect(page.locator(".flash, [role=status]").first).to_be_visible()
    axe(page, js)
    fits(page)
    screenshot(page, f"messages-reset-{js}-{mode}")
    page.fill("#code", helpers.code_sent_to(mobile))
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me/bookings")
    expect(page.locator("body")).to_contain_text("归您")
    expect(page.locator("main")).to_contain_text(code[:4])
    screenshot(page, f"messages-claimed-{js}-{mode}")
    page.goto("/me")
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(re.compile(r"/$"))
    log_in(page, mobile)  # the new password works


@pytest.mark.parametrize(("js", "mode"), MODES, ids=MODE_IDS)
def test_inbox_settings_new_number_and_deletion(new_page, live_db_url, place, js, mode):
    mobile, new = number(), number()
    page = open_page(new_page, js, mode)
    response = helpers.register(page, mobile, "消息居民", PASSWORD)
    assert response.status == 303
    book(page, place, place["slots"][1])
    # The inbox: the booking's message, unread until marked.
    page.goto("/me")
    expect(page.locator(".unread-count")).to_be_visible()
    page.locator('main a[href="/me/messages"]').click()
    page.wait_for_url("**/me/messages")
    expect(page.locator("main")).to_contain_text("预约成功")
    expect(page.locator("main")).to_contain_text("法律咨询")
    axe(page, js)
    fits(page)
    screenshot(page, f"messages-inbox-{js}-{mode}")
    page.locator('form[action="/me/messages/read"] button').click()
    page.wait_for_url("**/me/messages")
    expect(page.locator(".unread-count")).to_have_count(0)
    # Text message settings: turn booking confirmations off.
    page.goto("/me/messages/settings")
    axe(page, js)
    page.uncheck("#sms-booking_confirmed")
    page.locator("main form button").click()
    page.wait_for_url("**/me/messages/settings")
    expect(page.locator("#sms-booking_confirmed")).not_to_be_checked()
    expect(page.locator("#sms-booking_cancelled")).to_be_checked()
    screenshot(page, f"messages-settings-{js}-{mode}")
    with database(live_db_url):
        user_id = db.session.scalar(select(User.id).where(User.mobile == mobile))
        choice = db.session.scalar(
            select(NotificationPreference.sms).where(
                NotificationPreference.user_id == user_id,
                NotificationPreference.kind == "booking_confirmed",
            )
        )
        assert choice is False
    # A new number: a code to it, then the password.
    page.goto("/me")
    page.locator('main a[href="/me/mobile"]').click()
    page.wait_for_url("**/me/mobile")
    axe(page, js)
    page.fill("#mobile", new)
    page.click("main form button")
    page.wait_for_url("**/me/mobile/confirm")
    axe(page, js)
    fits(page)
    screenshot(page, f"messages-new-number-{js}-{mode}")
    page.fill("#code", helpers.code_sent_to(new))
    page.fill("#password", PASSWORD)
    page.locator("main form button.button").first.click()
    page.wait_for_url(re.compile(r"/me$"))
    expect(page.locator(".facts")).to_contain_text(new)
    # Deleting the account: the booking is let go, and the number logs in no more.
    page.goto("/me/delete")
    page.fill("#password", PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/$"))
    screenshot(page, f"messages-deleted-{js}-{mode}")
    with database(live_db_url):
        statuses = db.session.scalars(select(Booking.status).where(Booking.user_id == user_id))
        assert list(statuses) == ["cancelled"]
    page.goto("/login")
    page.fill("#mobile", new)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    expect(page.get_by_role("alert")).to_be_visible()


@pytest.mark.parametrize(("js", "mode"), MODES, ids=MODE_IDS)
def test_a_closure_asks_first_then_tells_each_person(new_page, live_db_url, place, js, mode):
    index = MODES.index((js, mode))
    slot_id = place["slots"][2 + index]
    resident = open_page(new_page, "js", "normal")
    helpers.register(resident, number(), "闭馆居民", PASSWORD)
    book(resident, place, slot_id)
    day = place["day"].isoformat()
    worker = open_page(new_page, js, mode)
    log_in(worker, place["worker"])
    worker.goto(f"/staff/sites/{place['site']}/edit#special-days")
    worker.select_option("#special-kind", "closed")
    worker.fill("#special-starts_on", day)
    worker.fill("#special-ends_on", day)
    worker.fill("#special-note", "停电检修")
    worker.locator('form[action$="/special-days"] button').click()
    expect(worker.locator("h1")).to_have_text("关闭之前")
    axe(worker, js)
    fits(worker)
    screenshot(worker, f"messages-closure-confirm-{js}-{mode}")
    worker.check("input[name='affected-then'][value='cancel']")
    worker.fill("#affected-message", "停电检修，请改日再约")
    worker.locator("main form button.button").first.click()
    worker.wait_for_url(re.compile(r"/edit"))
    expect(worker.locator("body")).to_contain_text("已取消")
    screenshot(worker, f"messages-closure-done-{js}-{mode}")
    resident.goto("/me/messages")
    expect(resident.locator("main")).to_contain_text("停电检修，请改日再约")
    # Open the day again for the next run (each run books an hour of its own).
    with database(live_db_url):
        from app.models import SpecialDay

        for special in db.session.scalars(
            select(SpecialDay).where(SpecialDay.site_id == place["site"])
        ):
            db.session.delete(special)
        db.session.commit()
