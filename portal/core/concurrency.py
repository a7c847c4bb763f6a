"""Optimistic locking for people editing the same case."""
from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db


def check_version(obj, expected: int | None) -> None:
    """Refuse a change made on a stale page: someone else changed the case since it was shown.

    The row's version column guards concurrent requests too: SQLAlchemy's UPDATE only
    matches the version it read, so the slower of two writers gets StaleDataError.
    """
    if expected is not None and expected != obj.version:
        raise StaleDataError(f"{type(obj).__name__} {obj.id} changed (version {obj.version}, page had {expected})")


def version_from(value: str | None) -> int | None:
    """The version a page was built from (a hidden field); None when absent or not a number."""
    value = (value or "").strip()
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and a size a column holds.
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


BEGIN_IMMEDIATE = "tyndau_begin_immediate"  # an execution option read by portal.configure_sqlite's "begin" hook
WROTE = "tyndau.wrote"  # SQLite: set on the connection by configure_sqlite once its transaction has written


def lock_for_update(obj) -> None:
    """Hold obj's row until the transaction ends and read it afresh, so a check made now holds when it commits.

    PostgreSQL: SELECT … FOR UPDATE; a concurrent writer of the row waits for this transaction. SQLite locks the
    whole database instead: a read transaction cannot become a writer while another writes without failing
    (SQLITE_BUSY, no waiting), so an untouched transaction is ended and the next one begins with BEGIN IMMEDIATE;
    the loser of a race then waits (busy_timeout) instead of failing. Call it before the first change.
    """

    session = db.session()
    mapper = inspect(type(obj))
    key = inspect(obj).identity
    if session.get_bind().dialect.name == "sqlite":
        written = (session.new or session.dirty or session.deleted or session.in_nested_transaction()
                   or (session.in_transaction() and session.connection().info.get(WROTE)))
        if not written:  # a transaction that has written holds the write lock already; one that only read ends
            session.rollback()
            session.connection(execution_options={BEGIN_IMMEDIATE: True})
        session.refresh(obj)
        return
    query = select(type(obj)).where(*[column == value for column, value in zip(mapper.primary_key, key)])
    session.execute(query.with_for_update().execution_options(populate_existing=True)).scalar_one()
