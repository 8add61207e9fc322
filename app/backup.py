"""``flask backup``: a consistent copy of the SQLite database while the app runs.

SQLite's online backup copies the database page by page from a read snapshot,
so writers may go on meanwhile and the copy is what some committed moment held:
never half a transaction. Copying the file (and its -wal) by hand is not safe.
PostgreSQL has its own tools for this: pg_dump and pg_restore.
"""

import os
import sqlite3
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be made; the message says why and what to do."""


def backup_name(moment: datetime | None = None) -> str:
    """``doorstep-YYYYmmdd-HHMMSS.sqlite3``, in local time."""
    return f"doorstep-{(moment or datetime.now()).strftime('%Y%m%d-%H%M%S')}.sqlite3"


def default_destination(instance_path: str) -> Path:
    """``instance/backups/doorstep-YYYYmmdd-HHMMSS.sqlite3``."""
    return Path(instance_path) / "backups" / backup_name()


def sqlite_path(database_uri: str) -> Path:
    """The database file behind a SQLite URI; BackupError for anything else."""
    url = make_url(database_uri)
    if url.get_backend_name() == "postgresql":
        raise BackupError(
            "the database is PostgreSQL: back it up with pg_dump, e.g. "
            'pg_dump -Fc -f doorstep.dump "$DATABASE_URL" (restore with pg_restore)'
        )
    if url.get_backend_name() != "sqlite":
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up")
    return Path(url.database)


def _make_private_folders(folder: Path) -> None:
    """Create ``folder`` and any missing parents as 0700 (``mkdir -p`` would use 0777 − umask)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(mode=0o700)
        new.chmod(0o700)


def backup_sqlite(source: Path, destination: Path) -> str:
    """Copy ``source`` into a new file ``destination``; return its integrity check.

    The copy is one self-contained file (rollback journal, not WAL): archive it,
    or restore it by putting it in place of the database while the app is stopped.
    """
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    if destination.is_symlink():
        raise BackupError(f"{destination} is a symbolic link; give the real path of a new file")
    if destination.exists():
        raise BackupError(f"{destination} exists already; choose another name")
    # A backup holds every resident's number: only the app's own user may read
    # it. A folder made here is 0700; the file is created 0600 before a byte
    # is written, and O_EXCL refuses a file (or link) that appeared meanwhile.
    _make_private_folders(destination.parent)
    try:
        os.close(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        raise BackupError(f"{destination} exists already; choose another name") from None
    os.chmod(destination, 0o600)  # whatever the umask took away or added
    # The backup only reads from the source; it waits for a writer's commit
    # (up to the timeout) rather than failing.
    src = sqlite3.connect(source, timeout=15)
    dst = sqlite3.connect(destination)
    try:
        with dst:
            src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except BaseException:
        dst.close()
        destination.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    dst.close()
    return result


def init_app(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("destination", required=False, type=click.Path(path_type=Path))
    def backup(destination: Path | None) -> None:
        """Copy the SQLite database, online, to DESTINATION (a file or a folder).

        Without DESTINATION: instance/backups/doorstep-YYYYmmdd-HHMMSS.sqlite3.
        """
        try:
            source = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
            if destination is None:
                destination = default_destination(current_app.instance_path)
            elif destination.is_dir():
                destination = destination / backup_name()
            result = backup_sqlite(source, destination)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        if result != "ok":
            raise click.ClickException(
                f"copied to {destination}, but its integrity check says: {result}"
            )
        click.echo(f"backed up {source} to {destination} (integrity check: ok)")
