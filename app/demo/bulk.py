"""Fast bulk inserts for the demo data, straight to the database driver.

SQLite takes ``executemany`` with values in the form SQLAlchemy stores them
(datetimes as UTC text); PostgreSQL takes ``COPY``. Only the seed uses this:
the app writes through the ORM.
"""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Table

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
REBUILD_INDEXES_OVER = 20_000


def _sqlite_converter(sample):
    """How to turn one column's values into what SQLite stores, decided once."""
    if isinstance(sample, datetime):
        cache: dict[datetime, str] = {}

        def convert(value):
            # Slot times and creation times repeat a lot: format each once.
            if value is None:
                return None
            text = cache.get(value)
            if text is None:
                text = cache[value] = value.astimezone(UTC).strftime(_SQLITE_DATETIME)
            return text

        return convert
    if isinstance(sample, Decimal):
        return lambda value: float(value) if value is not None else None  # as SQLAlchemy binds it
    if isinstance(sample, date):
        return lambda value: value.isoformat() if value is not None else None
    if isinstance(sample, dict | list):
        return lambda value: json.dumps(value, ensure_ascii=False) if value is not None else None
    return None  # ints, floats, strings, booleans and None go as they are


def _sample(rows: list[dict], column: str):
    return next((row[column] for row in rows if row[column] is not None), None)


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``.

    Columns the rows leave out get their model default, as an ORM insert would;
    a callable default is called once per table, so pass values that must
    differ per row (codes, tokens) in the rows themselves.
    """
    defaults = {}
    for column in table.c:
        if column.name not in rows[0] and column.default is not None:
            arg = column.default.arg
            defaults[column.name] = arg(None) if column.default.is_callable else arg
    if defaults:
        rows = [{**defaults, **row} for row in rows]
    columns = list(rows[0])
    raw = connection.connection.driver_connection
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    if connection.dialect.name == "sqlite":
        # A large page cache keeps the indexes' pages in memory while millions
        # of rows go in (the default is 2 MB); it lasts for this connection.
        raw.execute("PRAGMA cache_size = -262144")
        marks = ", ".join("?" for _ in columns)
        converters = [_sqlite_converter(_sample(rows, c)) for c in columns]
        if any(converters):
            pairs = list(zip(columns, converters, strict=True))
            values = [
                tuple(convert(row[c]) if convert else row[c] for c, convert in pairs)
                for row in rows
            ]
        else:
            values = [tuple(row[c] for c in columns) for row in rows]
        # Filling a big empty table is faster with its secondary indexes built
        # once afterwards than kept up to date row by row.
        rebuild = list(table.indexes) if len(values) > REBUILD_INDEXES_OVER else []
        for index in rebuild:
            index.drop(bind=connection)
        raw.executemany(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", values)
        for index in rebuild:
            index.create(bind=connection)
        return
    json_columns = {c.name for c in table.c if c.type.__class__.__name__ == "JSON"}
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                tuple(json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                      for c in columns)
            )  # fmt: skip
