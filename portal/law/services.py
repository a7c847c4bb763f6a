"""Which version of the Rules governs a case, loaded from SQL into the rules engine's types."""
from __future__ import annotations

from datetime import date

from flask import g

from portal.core.clock import today_local
from portal.extensions import db
from portal.law.models import LawVersionRecord
from rules.law import LawVersion


def _all() -> list[tuple[LawVersionRecord, LawVersion]]:
    # Per request: the versions change only by migration, but never serve a stale copy across requests.
    cached = g.get("_law_versions")
    if cached is None:
        rows = db.session.scalars(db.select(LawVersionRecord).order_by(LawVersionRecord.effective_from))
        cached = g._law_versions = [(row, LawVersion.from_dict(row.data)) for row in rows]
    return cached


def all_versions() -> list[tuple[LawVersionRecord, LawVersion]]:
    """Every version of the Rules, oldest first."""
    return _all()


def law_in_force(on: date) -> tuple[LawVersionRecord, LawVersion]:
    """The version in force on `on`: a case follows the version of its registration day."""
    candidates = [pair for pair in _all() if pair[0].effective_from <= on]
    if not candidates:
        raise LookupError(f"no version of the Rules is in force on {on.isoformat()}")
    return candidates[-1]


# A version's row never changes once loaded (revision 0002 checks its file's hash; `flask law load` only adds
# rows, never edits or deletes them): a registered case's version is read once per process, not per request.
_BY_ID: dict[int, LawVersion] = {}


def law_for(application) -> LawVersion:
    """A registered case keeps its version; a draft sees today's."""
    if application.law_version_id is not None:
        version = _BY_ID.get(application.law_version_id)
        if version is None:
            _BY_ID.update((row.id, found) for row, found in _all())
            version = _BY_ID.get(application.law_version_id)
        if version is not None:
            return version
    return law_in_force(today_local())[1]


class LawVersionRefused(ValueError):
    """A new version of the Rules that cannot be loaded, with the reason in words."""


def load_version(data: dict, effective_from: date) -> LawVersionRecord:
    """Add a version of the Rules that takes effect on `effective_from` (the caller commits).

    Versions only follow one another: a case keeps the version of its registration day, so a
    version may neither replace one (same code) nor slip in before the latest.
    """
    data = {**data, "effective_from": effective_from.isoformat()}
    try:
        version = LawVersion.from_dict(data)
    except (KeyError, TypeError, ValueError, StopIteration) as exc:
        raise LawVersionRefused(f"not a version of the Rules: {exc.__class__.__name__}: {exc}") from None
    latest = db.session.scalar(db.select(LawVersionRecord).order_by(LawVersionRecord.effective_from.desc()).limit(1))
    if db.session.scalar(db.select(LawVersionRecord.id).filter_by(code=version.code)) is not None:
        raise LawVersionRefused(f"a version with the code {version.code!r} is already loaded")
    if latest is not None:
        if effective_from <= latest.effective_from:
            raise LawVersionRefused(f"it must take effect after the latest version ({latest.code!r}, "
                                    f"{latest.effective_from.isoformat()})")
        current = LawVersion.from_dict(latest.data)
        missing = sorted(set(current.terms) - set(version.terms))
        if missing:  # every term the deadlines compute must have a length in the new version
            raise LawVersionRefused(f"terms missing: {', '.join(missing)}")
        kinds = sorted(set(current.documents) - set(version.documents))
        if kinds:
            raise LawVersionRefused(f"document lists missing: {', '.join(kinds)}")
    record = LawVersionRecord(code=version.code, act=version.act, effective_from=effective_from,
                              data=version.to_dict())
    db.session.add(record)
    db.session.flush()
    g.pop("_law_versions", None)
    _BY_ID.pop(record.id, None)  # an id SQLite reuses after a deletion by hand (tests) must not read an old version
    return record
