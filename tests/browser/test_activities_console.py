"""Activities a station runs, at phone size (390×844), JavaScript on and off.

A station worker publishes a weekly series from the station's volunteering
page; a volunteer standing at the station finds its weeks on /activities
with "near me" and the filters and signs up for two; the worker cancels the
second week with a reason; the volunteer's "my volunteering" shows the first
week as a coming shift and the second's cancellation with the reason. Every
new page passes axe-core in normal and elder mode (with JavaScript: axe runs
in the page).

The live server runs on the real clock: the series starts the day after
tomorrow. The module's accounts are its own (numbers from ``serial``).
"""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import Activity, ActivitySeries, Site, StaffScope, Team, User, VolunteerProfile
from tests.browser import check_axe, screenshot, serial, set_elder_mode
from tests.live import make_app

PASSWORD = "a-long-secret"
CENTER_ID = 1


@contextmanager
def database(live_db_url):
    app = make_app(live_db_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _account(prefix: str, name: str, *, real_name: str | None = None) -> str:
    user = User(mobile=f"{prefix}{next(serial):08d}", display_name=name,
                password_hash=generate_password_hash(PASSWORD))  # fmt: skip
    db.session.add(user)
    db.session.flush()
    if real_name:
        db.session.add(VolunteerProfile(user_id=user.id, real_name=real_name))
    return user


@pytest.fixture(scope="module")
def station(live_db_url):
    """A station of the first center, a team of the center, and workers of the station."""
    n = next(serial)
    with database(live_db_url):
        site = db.session.scalar(
            select(Site).where(Site.center_id == CENTER_ID).order_by(Site.id).limit(1)
        )
        team = Team(name=f"驿站助老队{n}", brand="暖心邻里", home_site_id=CENTER_ID)
        db.session.add(team)
        workers = [_account("135", f"驿站社工{i}") for i in range(3)]
        for worker in workers:
            db.session.add(StaffScope(user_id=worker.id, site_id=site.id))
        db.session.commit()
        found = {
            "id": site.id, "name": site.name, "lat": site.latitude, "lng": site.longitude,
            "team": team.id, "workers": [w.mobile for w in workers],
        }  # fmt: skip
    return found


def volunteer(live_db_url) -> str:
    with database(live_db_url):
        mobile = _account("137", "附近的志愿者", real_name="周志愿").mobile
        db.session.commit()
    return mobile


def log_in(page, mobile: str) -> None:
    page.goto("/login")
    page.fill("#mobile", mobile)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    page.wait_for_url("**/me")


def fits(page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def publish_series(page, station: dict, title: str, js: bool) -> None:
    """On the station's volunteering page: open "new weekly series", fill it in, publish."""
    day = clock.local().date() + timedelta(days=2)
    # From the staff home: the station's card, its volunteering page, its activities.
    page.goto("/staff/")
    page.locator(f"#site-{station['id']} a[href$='/volunteering']").click()
    page.wait_for_url(re.compile(r"/volunteering$"))
    expect(page.locator("h1")).to_have_text("志愿服务")
    fits(page)
    screenshot(page, f"volunteering-hub-{'js' if js else 'nojs'}")
    page.locator(f"a[href='/staff/sites/{station['id']}/volunteering/activities']").first.click()
    page.wait_for_url(re.compile(r"/volunteering/activities$"))
    form = page.locator("#new-series")
    form.locator("summary").click()
    page.fill("#series-title", title)
    page.select_option("#series-team_id", str(station["team"]))
    page.select_option("#series-category", "health_elderly")
    page.select_option("#series-weekday", str(day.weekday()))
    page.fill("#series-starts", "0900")  # as typed on a phone
    page.fill("#series-ends", "11:00")
    page.fill("#series-starts_on", day.isoformat())
    page.fill("#series-weeks", "4")
    page.fill("#series-places", "5")
    page.fill("#series-skills", "陪伴聊天")
    form.locator("form button.button").click()
    page.wait_for_url(re.compile(r"/volunteering/series/\d+$"))
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator(".series-weeks > li")).to_have_count(4)
    fits(page)
    screenshot(page, f"activities-series-{'js' if js else 'nojs'}")


def find_and_sign_up(page, station: dict, title: str, js: bool) -> list[str]:
    """ "Near me", then the filters; sign up for the first two weeks. Returns their URLs."""
    if js:
        page.goto("/activities")
        page.locator("[data-near-me]").click()
        page.wait_for_url(re.compile(r"lat=\d+"))
        page.select_option("#f-category", "health_elderly")  # htmx swaps the results
        expect(page).to_have_url(re.compile(r"category=health_elderly"))
        page.check("#f-open")
        expect(page).to_have_url(re.compile(r"open=1"))
    else:
        # Without JavaScript the location cannot be read: a link that carries it works.
        page.goto(f"/activities?lat={station['lat']}&lng={station['lng']}")
        page.select_option("#f-category", "health_elderly")
        page.check("#f-open")
        page.locator("#filters .actions button").click()
        page.wait_for_url(re.compile(r"category=health_elderly.*open=1|open=1.*category="))
    assert "lat=" in page.url
    ours = page.locator("#results .activity-card", has_text=title)
    expect(ours).to_have_count(4)
    # Nearest first: the station's own weeks lead, a few metres away (the phone's
    # position goes in the URL to five decimals).
    near = re.compile(r"^\d{1,2}\s*(米|m)$")
    expect(ours.first.locator(".distance")).to_have_text(near)
    expect(page.locator("#results .activity-card").first.locator(".distance")).to_have_text(near)
    fits(page)
    screenshot(page, f"activities-near-me-{'js' if js else 'nojs'}")
    links = [ours.nth(i).locator("h3 a").get_attribute("href") for i in range(2)]
    for link in links:
        page.goto(link)
        page.locator("#signup-box").get_by_role("button", name="报名", exact=True).click()
        expect(page.locator("#signup-box")).to_contain_text("已报名")
    return links


def cancel_week(page, station: dict, week_url: str, reason: str, js: bool) -> None:
    activity_id = week_url.rsplit("/", 1)[1]
    page.goto(f"/staff/sites/{station['id']}/volunteering/activities/{activity_id}")
    page.fill("#cancel-reason", reason)
    page.locator("#cancel form button").click()
    expect(page.locator(".notice-box")).to_contain_text(reason)
    expect(page.locator("#changes")).to_contain_text(reason)
    fits(page)
    screenshot(page, f"activities-cancelled-week-{'js' if js else 'nojs'}")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_station_runs_a_weekly_series_and_a_volunteer_hears_of_a_cancelled_week(
    new_page, live_db_url, station, js
):
    n = next(serial)
    title, reason = f"周六助老{n}", f"活动室检修{n}"
    worker = new_page(java_script_enabled=js)
    log_in(worker, station["workers"][0 if js else 1])
    publish_series(worker, station, title, js)

    place = {"latitude": station["lat"], "longitude": station["lng"]}
    person = new_page(java_script_enabled=js, geolocation=place, permissions=["geolocation"])
    log_in(person, volunteer(live_db_url))
    first, second = find_and_sign_up(person, station, title, js)

    cancel_week(worker, station, second, reason, js)

    person.goto("/me/volunteer")
    coming = person.locator("#coming")
    expect(coming.locator("li", has_text=title)).to_have_count(1)
    expect(coming.locator(f'a[href="{first}"]')).to_be_visible()
    change = person.locator("#changes li", has_text=title)
    expect(change).to_have_count(1)
    expect(change).to_contain_text(reason)
    expect(change.locator(f'a[href="{second}"]')).to_be_visible()
    # Coming shifts first, then the changes, then the history.
    order = person.evaluate(
        "['coming-title', 'changes-title', 'history-title'].map("
        "id => document.getElementById(id).getBoundingClientRect().top)"
    )
    assert order == sorted(order), order
    fits(person)
    screenshot(person, f"activities-my-volunteering-{'js' if js else 'nojs'}")

    person.goto(second)
    expect(person.locator(".notice-box")).to_contain_text(reason)
    with database(live_db_url):
        week = db.session.get(Activity, int(second.rsplit("/", 1)[1]))
        assert (week.status, week.cancel_reason, week.taken) == ("cancelled", reason, 1)
        series = db.session.scalar(select(ActivitySeries).where(ActivitySeries.title == title))
        assert [a.status for a in series.activities] == ["open", "cancelled", "open", "open"]


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_new_page_passes_axe(new_page, live_db_url, station, elder):
    n = next(serial)
    title = f"无障碍助老{n}"
    mode = "elder" if elder else "normal"
    worker = new_page()
    if elder:
        set_elder_mode(worker)
    log_in(worker, station["workers"][2])
    publish_series(worker, station, title, js=True)
    series_url = worker.url
    check_axe(worker)  # the series' weeks
    week = worker.locator(".series-weeks > li a").first.get_attribute("href")
    worker.goto(week)
    check_axe(worker)  # one week: places, change, cancel
    screenshot(worker, f"activities-staff-week-{mode}")
    worker.goto(f"/staff/sites/{station['id']}/volunteering")
    check_axe(worker)  # the volunteering console's front page
    screenshot(worker, f"volunteering-hub-{mode}")
    worker.goto(f"/staff/sites/{station['id']}/volunteering/activities")
    worker.locator("#new-activity summary").click()
    worker.locator("#new-series summary").click()
    check_axe(worker)  # the list, with both forms open
    fits(worker)
    screenshot(worker, f"activities-staff-list-{mode}")
    # A refused form: the messages beside their fields.
    worker.fill("#activity-title", "")
    worker.locator("#new-activity form button.button").click()
    expect(worker.locator("#new-activity .error-summary")).to_be_visible()
    check_axe(worker)
    screenshot(worker, f"activities-staff-refused-{mode}")
    worker.goto(series_url)
    worker.fill("#cancel-reason", "下雨")
    worker.locator("#cancel form button").click()
    expect(worker.locator(".series-weeks .is-cancelled")).to_have_count(4)
    check_axe(worker)

    place = {"latitude": station["lat"], "longitude": station["lng"]}
    person = new_page(geolocation=place, permissions=["geolocation"])
    if elder:
        set_elder_mode(person)
    log_in(person, volunteer(live_db_url))
    person.goto(f"/activities?lat={station['lat']}&lng={station['lng']}&when=week&open=1")
    check_axe(person)
    fits(person)
    screenshot(person, f"activities-list-{mode}")
    person.goto("/activities?category=health_elderly")
    link = person.locator("#results .activity-card h3 a").first.get_attribute("href")
    person.goto(link)
    check_axe(person)
    screenshot(person, f"activities-detail-{mode}")
    person.goto(week)
    check_axe(person)  # a cancelled week, with its reason
    person.goto("/me/volunteer")
    check_axe(person)
    person.goto(f"/sites/{station['id']}")
    expect(person.locator("#activities")).to_be_visible()
    check_axe(person)
    screenshot(person, f"activities-site-{mode}")
