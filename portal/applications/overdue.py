"""A case whose term the sweeper found missed is flagged overdue: the handler this domain registers with the
deadlines' table of effects (portal/deadlines/effects.py), so the sweeper never names a step."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import tuple_
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal.applications.models import Application
from portal.core.types import utcnow
from portal.deadlines import effects
from portal.extensions import db

APPLICATION = Application.__table__
OVERDUE = "cases_overdue"


def flag_overdue(deadline, now: datetime, batch) -> None:
    """Set the case aside for flag_cases() (once per case and round), unless it is already overdue."""
    application = deadline.application
    if application.overdue_since is None:
        batch.later(OVERDUE, application.id, application)


def flag_cases(cases: list[Application], now: datetime) -> None:
    """Flag the cases overdue in one statement, keeping their version check.

    Plain SQL: the ORM would send an UPDATE per case, as the case's version makes it check each. A case changed by
    someone since it was read is not flagged, and the batch fails as the ORM's flush would (StaleDataError), to be
    taken again by the next sweep.
    """
    updated_at = utcnow()
    flagged = db.session.execute(
        APPLICATION.update().where(tuple_(APPLICATION.c.id, APPLICATION.c.version)
                                   .in_([(case.id, case.version) for case in cases]))
        .values(overdue_since=now, updated_at=updated_at, version=APPLICATION.c.version + 1)).rowcount
    if flagged != len(cases):
        raise StaleDataError(f"flagging {len(cases)} cases overdue matched {flagged}: changed meanwhile")
    for case in cases:
        set_committed_value(case, "overdue_since", now)
        set_committed_value(case, "updated_at", updated_at)
        set_committed_value(case, "version", case.version + 1)


effects.register("flag_overdue", flag_overdue, subject=effects.CASE)
effects.register_store(OVERDUE, flag_cases)
