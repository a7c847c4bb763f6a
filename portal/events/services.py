"""Recording events; the caller's transaction commits them with the change they describe."""
from __future__ import annotations

from datetime import datetime

from portal.core.types import utcnow
from portal.events.models import Event
from portal.extensions import db


def record(application, event_kind: str, actor=None, at: datetime | None = None, **data) -> Event:
    if application is not None and application.id is None:
        db.session.flush()  # the event needs the case's id
    event = Event(application_id=application.id if application is not None else None,
                  actor=actor, kind=event_kind, data=data, at=at or utcnow())
    db.session.add(event)
    return event


def timeline(application) -> list[Event]:
    return list(db.session.scalars(
        db.select(Event).filter_by(application_id=application.id).order_by(Event.at, Event.id)
    ))
