"""Which version of the Rules governs a case, loaded from SQL into the rules engine's types."""
from __future__ import annotations

from datetime import date

from flask import g

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


def law_in_force(on: date) -> tuple[LawVersionRecord, LawVersion]:
    """The version in force on `on`: a case follows the version of its registration day."""
    candidates = [pair for pair in _all() if pair[0].effective_from <= on]
    if not candidates:
        raise LookupError(f"no version of the Rules is in force on {on.isoformat()}")
    return candidates[-1]


def law_for(application) -> LawVersion:
    """A registered case keeps its version; a draft sees today's."""
    if application.law_version_id is not None:
        for row, version in _all():
            if row.id == application.law_version_id:
                return version
    from portal.core.clock import today_local

    return law_in_force(today_local())[1]
