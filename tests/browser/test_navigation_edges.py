"""The edges of boosted navigation on a phone: where a new page opens, what
Back restores, downloads, a refused form and a reload, the date chips, and a
top navigation that fits at 360 px in every state.

Each test logs in with an account of its own (logins are throttled per number),
made in the database for the test, so none competes with the demo accounts.
"""

import csv
import io
import itertools
import re
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import BookingRule, OpeningInterval, Service, Site, Slot, StaffScope, User
from app.sites import sites_csv
from tests.browser import check_axe, screenshot, serial, set_elder_mode, set_language
from tests.live import make_app

_numbers = serial
PASSWORD = "a-long-secret"
UTF8_BOM = b"\xef\xbb\xbf"


# --- Data of this module ------------------------------------------------------------------


def _local(day, hour: int) -> datetime:
    """``hour`` o'clock on ``day`` in Beijing time, as the UTC the database keeps."""
    return datetime.combine(day, time(hour), tzinfo=clock.LOCAL_TZ).astimezone(UTC)


def _service(site_id: int, name: str, *, max_active: int = 5) -> Service:
    service = Service(site_id=site_id, category="health", name=name, bookable=True)
    db.session.add(service)
    db.session.flush()
    db.session.add(BookingRule(
        service_id=service.id, seat_limit=2, window_days=14, min_notice_minutes=0,
        cancel_cutoff_minutes=0, max_active=max_active, max_per_month=20, needs_approval=False,
    ))  # fmt: skip
    return service


def _slots(service: Service, day, hours) -> list[Slot]:
    slots = [
        Slot(
            service_id=service.id,
            starts_at=_local(day, h),
            ends_at=_local(day, h + 1),
            capacity=10,
            taken=0,
        )  # fmt: skip
        for h in hours
    ]
    db.session.add_all(slots)
    return slots


@pytest.fixture(scope="module")
def desk(live_db_url):
    """A station open every day with three bookable services, all from tomorrow on
    (the live server runs on the real clock, so days are relative to today):

    - ``long``: eight times tomorrow (a page that scrolls) and one the day after;
    - ``limited``: at most one active booking, two times tomorrow.
    """
    app = make_app(live_db_url)
    with app.app_context():
        center = db.session.get(Site, 1)
        site = Site(
            code=f"EDGE-{next(_numbers)}", community_id=center.community_id, kind="station",
            station_type="convenience", center_id=center.id, name="边角测试驿站",
            address="边角路9号", latitude=center.latitude, longitude=center.longitude,
            search_text="边角测试驿站 边角路9号",
        )  # fmt: skip
        site.opening_intervals = [
            OpeningInterval(weekday=d, opens_min=0, closes_min=1440) for d in range(7)
        ]
        db.session.add(site)
        db.session.flush()
        tomorrow = clock.local(clock.now()).date() + timedelta(days=1)
        long = _service(site.id, "边角理疗")
        _slots(long, tomorrow, range(8, 16))
        _slots(long, tomorrow + timedelta(days=1), [10])
        limited = _service(site.id, "边角咨询", max_active=1)
        first, second = _slots(limited, tomorrow, [9, 11])
        db.session.commit()
        ids = {
            "site": site.id,
            "long": long.id,
            "limited": limited.id,
            "limited_slots": (first.id, second.id),
            "days": (tomorrow.isoformat(), (tomorrow + timedelta(days=1)).isoformat()),
        }
        db.engine.dispose()
    return ids


def new_account(db_url: str, role: str = "resident") -> str:
    """A fresh account of ``role`` (resident, staff of site 1, or admin); its number."""
    app = make_app(db_url)
    with app.app_context():
        user = User(mobile=f"137{next(_numbers):08d}", display_name=f"边角{role}",
                    is_admin=role == "admin",
                    password_hash=generate_password_hash(PASSWORD))  # fmt: skip
        db.session.add(user)
        db.session.flush()
        if role == "staff":
            db.session.add(StaffScope(user_id=user.id, site_id=1))
        db.session.commit()
        mobile = user.mobile
        db.engine.dispose()
    return mobile


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def watch_swaps(page) -> None:
    """Count settled htmx swaps in ``window.__settled``: htmx moves the scroll
    right after htmx:afterSettle, so a task queued then runs once it has."""
    page.evaluate(
        """() => {
            window.__settled = 0;
            document.body.addEventListener("htmx:afterSettle", () => {
                setTimeout(() => { window.__settled += 1; }, 0);
            });
        }"""
    )


