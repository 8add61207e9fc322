"""Several hosts, one truth: two app instances on one PostgreSQL and one Redis.

Two gunicorn instances (two workers each) stand for two hosts behind a load
balancer. Requests alternate between them; capacity, the login throttle and
sessions must behave as if there were one server. PostgreSQL-only: it is the
database several hosts share (SQLite lives on one host's disk).
"""

import uuid
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app import clock
from app.extensions import db
from app.models import Activity, Booking, Signup, Slot, User

from . import factories as f
from .conftest import make_app
from .http_client import Visitor, fire_together, log_in_all
from .live import live_server

REDIS_URL = "redis://127.0.0.1:6379/0"
RESIDENTS = 100
VOLUNTEERS = 100
SLOT_CAPACITY = 7
ACTIVITY_PLACES = 9
LOGIN_LIMIT = 5  # per number per minute: the default LOGIN_LIMITS_PER_MOBILE
# Everyone logs in from 127.0.0.1: lift the per-address limit, keep the per-number one.
LIVE_ENV = {"LOGIN_LIMITS_PER_ADDRESS": "10000/minute", "REDIS_URL": REDIS_URL}
# 200 logins would each verify a scrypt hash (slow by design); these accounts
# use a cheap hash so the run measures the app, not the password function.
CHEAP_HASH = generate_password_hash(f.PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture(scope="module")
def two_hosts(databases, template_url):
    """A slot, an activity and 200 people in one database, served by two instances."""
    if databases.kind != "postgresql":
        pytest.skip("postgresql-only: several hosts share a PostgreSQL server, not a SQLite file")
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    store.ping()  # fail, not skip, when Redis is missing
    prefix = "doorstep-multi-" + uuid.uuid4().hex  # this run's own throttle counts
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = f.site(name="东方中心")
        service = f.bookable_service(site, rule={"max_active": 5, "seat_limit": 1})
        starts = clock.now().replace(microsecond=0) + timedelta(days=1)
        slot = f.slot(service, starts, capacity=SLOT_CAPACITY)
        activity = f.activity(
            site, clock.now() + timedelta(days=2), places=ACTIVITY_PLACES, team_obj=f.team(site)
        )
        residents = [f.user(f"居民{i}") for i in range(RESIDENTS)]
        volunteers = [f.volunteer(f"志愿者{i}") for i in range(VOLUNTEERS)]
        guessed = f.user("被猜密码的居民")  # never logs in: only wrong guesses count
        for person in residents + volunteers:
            person.password_hash = CHEAP_HASH
        db.session.commit()
        arena = {
            "app": app,
            "service": service.id,
            "slot": slot.id,
            "activity": activity.id,
            "residents": [r.mobile for r in residents],
            "volunteers": [v.mobile for v in volunteers],
            "guessed": guessed.mobile,
        }
        db.engine.dispose()
    servers = {"workers": 2, "threads": 8, "env": LIVE_ENV}
    servers["app_config"] = {"RATELIMIT_KEY_PREFIX": prefix}
    try:
        with live_server(url, **servers) as host_a, live_server(url, **servers) as host_b:
            yield {**arena, "hosts": (host_a, host_b)}
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        with app.app_context():
            db.engine.dispose()
        databases.drop(url)


def crossed_visitors(two_hosts, mobiles, token_path):
    """Log each person in on one host; they then send their request to the other."""
    hosts = two_hosts["hosts"]
    visitors = []
    for n, host in enumerate(hosts):
        for visitor, token in log_in_all(host, mobiles[n::2], f.PASSWORD, token_path):
            visitor.base_url = hosts[1 - n]
            visitors.append((visitor, token))
    return visitors


def test_two_hosts_keep_one_truth(two_hosts):
    """One test, one pair of servers: each check below needs both hosts running."""
    bookings_never_exceed_the_slot(two_hosts)
    sign_ups_never_exceed_the_places(two_hosts)
    the_login_throttle_counts_on_both_hosts(two_hosts)
    a_session_from_one_host_works_on_the_other(two_hosts)


def bookings_never_exceed_the_slot(two_hosts):
    visitors = crossed_visitors(
        two_hosts, two_hosts["residents"], f"/services/{two_hosts['service']}"
    )
    path = f"/slots/{two_hosts['slot']}/book"
    data = {"service_id": two_hosts["service"], "seats": 1}
    responses = fire_together([lambda v=v, t=t: v.post(path, data, t) for v, t in visitors])
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {303, 422}, statuses
    assert statuses.count(303) == SLOT_CAPACITY
    assert all("已约满" in r.text for r in responses if r.status_code == 422)
    with two_hosts["app"].app_context():
        taken = db.session.scalar(select(Slot.taken).where(Slot.id == two_hosts["slot"]))
        booked = db.session.scalar(
            select(func.count(Booking.id)).where(
                Booking.slot_id == two_hosts["slot"], Booking.status == "booked"
            )
        )
        held = db.session.scalar(
            select(func.count(Booking.id)).where(Booking.slot_id == two_hosts["slot"])
        )
        db.session.remove()
    assert taken == booked == held == SLOT_CAPACITY


def sign_ups_never_exceed_the_places(two_hosts):
    activity_id = two_hosts["activity"]
    visitors = crossed_visitors(two_hosts, two_hosts["volunteers"], f"/activities/{activity_id}")
    path = f"/activities/{activity_id}/signup"
    responses = fire_together([lambda v=v, t=t: v.post(path, {}, t) for v, t in visitors])
    assert {r.status_code for r in responses} == {303}, [r.status_code for r in responses]
    with two_hosts["app"].app_context():
        taken = db.session.scalar(select(Activity.taken).where(Activity.id == activity_id))
        counts = dict(
            db.session.execute(
                select(Signup.status, func.count()).where(Signup.activity_id == activity_id)
                .group_by(Signup.status)
            ).all()
        )  # fmt: skip
        db.session.remove()
    assert taken == ACTIVITY_PLACES
    assert counts == {"signed_up": ACTIVITY_PLACES, "waitlisted": VOLUNTEERS - ACTIVITY_PLACES}


def the_login_throttle_counts_on_both_hosts(two_hosts):
    """Wrong passwords for one number, alternating hosts: the sixth is refused."""
    mobile = two_hosts["guessed"]
    visitors = [Visitor(host) for host in two_hosts["hosts"]]
    tokens = [visitor.token("/login") for visitor in visitors]
    statuses = []
    for attempt in range(LOGIN_LIMIT + 1):
        visitor, token = visitors[attempt % 2], tokens[attempt % 2]
        response = visitor.post("/login", {"mobile": mobile, "password": "wrong-password"}, token)
        statuses.append(response.status_code)
    assert statuses == [422] * LOGIN_LIMIT + [429]


def a_session_from_one_host_works_on_the_other(two_hosts):
    host_a, host_b = two_hosts["hosts"]
    mobile = two_hosts["volunteers"][0]
    visitor = Visitor(host_a)
    visitor.login(mobile, f.PASSWORD)
    on_b = visitor.session.get(host_b + "/me", allow_redirects=False, timeout=30)
    assert on_b.status_code == 200
    with two_hosts["app"].app_context():
        name = db.session.scalar(select(User.display_name).where(User.mobile == mobile))
        db.session.remove()
    assert name in on_b.text
    # Without the cookie, the same page on B asks for a login: the cookie made the 200.
    anonymous = requests.get(host_b + "/me", allow_redirects=False, timeout=30)
    assert anonymous.status_code in (302, 303)
