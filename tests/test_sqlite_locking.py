"""On SQLite, writing transactions never fail with "database is locked", and
reads never wait for writes.

The mechanism (app/database.py): every writing transaction starts with
``begin_write()``, i.e. ``BEGIN IMMEDIATE``, which waits for SQLite's single
write lock (up to the busy timeout) before its first read. Reads stay deferred
and, in WAL mode, read a snapshot without waiting for anyone.

Each writing transaction here reads a counter (a site's ``status_reason``
holding an integer) and writes it back plus one: a lost update or a failed
transaction would show in the final count. The negative control runs the same
transactions without ``begin_write()`` and shows that they do fail, so the
passing test proves the mechanism matters and not merely that load was light.
"""

import threading
import time
import urllib.request
from dataclasses import dataclass, field

import pytest
from sqlalchemy.exc import OperationalError

from app.database import begin_write
from app.extensions import db
from app.models import Site
from tests import factories
from tests.dbutil import postgres_server_url
from tests.live import live_server, make_app

pytestmark = pytest.mark.skipif(
    postgres_server_url() is not None,
    reason="sqlite-only: SQLite's single write lock; PostgreSQL uses row locks",
)

WRITERS = 8
WRITES_EACH = 25
READERS = 8
PAUSE_S = 0.002  # between the read and the write, to make every race likely
RUN_LIMIT_S = 120  # every loop below stops by itself within this


@pytest.fixture
def counter_db(databases, template_url):
    """A migrated database with one site whose status_reason is the counter "0"."""
    url = databases.new_url(template=template_url)
    app = make_app(url)
    with app.app_context():
        site = factories.site(status_reason="0")
        db.session.commit()
        site_id = site.id
        db.engine.dispose()
    yield url, site_id
    databases.drop(url)


def increment(site_id: int, *, safe: bool) -> None:
    """One read-then-write transaction: counter = counter + 1."""
    if safe:
        begin_write()
    site = db.session.get(Site, site_id)
    count = int(site.status_reason)
    time.sleep(PAUSE_S)
    site.status_reason = str(count + 1)
    db.session.commit()


@dataclass
class WriteRun:
    committed: int = 0
    errors: list[Exception] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_writers(url: str, site_id: int, *, safe: bool) -> WriteRun:
    """WRITERS threads, each with its own app context (so its own session), all at once."""
    app = make_app(url)
    run = WriteRun()
    start = threading.Barrier(WRITERS)

    def writer():
        with app.app_context():
            start.wait(timeout=30)
            try:
                for _ in range(WRITES_EACH):
                    try:
                        increment(site_id, safe=safe)
                    except OperationalError as error:
                        db.session.rollback()
                        with run.lock:
                            run.errors.append(error)
                    else:
                        with run.lock:
                            run.committed += 1
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, name=f"writer-{n}") for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=RUN_LIMIT_S)
    assert not any(t.is_alive() for t in threads), "writers did not finish in time"
    with app.app_context():
        db.engine.dispose()
    return run


def counter(url: str, site_id: int) -> int:
    app = make_app(url)
    with app.app_context():
        value = int(db.session.get(Site, site_id).status_reason)
        db.session.remove()
        db.engine.dispose()
    return value


def get(url: str) -> tuple[int, float]:
    """Status and seconds taken of one GET (an HTTP error status is returned, not raised)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_parallel_writes_never_fail_and_lose_nothing_while_reads_go_on(counter_db):
    url, site_id = counter_db
    statuses: list[tuple[str, int]] = []
    writing = threading.Event()
    writing.set()

    with live_server(url) as base:
        pages = [f"{base}/sites", f"{base}/sites/{site_id}"]

        def reader(n: int):
            deadline = time.monotonic() + RUN_LIMIT_S
            i = n
            while writing.is_set() and time.monotonic() < deadline:
                page = pages[i % 2]
                status, _ = get(page)
                statuses.append((page, status))
                i += 1

        readers = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        for thread in readers:
            thread.start()
        try:
            run = run_writers(url, site_id, safe=True)
        finally:
            writing.clear()
            for thread in readers:
                thread.join(timeout=60)

    assert not run.errors, f"{len(run.errors)} writing transactions failed: {run.errors[:3]}"
    assert run.committed == WRITERS * WRITES_EACH
    assert counter(url, site_id) == WRITERS * WRITES_EACH, "an update was lost"
    assert statuses, "the readers made no request while the writers ran"
    failed_reads = [(page, status) for page, status in statuses if status != 200]
    assert not failed_reads, f"{len(failed_reads)}/{len(statuses)} reads failed: {failed_reads[:5]}"


def test_without_begin_write_the_same_transactions_fail(counter_db):
    """Negative control: deferred read-then-write transactions collide on SQLite."""
    url, site_id = counter_db
    run = run_writers(url, site_id, safe=False)

    locked = [e for e in run.errors if "database is locked" in str(e)]
    final = counter(url, site_id)
    assert final == run.committed, "SQLite itself never loses a committed write"
    assert locked or final < WRITERS * WRITES_EACH, "the unsafe way should have failed"
    assert locked, f"expected 'database is locked', got: {run.errors[:3]}"


def test_a_read_does_not_wait_for_an_open_write(counter_db):
    """A page that reads the row answers while another transaction holds the write lock."""
    url, site_id = counter_db
    hold_s = 3.0
    app = make_app(url)
    holding = threading.Event()

    def hold_write_lock():
        with app.app_context():
            try:
                begin_write()
                db.session.get(Site, site_id).status_reason = "999"
                db.session.flush()  # the UPDATE is written, not yet committed
                holding.set()
                time.sleep(hold_s)
                db.session.rollback()
            finally:
                db.session.remove()

    with live_server(url) as base:
        writer = threading.Thread(target=hold_write_lock)
        writer.start()
        try:
            assert holding.wait(timeout=30), "the writer never took the lock"
            status, seconds = get(f"{base}/sites/{site_id}")
            with app.app_context():
                seen = db.session.get(Site, site_id).status_reason
                db.session.remove()
        finally:
            writer.join(timeout=30)
            with app.app_context():
                db.engine.dispose()

    assert status == 200
    assert seconds < hold_s / 2, f"the read waited {seconds:.2f}s for the writer"
    assert seen == "0", "a reader sees the last committed value, not the open write"