def wait_for_swap(page, count: int = 1) -> None:
    page.wait_for_function("n => window.__settled >= n", arg=count)


def scroll_y(page) -> float:
    return page.evaluate("window.scrollY")


# --- 1. A boosted link opens the next page at its top; Back restores the scroll ----------


def test_boosted_link_opens_the_next_page_at_the_top_and_back_restores_the_scroll(page):
    page.goto("/sites")
    card = page.locator("#results .site-card .card-title a").last
    card.scroll_into_view_if_needed()
    before = scroll_y(page)
    assert before > 1000, "the last card of a page of results is far down"
    name = card.inner_text()
    watch_swaps(page)
    card.click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    wait_for_swap(page)
    expect(page.locator("h1")).to_have_text(name)
    assert scroll_y(page) == 0, "a boosted link opens the new page at its top, as a plain link"

    page.go_back()
    page.wait_for_url(re.compile(r"/sites$"))
    expect(page.locator("#results .site-card").last).to_be_attached()
    # htmx puts the scroll back from its history cache in a timer after the swap.
    page.wait_for_function("y => Math.abs(window.scrollY - y) <= 1", arg=before)
    expect(page.locator("#results .site-card .card-title a").last).to_be_in_viewport()


def test_elder_mode_booking_confirmation_shows_the_code_at_the_top(page, desk, live_db_url):
    set_elder_mode(page)
    log_in(page, new_account(live_db_url))
    page.goto(f"/services/{desk['long']}?date={desk['days'][0]}")
    last = page.locator("#slots form.slot-form button").last
    last.scroll_into_view_if_needed()
    assert scroll_y(page) > 300, "the last time of a long day is far down in elder mode"
    watch_swaps(page)
    last.click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))
    wait_for_swap(page)
    assert scroll_y(page) == 0
    code = page.locator(".code")
    box = code.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
    screenshot(page, "edges-booking-confirmation-elder")


# --- 2. Every download downloads, with JavaScript on and off -------------------------------


def _is_opted_out_of_boost(locator) -> bool:
    """htmx boosts an element unless its closest hx-boost says false."""
    return locator.evaluate("el => el.closest('[hx-boost]').getAttribute('hx-boost') === 'false'")


def _download(page, click) -> bytes:
    with page.expect_download(timeout=5_000) as info:
        click()
    path = info.value.path()
    with open(path, "rb") as file:
        return file.read()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_admin_csv_downloads_download(request, js, live_db_url):
    page = request.getfixturevalue("page" if js else "page_nojs")
    log_in(page, new_account(live_db_url, "admin"))
    page.goto("/admin/data")
    header = ",".join(sites_csv.header(True)).encode()

    template = _download(page, page.locator('a[href="/admin/import/template.csv"]').click)
    assert template.startswith(UTF8_BOM + header + b"\r\n")
    sites = _download(page, page.locator('a[href="/admin/export/sites.csv"]').click)
    assert sites.startswith(UTF8_BOM + header + b"\r\n")
    rows = list(csv.reader(io.StringIO(sites.decode("utf-8-sig"))))
    assert len(rows) > 10, "every demo site is exported"
    assert urlparse(page.url).path == "/admin/data", "the page stays where it was"

    page.fill("#bookings-site", "1")
    bookings = _download(page, page.get_by_role("button", name="下载预约").click)
    assert bookings.startswith(UTF8_BOM)
    hours = _download(page, page.get_by_role("button", name="下载志愿时长").click)
    assert hours.startswith(UTF8_BOM)
    expect(page.locator("h1")).to_have_text("导入和导出")

    # Each of them opts out of boosting: a boosted one would fetch the file into the page.
    downloads = page.locator("main a[download], main form[action*='/export/']")
    assert downloads.count() == 4
    for i in range(downloads.count()):
        assert _is_opted_out_of_boost(downloads.nth(i)), downloads.nth(i).evaluate(
            "el => el.outerHTML"
        )

    page.goto("/me")
    mine = _download(page, page.locator('main a[href="/me/export"]').click)
    assert mine.lstrip().startswith(b"{")


# --- 3. A refused form keeps the page's own URL, so a reload shows the page ---------------


