"""Throw-away databases for tests: a migrated template, copied per test.

SQLite: the template is a file, copied for each test. PostgreSQL (when
``TEST_DATABASE_URL`` names a server): every database gets a unique name and is
dropped at the end; the template is cloned with CREATE DATABASE … TEMPLATE.
"""

import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


def postgres_server_url() -> str | None:
    """The PostgreSQL server to test against, or None for SQLite."""
    return os.environ.get("TEST_DATABASE_URL") or None


def _admin_conninfo(server_url: str) -> str:
    url = make_url(server_url).set(drivername="postgresql")
    return url.set(database=url.database or "postgres").render_as_string(hide_password=False)


def _sqlalchemy_url(server_url: str, name: str) -> str:
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


class Databases:
    """Creates and drops the databases of one test session (one xdist worker)."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.server = postgres_server_url()
        self.prefix = "doorstep_test_" + uuid.uuid4().hex[:10]
        self.created: list[str] = []
        self._count = 0
        # A PostgreSQL DROP DATABASE waits on the server's disk for a good part of
        # a second; one thread drops finished tests' databases while the next test runs.
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-db")
        self._dropping: list = []

    @property
    def kind(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(_admin_conninfo(self.server), autocommit=True) as conn:
            conn.execute(sql)

    def new_url(self, template: str | None = None) -> str:
        """A fresh database's URL, optionally a copy of ``template`` (a URL)."""
        self._count += 1
        if not self.server:
            path = self.tmp_dir / f"db{self._count}.sqlite3"
            if template:
                shutil.copyfile(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{self._count}"
        clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        self.created.append(name)
        return _sqlalchemy_url(self.server, name)

    def drop(self, url: str) -> None:
        if not self.server:
            path = Path(make_url(url).database)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        name = make_url(url).database
        self.created.remove(name)
        sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        self._dropping.append(self._dropper.submit(self._admin, sql))

    def drop_all(self) -> None:
        for pending in self._dropping:
            pending.result()  # a drop that failed fails the session here
        self._dropper.shutdown()
        for name in list(self.created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.clear()
