"""Capacity under real parallel requests: two app workers, one database.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL. The requests are
real HTTP requests from threads, released together by a barrier.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Booking, Slot

from . import factories as f
from .conftest import make_app
from .http_client import fire_together, log_in_all
from .live import live_server

RESIDENTS = 50
CAPACITY = 5
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute"}


@pytest.fixture(scope="module")
def arena(databases, template_url):
    """A slot with 5 places, a second slot, and 50 residents, on a live server."""
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = f.site(name="东方中心")
        service = f.bookable_service(site, rule={"max_active": 5, "seat_limit": 1})
        starts = clock.now().replace(microsecond=0) + timedelta(days=1)
        slot = f.slot(service, starts, capacity=CAPACITY)
        second = f.slot(service, starts + timedelta(hours=2), capacity=CAPACITY)
        mobiles = [f.user(f"居民{i}").mobile for i in range(RESIDENTS)]
        db.session.commit()
        ids = {"service": service.id, "slot": slot.id, "second": second.id}
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, "mobiles": mobiles, **ids}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobiles):
    return log_in_all(arena["base_url"], mobiles, f.PASSWORD, f"/services/{arena['service']}")


def test_fifty_parallel_bookings_never_overbook(arena):
    visitors = logged_in(arena, arena["mobiles"])
    path = f"/slots/{arena['slot']}/book"

    def booking_call(i, visitor, token):
        data = {"service_id": arena["service"], "seats": 1}
        if i % 2:
            data["waitlist"] = "1"  # half of them would rather queue than be turned away
        return lambda: visitor.post(path, data, token)

    responses = fire_together([booking_call(i, v, t) for i, (v, t) in enumerate(visitors)])
    statuses = [r.status_code for r in responses]
    assert 500 not in statuses and set(statuses) <= {303, 422}, statuses
    refused = [r for r in responses if r.status_code == 422]
    assert all("已约满" in r.text for r in refused)

    with arena["app"].app_context():
        slot = db.session.get(Slot, arena["slot"])
        rows = db.session.execute(
            select(Booking.status, func.count(), func.sum(Booking.seats))
            .where(Booking.slot_id == slot.id)
            .group_by(Booking.status)
        ).all()
        by_status = {status: (n, seats) for status, n, seats in rows}
        db.session.remove()
    assert slot.taken == CAPACITY
    assert by_status["booked"] == (CAPACITY, CAPACITY)
    waitlisted = by_status.get("waitlisted", (0, 0))[0]
    # Everyone got a place, a waitlist place, or the "full" answer.
    assert CAPACITY + waitlisted + len(refused) == RESIDENTS
    assert statuses.count(303) == CAPACITY + waitlisted


def test_double_submit_makes_one_booking(arena):
    [(visitor, token)] = logged_in(arena, arena["mobiles"][:1])
    path = f"/slots/{arena['second']}/book"
    data = {"service_id": arena["service"], "seats": 1}
    responses = fire_together([lambda: visitor.post(path, data, token) for _ in range(4)])
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    with arena["app"].app_context():
        count = db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == arena["second"])
        )
        taken = db.session.scalar(select(Slot.taken).where(Slot.id == arena["second"]))
        db.session.remove()
    assert count == 1 and taken == 1
