"""A real worker process beside a real web server, with the queue in SQLite and in Redis.

The web server queues jobs (a text message after a promotion); the worker
(``flask worker``, as ``make run`` and production start it) takes them and
sends. A periodic job queued twice (``flask run-job``) makes one message.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.models import Booking, Notification, Site, SmsMessage

from . import factories as f
from .conftest import make_app
from .http_client import Visitor
from .live import PROJECT_ROOT, live_server

WAIT_S = 40.0


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_env(request, tmp_path, databases):
    """Where the queue lives: a SQLite file of this test, or Redis under a name of its own.

    Each kind of queue runs in one of the suite's two passes (the SQLite queue
    beside SQLite, as ``make run`` has it; Redis beside PostgreSQL, as in
    production): a worker start costs seconds, and once each proves it.
    """
    name = f"doorstep-test-{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite-queue" and databases.kind != "sqlite":
        pytest.skip("sqlite-only: the SQLite queue runs beside the SQLite database")
    if request.param == "redis-queue" and databases.kind != "postgresql":
        pytest.skip("postgresql-only: the Redis queue runs beside PostgreSQL, as in production")
    if request.param == "sqlite-queue":
        yield {"JOBS_DATABASE": str(tmp_path / "jobs.sqlite3"), "JOBS_QUEUE_NAME": name}
        return
    import redis

    url = "redis://127.0.0.1:6379/0"
    redis.Redis.from_url(url).ping()  # fail, not skip, when Redis is missing
    yield {"REDIS_URL": url, "JOBS_QUEUE_NAME": name}
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


@pytest.fixture
def town(databases, template_url):
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = f.site(name="东方中心")
        rule = {"min_notice_minutes": 0, "cancel_cutoff_minutes": 0}
        svc = f.bookable_service(site, name="法律咨询", rule=rule)
        seat = f.slot(svc, clock.now() + timedelta(days=3), capacity=1)
        soon = f.slot(svc, clock.now() + timedelta(hours=1), capacity=5)
        first, second, early = f.user("王阿姨"), f.user("李叔叔"), f.user("早订的人")
        staff = f.user("站长", staff_of=(site,))
        # Booked a day ago for an hour from now: its two-hour reminder is due.
        yesterday = clock.now() - timedelta(days=1)
        db.session.add(Booking(slot_id=soon.id, user_id=early.id, status="booked", seats=1,
                               code="73650001", created_at=yesterday))  # fmt: skip
        soon.taken = 1
        db.session.commit()
        ids = {"seat": seat.id, "service": svc.id, "first": first.mobile, "second": second.mobile,
               "second_id": second.id, "early_id": early.id, "site": site.id,
               "staff": staff.mobile, "seat_day": clock.local(seat.starts_at).date()}  # fmt: skip
        db.engine.dispose()
    yield {"url": url, "app": app, **ids}
    with app.app_context():
        db.engine.dispose()
    databases.drop(url)


def _env(town, queue_env) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    # No quiet hours: this test runs at any hour, and the worker must send now.
    env.update(DATABASE_URL=town["url"], JOBS_IMMEDIATE="0", PYTHONUNBUFFERED="1",
               SMS_QUIET_HOURS="off", **queue_env)  # fmt: skip
    return env


def _flask(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def _until(check, what: str):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"the worker did not {what} within {WAIT_S:.0f} s")


def _query(town, statement):
    with town["app"].app_context():
        try:
            return db.session.execute(statement).all()
        finally:
            db.session.remove()


def test_a_worker_sends_what_the_web_server_queued(town, queue_env):
    env = _env(town, queue_env)
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "2"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        server_env = {"JOBS_IMMEDIATE": "0", "SMS_QUIET_HOURS": "off", **queue_env}
        with live_server(town["url"], env=server_env) as base:
            one, two = Visitor(base), Visitor(base)
            one.login(town["first"], f.PASSWORD)
            two.login(town["second"], f.PASSWORD)
            path = f"/slots/{town['seat']}/book"
            form = {"service_id": town["service"], "seats": 1}
            token = one.token(f"/services/{town['service']}")
            booked = one.post(path, form, token)
            assert booked.status_code == 303
            queued = two.post(
                path, {**form, "waitlist": "1"}, two.token(f"/services/{town['service']}")
            )
            assert queued.status_code == 303
            booking_id = int(booked.headers["Location"].rsplit("/", 1)[1])
            cancelled = one.post(f"/bookings/{booking_id}/cancel", {}, one.token("/me/bookings"))
            assert cancelled.status_code == 303

            # The promoted resident is told: in the inbox at once, by SMS through the worker.
            sent = _until(
                lambda: _query(town, select(SmsMessage.text).where(
                    SmsMessage.user_id == town["second_id"], SmsMessage.kind == "booking_promoted",
                    SmsMessage.status == "sent")),
                "send the promotion's text message",
            )  # fmt: skip
            assert "候补" in sent[0][0]
            inbox = two.session.get(base + "/me/messages", timeout=30).text
            assert "您已候补成功" in inbox

            # A periodic job queued twice (as on two hosts) makes one reminder.
            for _ in range(2):
                result = _flask("run-job", "reminders", env=env)
                assert result.returncode == 0, result.stdout + result.stderr
            _until(
                lambda: _query(town, select(Notification.id).where(
                    Notification.user_id == town["early_id"],
                    Notification.kind == "booking_reminder")),
                "send the reminder",
            )  # fmt: skip
            time.sleep(2)  # room for a second run to show up, if it were to
            reminders = _query(town, select(func.count(Notification.id)).where(
                Notification.user_id == town["early_id"], Notification.kind == "booking_reminder"
            ))[0][0]  # fmt: skip
            assert reminders == 1

            # Staff close the seat's day and choose "cancel and tell them": the booking
            # is cancelled through the rules and its holder told, by SMS through the worker.
            staff = Visitor(base)
            staff.login(town["staff"], f.PASSWORD)
            day = town["seat_day"].isoformat()
            version = _query(town, select(Site.version).where(Site.id == town["site"]))[0][0]
            closure = {
                "special-version": str(version), "special-kind": "closed", "special-starts_on": day,
                "special-ends_on": day, "special-note": "停电检修", "affected-then": "cancel",
                "affected-message": "停电检修，请改日再约",
            }  # fmt: skip
            closed = staff.post(f"/staff/sites/{town['site']}/special-days", closure,
                                staff.token(f"/staff/sites/{town['site']}/edit"))  # fmt: skip
            assert closed.status_code == 303, closed.text[:500]
            told = _until(
                lambda: _query(town, select(SmsMessage.text).where(
                    SmsMessage.user_id == town["second_id"], SmsMessage.kind == "booking_cancelled",
                    SmsMessage.status == "sent")),
                "send the closure's text message",
            )  # fmt: skip
            assert "停电检修，请改日再约" in told[0][0]
            statuses = _query(town, select(Booking.status).where(Booking.slot_id == town["seat"]))
            assert sorted(s for (s,) in statuses) == ["cancelled", "cancelled"]
    finally:
        try:
            os.killpg(worker.pid, signal.SIGINT)
            worker.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        output = worker.stdout.read()
    assert "Doorstep worker" in output, output
