"""Optimistic locking for people editing the same case."""
from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError


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
