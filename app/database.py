"""Engine set-up and the one way to open a writing transaction.

SQLite serialises writers with one lock. A deferred transaction that reads and
then writes cannot wait for that lock: it fails at once with "database is
locked". So every writing transaction starts with ``begin_write()``, which on
SQLite emits ``BEGIN IMMEDIATE`` (wait for the lock, up to the busy timeout,
before the first read). Plain reads keep ``BEGIN`` (deferred) and never wait
for writers, thanks to WAL. On PostgreSQL ``begin_write()`` is a plain begin:
rules there are kept by conditional updates and row locks.
"""

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from .extensions import db

BUSY_TIMEOUT_MS = 15_000
_IMMEDIATE = "doorstep_begin_immediate"


def configure_sqlite(engine: Engine) -> None:
    """Install pragmas and take over BEGIN on a SQLite engine."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN itself; the driver's
        # own implicit BEGIN cannot be told to be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.get_execution_options().get(_IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def begin_write() -> None:
    """Start the session's next transaction as a writing one.

    Call it first thing in a service function that writes. If the session is
    already inside a read-only transaction (a page that looked something up
    before the POST handler ran), that transaction is ended first: nothing is
    pending, and objects reload under the write lock, which is what we want.
    """
    session = db.session()  # the Session itself: the scoped proxy lacks in_transaction()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unsaved changes")
        session.rollback()
    session.autoflush = True  # a writer may turn it off for its own transaction
    session.connection(execution_options={_IMMEDIATE: True})


def lock_row(model, row_id: int) -> None:
    """Hold ``model`` row ``row_id`` until the transaction ends.

    PostgreSQL takes a row lock; SQLite already holds the database write lock
    (``begin_write``), which serialises every writer anyway. Use it to keep a
    read-check-write about one row (a resident's limits, a balance) whole.
    """
    if not is_sqlite():
        db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


def locked(model, *criteria, options=()):
    """The one ``model`` row matching ``criteria``, held until the transaction ends.

    On PostgreSQL the SELECT takes a row lock and, once any other writer of the
    row has committed, returns the row as that writer left it (READ COMMITTED
    re-reads a locked row; one that no longer matches is not returned). The
    values overwrite any copy of the object the session already holds, so the
    checks that follow judge the latest state. On SQLite ``begin_write()``
    already holds the database's write lock.
    """
    query = (
        select(model).where(*criteria).options(*options).execution_options(populate_existing=True)
    )
    if not is_sqlite():
        query = query.with_for_update(of=model)
    return db.session.scalar(query)
