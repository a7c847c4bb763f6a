"""Many rows in one statement: the sweeper's effects, events and mails, written per batch, not per row."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import JSON, Text, bindparam, cast, column, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db


def _records(table, rows: list[dict]):
    """PostgreSQL: the rows as one JSON parameter read back by json_to_recordset with the columns' types.

    Returns (the derived table, its columns by name). One string to send whatever the number of rows:
    no placeholder per value to build and parse, no array text to escape.
    """
    names = list(rows[0])
    payload = json.dumps(rows, default=_plain, separators=(",", ":"))
    records = (func.json_to_recordset(cast(bindparam("bulk_rows", payload, type_=Text), JSON))
               .table_valued(*(column(name, table.c[name].type) for name in names))
               .render_derived(with_types=True))
    return records, {name: records.c[name] for name in names}


def _plain(value):
    """A moment or a day as JSON gives it to PostgreSQL's input of its column type (json.dumps' default)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def bulk_insert(table, rows: list[dict], order_by: str | None = None):
    """(statement, parameters) inserting `rows` (dicts with the same keys) into `table` at once.

    The statement is the dialect's insert, so the caller may add on_conflict_…() and returning()
    and then runs db.session.execute(statement, parameters). On PostgreSQL it is one statement with
    the rows as one JSON parameter (_records; parameters None): a multi-row VALUES of thousands of
    placeholders costs more to build and to parse than the work it does. On SQLite it
    is an executemany of `rows` (sent as multi-row INSERTs when there is a RETURNING). The rows are
    inserted in their order, or by the column `order_by` (an ORDER BY on PostgreSQL).
    """
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql":
        rows = sorted(rows, key=lambda row: row[order_by]) if order_by is not None else rows
        return (sqlite_insert(table) if dialect == "sqlite" else insert(table)), rows

    _table, columns = _records(table, rows)
    source = select(*columns.values())
    if order_by is not None:
        source = source.order_by(columns[order_by])
    return pg_insert(table).from_select(list(columns), source), None


def bulk_update(table, key: str, rows: list[dict]) -> None:
    """UPDATE rows of `table` found by their `key` column with the other values of each dict, at once.

    PostgreSQL: one UPDATE … FROM json_to_recordset(…); elsewhere an executemany. Plain SQL: no ORM bookkeeping.
    """
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        _table, columns = _records(table, rows)
        db.session.execute(update(table).where(table.c[key] == columns[key])
                           .values({name: column for name, column in columns.items() if name != key}))
        return
    names = [name for name in rows[0] if name != key]
    db.session.execute(update(table).where(table.c[key] == bindparam(f"bulk_{key}", type_=table.c[key].type))
                       .values({name: bindparam(f"bulk_{name}", type_=table.c[name].type) for name in names}),
                       [{f"bulk_{name}": value for name, value in row.items()} for row in rows])
