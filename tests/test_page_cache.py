"""The page cache for visitors who are not logged in: what it serves, what it
never serves, and that a change anywhere retires every copy at once."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.bookings.service import BookingError, book_slot, cancel_booking
from app.extensions import db
from app.models import ContentGeneration, Site
from app.page_cache import HEADER, PageCache
from app.volunteers.points import redeem
from app.volunteers.signups import sign_up

from . import factories as f


@pytest.fixture
def cached(app):
    """The test app with the page cache on, and a site to look at."""
    app.extensions["page_cache"] = PageCache(seconds=30, size=64)
    site = f.site(name="东方社区党群服务中心")
    db.session.commit()
    return site


def generation() -> int:
    db.session.rollback()
    return db.session.scalar(select(ContentGeneration.value))


@pytest.mark.parametrize("path", ["/", "/sites", "/sites?q=东方", "/sites/{id}", "/activities"])
def test_second_anonymous_visit_is_served_from_the_cache(app, client, cached, path):
    url = path.format(id=cached.id)
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert (first.headers[HEADER], second.headers[HEADER]) == ("miss", "hit")
    assert first.data == second.data
    # Cached pages carry no CSRF token and set no cookie.
    assert "csrf" not in first.text and "Set-Cookie" not in first.headers
    assert "Set-Cookie" not in second.headers


def test_a_staff_change_retires_every_copy_at_once(app, client, cached, auth):
    url = f"/sites/{cached.id}"
    assert client.get(url).headers[HEADER] == "miss"
    assert client.get(url).headers[HEADER] == "hit"
    before = generation()

    staff_client = app.test_client()
    staff = f.user("站长", staff_of=(db.session.get(Site, cached.id),))
    db.session.commit()
    staff_client.post("/login", data={"mobile": staff.mobile, "password": f.PASSWORD})
    response = staff_client.post(
        f"/staff/sites/{cached.id}/close", data={f"site{cached.id}-close-reason": "水管维修"}
    )
    assert response.status_code == 303
    assert generation() == before + 1

    page = client.get(url)
    assert page.headers[HEADER] == "miss" and "水管维修" in page.text
    assert client.get("/sites").headers[HEADER] == "miss"  # the list too


def test_changes_made_in_code_also_move_the_generation(app, client, cached):
    client.get("/")
    before = generation()
    f.notice(db.session.get(Site, cached.id), "新公告", clock.today())
    db.session.commit()
    assert generation() == before + 1
    assert client.get("/").headers[HEADER] == "miss"


@pytest.fixture
def service_page(app, client, cached):
    """A bookable service at the cached site, its page cached, and a resident."""
    service = f.bookable_service(db.session.get(Site, cached.id), rule={"seat_limit": 1})
    slot = f.slot(service, clock.now() + timedelta(days=1), capacity=5)
    resident = f.user("居民")
    db.session.commit()
    url = f"/services/{service.id}"
    assert client.get(url).headers[HEADER] == "miss"
    assert client.get(url).headers[HEADER] == "hit"
    return {"url": url, "slot_id": slot.id, "service_id": service.id, "resident": resident}


def test_a_booking_retires_the_service_page(client, service_page):
    """Seats move by a conditional UPDATE that loads no object: it still counts."""
    before = generation()
    outcome = book_slot(service_page["resident"], service_page["slot_id"])
    assert outcome.booking.status == "booked"
    assert generation() == before + 1
    page = client.get(service_page["url"])
    assert page.headers[HEADER] == "miss" and "剩 4 个名额" in page.text


def test_a_cancellation_retires_the_service_page(client, service_page):
    booking = book_slot(service_page["resident"], service_page["slot_id"]).booking
    client.get(service_page["url"])
    assert client.get(service_page["url"]).headers[HEADER] == "hit"
    before = generation()
    cancel_booking(booking.id, service_page["resident"])
    assert generation() == before + 1
    page = client.get(service_page["url"])
    assert page.headers[HEADER] == "miss" and "剩 5 个名额" in page.text


def test_a_sign_up_retires_the_activity_pages(app, client, cached):
    site = db.session.get(Site, cached.id)
    team = f.team(site)
    activity = f.activity(
        site, clock.now() + timedelta(days=2), places=3, title="敲门行动", team_obj=team
    )
    volunteer = f.volunteer("小李")
    db.session.commit()
    for url in ("/activities", "/"):
        client.get(url)
        assert client.get(url).headers[HEADER] == "hit"
    before = generation()
    sign_up(volunteer, activity.id)
    assert generation() == before + 1
    page = client.get("/activities")
    assert page.headers[HEADER] == "miss" and "还差 2 人" in page.text
    assert client.get("/").headers[HEADER] == "miss"


def test_a_redemption_moves_the_generation_on(app, client, cached):
    """Stock is public (the love mall shows it): a redemption retires cached copies."""
    site = db.session.get(Site, cached.id)
    item = f.mall_item(site, cost=5, stock=2)
    volunteer = f.volunteer("小王")
    f.points(volunteer, 10, "earned")
    db.session.commit()
    client.get("/")
    before = generation()
    redeem(volunteer, item.id)
    assert generation() == before + 1
    assert client.get("/").headers[HEADER] == "miss"


def test_a_refused_booking_leaves_the_cache_alone(client, service_page):
    """Nothing committed, nothing retired (a rollback forgets what the UPDATE did)."""
    book_slot(service_page["resident"], service_page["slot_id"])
    client.get(service_page["url"])
    before = generation()
    with pytest.raises(BookingError):
        book_slot(service_page["resident"], service_page["slot_id"])  # a second time
    assert generation() == before
    assert client.get(service_page["url"]).headers[HEADER] == "hit"


def test_logged_in_visitors_always_get_a_fresh_page(app, client, cached, auth):
    auth.login(f.user("居民", mobile="13812340000"))
    db.session.commit()
    first, second = client.get("/"), client.get("/")
    assert HEADER not in first.headers and HEADER not in second.headers
    assert 'id="csrf-token"' in second.text


def test_any_session_cookie_bypasses_the_cache(app, client, cached):
    client.get("/login")  # the login form starts a session (its CSRF token)
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    assert HEADER not in client.get("/").headers


def test_fragments_languages_and_elder_mode_are_kept_apart(app, client, cached):
    whole = client.get("/sites?q=东方")
    fragment = client.get("/sites?q=东方", headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.headers[HEADER] == "miss" and "<html" not in fragment.text
    assert "<html" in whole.text
    client.set_cookie("lang", "en")
    english = client.get("/sites?q=东方")
    assert english.headers[HEADER] == "miss" and '<html lang="en"' in english.text
    client.set_cookie("elder", "1")
    elder = client.get("/sites?q=东方")
    assert elder.headers[HEADER] == "miss" and 'class="elder"' in elder.text


def test_not_found_is_not_kept(app, client, cached):
    assert client.get("/sites/999999").status_code == 404
    response = client.get("/sites/999999")
    assert response.status_code == 404 and response.headers.get(HEADER) != "hit"


def test_copies_expire():
    ticks = [0.0]
    cache = PageCache(seconds=30, size=4)
    cache.pages = type(cache.pages)(maxsize=4, ttl=30, timer=lambda: ticks[0])
    cache.put("k", "page")
    ticks[0] = 29.0
    assert cache.get("k") == "page"
    ticks[0] = 31.0
    assert cache.get("k") is None


def test_workers_ask_for_the_generation_at_most_once_per_interval(app, client, cached):
    cache = PageCache(seconds=30, size=8, generation_seconds=60)
    app.extensions["page_cache"] = cache
    url = f"/sites/{cached.id}"
    client.get(url)
    f.notice(db.session.get(Site, cached.id), "新公告", clock.today())
    db.session.commit()
    assert client.get(url).headers[HEADER] == "hit"  # the worker has not asked yet
    cache.known = (cache.known[0] - 61, cache.known[1])  # a minute later
    page = client.get(url)
    assert page.headers[HEADER] == "miss" and "新公告" in page.text
