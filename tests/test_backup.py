"""``flask backup``: an online copy of the SQLite database that restores intact."""

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.extensions import db
from app.models import District, Site, User

from . import factories as f
from .conftest import make_app


@pytest.fixture
def sqlite_file(databases, request) -> Path:
    """The test app's database file (asked for first, so PostgreSQL runs skip at once)."""
    if databases.kind != "sqlite":
        pytest.skip("sqlite-only: flask backup copies SQLite databases (PostgreSQL uses pg_dump)")
    app = request.getfixturevalue("app")
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


class Writer(threading.Thread):
    """Commits one district after another into the live database until stopped."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.committed = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        try:
            while not self.stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO district (name) VALUES (?)", (f"写入区{self.committed}",))
                conn.execute("COMMIT")
                self.committed += 1
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            conn.close()


def test_backup_while_writers_commit_restores_intact(sqlite_file, app, runner, tmp_path):
    resident = f.user("王阿姨", mobile="13800001234")
    f.site(name="东方社区党群服务中心")
    db.session.commit()
    resident_id = resident.id
    db.session.remove()

    writer = Writer(sqlite_file)
    writer.start()
    while writer.committed < 20 and writer.is_alive():
        time.sleep(0.005)
    copy = tmp_path / "copy.sqlite3"
    try:
        result = runner.invoke(args=["backup", str(copy)])
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "integrity check: ok" in result.output

    assert _integrity(copy) == "ok"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        names = [
            row[0] for row in conn.execute("SELECT name FROM district WHERE name LIKE '写入区%'")
        ]
    # A moment's snapshot: the first k commits, no gap, none half-written.
    assert 20 <= len(names) <= writer.committed
    assert sorted(names) == sorted(f"写入区{n}" for n in range(len(names)))

    restored = make_app(f"sqlite:///{copy}")
    with restored.app_context():
        try:
            assert db.session.get(User, resident_id).mobile == "13800001234"
            assert db.session.scalar(select(Site.name)) == "东方社区党群服务中心"
            assert db.session.scalar(select(func.count(District.id))) >= len(names)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_an_open_transaction_is_not_in_the_copy(sqlite_file, app, runner, tmp_path):
    f.district("已提交区")
    db.session.commit()
    db.session.remove()
    pending = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        pending.execute("BEGIN IMMEDIATE")
        pending.execute("INSERT INTO district (name) VALUES ('未提交区')")
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    finally:
        pending.execute("ROLLBACK")
        pending.close()
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "copy.sqlite3") as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM district")}
    assert "已提交区" in names and "未提交区" not in names


def test_backup_goes_to_instance_backups_by_default(sqlite_file, app, runner, tmp_path):
    app.instance_path = str(tmp_path)
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    (copy,) = (tmp_path / "backups").iterdir()
    assert re.fullmatch(r"doorstep-\d{8}-\d{6}\.sqlite3", copy.name)
    assert _integrity(copy) == "ok"


def test_backup_into_a_folder_names_the_file(sqlite_file, app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (copy,) = tmp_path.glob("doorstep-*.sqlite3")
    assert _integrity(copy) == "ok"


def test_backup_never_overwrites(sqlite_file, app, runner, tmp_path):
    existing = tmp_path / "copy.sqlite3"
    existing.write_text("an older backup")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert existing.read_text() == "an older backup"


def test_backup_refuses_postgresql_and_points_at_pg_dump(tmp_path):
    app = make_app("postgresql+psycopg://doorstep@127.0.0.1:1/doorstep")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert not (tmp_path / "copy").exists()


# Who may read a backup ----------------------------------------------------------


def test_backups_are_private_to_the_apps_user(sqlite_file, app, runner, tmp_path):
    """Every resident's number is in a backup: 0600, in a folder made 0700."""
    import os

    old_umask = os.umask(0o022)  # a common default, which would leave both world-readable
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "new" / "deeper" / "copy.sqlite3")])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    copy = tmp_path / "new" / "deeper" / "copy.sqlite3"
    assert copy.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "new" / "deeper").stat().st_mode & 0o777 == 0o700
    assert _integrity(copy) == "ok"


@pytest.mark.parametrize("target_exists", [True, False])
def test_a_symlink_as_the_destination_is_refused(sqlite_file, app, runner, tmp_path, target_exists):
    """A link planted where the backup goes must not redirect it elsewhere."""
    elsewhere = tmp_path / "elsewhere.sqlite3"
    if target_exists:
        elsewhere.write_text("someone else's file")
    link = tmp_path / "copy.sqlite3"
    link.symlink_to(elsewhere)
    result = runner.invoke(args=["backup", str(link)])
    assert result.exit_code != 0
    assert "symbolic link" in result.output
    assert link.is_symlink()
    if target_exists:
        assert elsewhere.read_text() == "someone else's file"
    else:
        assert not elsewhere.exists()