def test_reload_after_a_refused_booking_shows_the_service_page(page, desk, live_db_url):
    log_in(page, new_account(live_db_url))
    first, second = desk["limited_slots"]
    service_url = f"/services/{desk['limited']}?date={desk['days'][0]}"
    page.goto(service_url)
    page.locator(f'form[action="/slots/{first}/book"] button').click()
    page.wait_for_url(re.compile(r"/bookings/\d+$"))

    page.goto(service_url)
    with page.expect_response(lambda r: r.url.endswith(f"/slots/{second}/book")) as refused:
        page.locator(f'form[action="/slots/{second}/book"] button').click()
    assert refused.value.status == 422
    expect(page.locator("#slots .form-error")).to_contain_text("已达上限")
    url = urlparse(page.url)
    assert (url.path, url.query) == (f"/services/{desk['limited']}", f"date={desk['days'][0]}")

    response = page.reload()
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("边角咨询")


# --- 4. The chosen date chip is marked after a swap too -----------------------------------


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_chosen_date_chip_is_marked(request, js, desk):
    page = request.getfixturevalue("page" if js else "page_nojs")
    page.goto(f"/services/{desk['long']}")
    chips = page.locator(".date-chips a.chip")
    assert chips.count() == 2
    expect(chips.nth(0)).to_have_attribute("aria-current", "date")
    expect(page.locator("#slots .slot")).to_have_count(8)

    chips.nth(1).click()
    page.wait_for_url(re.compile(rf"date={desk['days'][1]}$"))
    expect(page.locator("#slots .slot")).to_have_count(1)
    expect(chips.nth(1)).to_have_attribute("aria-current", "date")
    expect(chips.nth(0)).not_to_have_attribute("aria-current", "date")
    assert page.locator("[aria-current=date]").count() == 1
    if js:
        # The chip tapped keeps the focus across the swap (for keyboards and readers).
        expect(chips.nth(1)).to_be_focused()


# --- 5. The top navigation fits at 360 px; elder mode keeps "open now" -------------------

NAV_LINKS = {
    "anonymous": (4, 4),
    "resident": (4, 4),
    "staff": (5, 4),
    "admin": (6, 4),
}


@pytest.mark.parametrize("role", list(NAV_LINKS))
def test_the_top_navigation_fits_in_every_state(new_page, live_db_url, role):
    page = new_page(viewport={"width": 360, "height": 800})
    if role != "anonymous":
        log_in(page, new_account(live_db_url, role))
    for language, elder, width in itertools.product(("en", "zh"), (False, True), (360, 390)):
        set_language(page, language)
        set_elder_mode(page, elder)
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/sites")
        state = f"{role} {language} {'elder' if elder else 'normal'} {width}px"
        links = page.evaluate(
            """() => [...document.querySelectorAll(
                    ".site-header a, .site-header button")].map(el => {
                const box = el.getBoundingClientRect();
                return {text: el.innerText, left: box.left, right: box.right,
                        scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
                        nav: !!el.closest(".main-nav")};
            })"""
        )
        nav = [link for link in links if link["nav"]]
        assert len(nav) == NAV_LINKS[role][elder], (state, nav)
        for link in links:
            assert link["left"] >= 0 and link["right"] <= width, (state, link)
            assert link["scrollWidth"] <= link["clientWidth"], (state, link)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, state
        if elder:
            expect(page.locator("#f-open")).to_be_visible()
        if width == 360 and language == "en":
            screenshot(page, f"edges-nav-{role}-{'elder' if elder else 'normal'}-360-en")


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_open_now_filter_works_in_elder_mode_too(page, elder):
    set_elder_mode(page, elder)
    page.goto("/sites")
    toggle = page.locator("#f-open")
    expect(toggle).to_be_visible()
    box = toggle.bounding_box()
    assert box and box["height"] >= (32 if elder else 24), box
    page.locator("label[for=f-open]").click()
    page.wait_for_url(re.compile(r"open_now=1"))
    expect(toggle).to_be_checked()
    expect(page.locator("#results-title")).to_be_visible()
    mode = "elder" if elder else "normal"
    screenshot(page, f"edges-sites-open-now-{mode}")
    check_axe(page)


# --- The pages whose markup changed stay accessible ----------------------------------------


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_changed_pages_are_accessible(page, desk, elder):
    mode = "elder" if elder else "normal"
    set_elder_mode(page, elder)
    for path in ("/", f"/sites/{desk['site']}", "/activities"):
        page.goto(path)
        check_axe(page)
    page.goto(f"/services/{desk['long']}")
    page.locator(".date-chips a.chip").nth(1).click()
    expect(page.locator(".date-chips a.chip").nth(1)).to_have_attribute("aria-current", "date")
    check_axe(page)
    screenshot(page, f"edges-service-second-day-{mode}")
