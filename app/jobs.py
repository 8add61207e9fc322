"""The job runner (Huey): background work and the periodic jobs that replace cron.

Storage needs nothing extra by default: a SQLite file beside the database
(``instance/jobs.sqlite3``, or ``JOBS_DATABASE``). With ``REDIS_URL`` set the
queue is in Redis, so workers on any number of hosts share it. ``make run``
starts one worker beside the web server; production runs ``flask worker``
(``make worker``) on as many hosts as it likes.

Every job is idempotent: periodic jobs may run twice, or on two hosts at
once, and still make one change and send one message, because what they
write carries a unique key in the database (a notification's ``dedupe_key``,
a conditional status change). Jobs run inside an application context: the
caller's in tests (``immediate`` mode), the worker's own app otherwise.

Jobs are enqueued after the commit that makes their work visible
(``after_commit``), never from inside an open transaction.
"""

import logging
import os
from contextlib import nullcontext
from functools import wraps
from pathlib import Path

import click
from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import event

from .extensions import db

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _make_huey():
    # One queue name per portal: a Redis shared by several portals (or test runs)
    # keeps their jobs apart.
    name = os.environ.get("JOBS_QUEUE_NAME", "doorstep")
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        return RedisHuey(name, url=redis_url, utc=True)
    path = os.environ.get("JOBS_DATABASE") or str(PROJECT_ROOT / "instance" / "jobs.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path, utc=True)


huey = _make_huey()
# Jobs run at once, in the caller's process and app context, without a queue:
# the test suite, and a server under test that has no worker beside it.
huey.immediate = os.environ.get("JOBS_IMMEDIATE") == "1"
_worker_app = None


def _context():
    """The app context a job runs in: the caller's, or the worker's own app."""
    global _worker_app
    if has_app_context():
        return nullcontext()
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    return _worker_app.app_context()


def job(**options):
    """A task of the portal: runs in an app context, leaves the session clean."""

    def decorate(func):
        @wraps(func)
        def run(*args, **kwargs):
            with _context():
                try:
                    return func(*args, **kwargs)
                finally:
                    db.session.rollback()  # an unfinished transaction never leaks to the next job

        return huey.task(name=func.__name__, **options)(run)

    return decorate


PERIODIC: dict = {}  # name → periodic task, for ``flask run-job``


def periodic(schedule, **options):
    """A periodic job (UTC crontab), in an app context."""

    def decorate(func):
        @wraps(func)
        def run():
            with _context():
                try:
                    return func()
                finally:
                    db.session.rollback()

        task = huey.periodic_task(schedule, name=func.__name__, **options)(run)
        PERIODIC[func.__name__] = task
        return task

    return decorate


def init_app(app) -> None:
    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True, help="Threads running jobs.")
    @click.option("--no-periodic", is_flag=True, help="Run queued jobs only (no scheduler).")
    def worker(workers: int, no_periodic: bool) -> None:
        """Run the job worker: queued jobs and the periodic ones (Ctrl-C stops it)."""
        global _worker_app
        _worker_app = app
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        storage = "Redis" if isinstance(huey, RedisHuey) else f"SQLite {huey.storage.filename}"
        click.echo(f"Doorstep worker: {workers} thread(s), queue in {storage}")
        consumer = huey.create_consumer(workers=workers, periodic=not no_periodic)
        consumer.run()

    @app.cli.command("run-job")
    @click.argument("name")
    @click.option("--now", "inline", is_flag=True, help="Run it here instead of queueing it.")
    def run_job(name: str, inline: bool) -> None:
        """Queue a periodic job now (daily_slots, reminders, no_shows, outbox, ...)."""
        task = PERIODIC.get(name)
        if task is None:
            raise click.BadParameter(f"one of {', '.join(sorted(PERIODIC))}", param_hint="NAME")
        if inline:
            task.call_local()
            click.echo(f"{name}: done")
        else:
            task()
            click.echo(f"{name}: queued")


# Enqueue once the data is committed ------------------------------------------------


def after_commit(task, *args) -> None:
    """Enqueue ``task(*args)`` when the current transaction commits (never if it rolls back)."""
    db.session.info.setdefault("jobs_after_commit", []).append((task, args))


def _enqueue(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint: the outer transaction has not committed yet
    for task, args in session.info.pop("jobs_after_commit", []):
        try:
            if huey.immediate and has_app_context():
                # The job runs now, in this process: in an app context of its own, so
                # with a session of its own (this one has just committed and may not
                # run SQL inside its after-commit event).
                with current_app.app_context():
                    task(*args)
            else:
                task(*args)
        except Exception:  # the periodic sweep picks the work up later
            log.exception("could not run or enqueue %s%r", getattr(task, "name", task), args)


def _discard(session, previous_transaction) -> None:
    if not session.in_transaction():
        session.info.pop("jobs_after_commit", None)


def listen() -> None:
    if not event.contains(db.session, "after_commit", _enqueue):
        event.listen(db.session, "after_commit", _enqueue)
        event.listen(db.session, "after_soft_rollback", _discard)


# The periodic jobs -------------------------------------------------------------------
# Times are UTC: 00:05 in Asia/Shanghai is 16:05 UTC.


@periodic(crontab(minute="5", hour="16"))
def daily_slots():
    """Slots for every bookable service over its window, site by site."""
    from . import clock
    from .bookings.slots import generate_all

    report = generate_all(clock.today())
    log.info("slots: %s added at %s sites, %s failed", report.added, report.sites, report.failed)


@periodic(crontab(minute="*/5"))
def reminders():
    """Booking and activity reminders: the evening before, and two hours before."""
    from .notifications import reminders as remind

    remind.send_due()


@periodic(crontab(minute="*/5"))
def no_shows():
    """Bookings not checked in 30 minutes after their slot ended become no-shows."""
    from .bookings.service import mark_overdue_no_shows

    mark_overdue_no_shows()


@periodic(crontab(minute="*"))
def outbox():
    """Text messages that are due (after quiet hours, a retry, a missed enqueue)."""
    from .notifications import sms

    sms.send_due()


@periodic(crontab(minute="20", hour="18"))
def expire_notifications():
    """Read messages older than a year leave the inbox (02:20 in Asia/Shanghai)."""
    from .notifications import expire_old

    expire_old()


@periodic(crontab(minute="*/10"))
def request_deadlines():
    """Overdue requests are passed up (the center's staff, then the admins), once
    each; resolved requests not rated within 7 days are closed."""
    from .requests import service

    passed_up = service.escalate_overdue()
    closed = service.close_unrated()
    log.info("requests: %s passed up, %s closed unrated", passed_up, closed)
