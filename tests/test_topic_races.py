"""Deliberation under real parallel requests: a live gunicorn server with two
workers on one database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

Twenty taps of "I support it" by one resident count once; two staff booking a
meeting for one topic at once, in two different rooms' times, make one meeting
and hold one booking.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Booking, Home, Meeting, Topic, TopicSupport

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together
from .live import live_server

LIVE_ENV = {
    "LOGIN_LIMITS_PER_ADDRESS": "10000/minute",
    "LOGIN_LIMITS_PER_MOBILE": "10000/minute",
}


@pytest.fixture(scope="module")
def arena(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        center = f.site(name="东方中心")
        community_id = center.community_id
        proposer, supporter = f.user("提议人"), f.user("附议人")
        for person in (proposer, supporter):
            db.session.add(Home(user_id=person.id, community_id=community_id))
        staff = [f.user("社工甲", staff_of=(center,)), f.user("社工乙", staff_of=(center,))]
        room = f.bookable_service(center, category="venue", name="议事厅", rule={"seat_limit": 1})
        start = clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        slots = [f.slot(room, start, capacity=1).id, f.slot(room, start + timedelta(hours=2),
                                                             capacity=1).id]  # fmt: skip
        supported = Topic(community_id=community_id, title="加装电梯", text="老人上下楼难",
                          proposed_by_id=proposer.id, status="proposed")  # fmt: skip
        agenda = Topic(community_id=community_id, title="修路灯", text="东门太暗",
                       proposed_by_id=proposer.id, status="agenda", supports=10)  # fmt: skip
        db.session.add_all([supported, agenda])
        db.session.commit()
        arena = {"supporter": supporter.mobile, "staff": [s.mobile for s in staff],
                 "community": community_id, "supported": supported.id, "agenda": agenda.id,
                 "slots": slots}  # fmt: skip
        db.engine.dispose()
    with live_server(url, workers=2, threads=8, env=LIVE_ENV) as base_url:
        yield {"app": app, "base_url": base_url, **arena}
    with app.app_context():
        db.engine.dispose()


def logged_in(arena, mobile: str, path: str) -> tuple[Visitor, str]:
    visitor = Visitor(arena["base_url"])
    visitor.login(mobile, f.PASSWORD)
    return visitor, visitor.token(path)


def read(arena, query):
    with arena["app"].app_context():
        try:
            return query(db.session)
        finally:
            db.session.remove()


def statuses(responses) -> list[int]:
    found = [r.status_code for r in responses]
    assert all(status < 500 for status in found), found
    return found


def test_twenty_supports_by_one_resident_count_once(arena):
    path = f"/topics/{arena['supported']}"
    visitor, token = logged_in(arena, arena["supporter"], path)
    copies = []
    for _ in range(20):
        copy = Visitor(visitor.base_url)
        copy.session.cookies.update(visitor.session.cookies)
        copies.append(copy)
    responses = fire_together([lambda v=c: v.post(path + "/support", {}, token) for c in copies])
    assert set(statuses(responses)) == {303}

    def outcome(session):
        topic = session.get(Topic, arena["supported"])
        rows = session.scalar(select(func.count(TopicSupport.id)).where(
            TopicSupport.topic_id == topic.id))  # fmt: skip
        return topic.supports, rows

    assert read(arena, outcome) == (1, 1)


def test_two_staff_booking_one_topic_at_once_book_once(arena):
    path = f"/staff/communities/{arena['community']}/topics"
    calls = []
    for mobile, slot_id in zip(arena["staff"], arena["slots"], strict=True):
        visitor, token = logged_in(arena, mobile, path)
        form = {"meeting-topics": str(arena["agenda"]), "meeting-slot": str(slot_id)}
        calls.append(lambda v=visitor, t=token, d=form: v.post(path + "/meetings", d, t))
    responses = fire_together(calls)
    assert sorted(statuses(responses)) == [303, 422]

    def outcome(session):
        topic = session.get(Topic, arena["agenda"])
        meetings = session.scalar(select(func.count(Meeting.id)))
        bookings = session.scalar(select(func.count(Booking.id)))
        return topic.status, meetings, bookings

    assert read(arena, outcome) == ("scheduled", 1, 1)
