"""The deadline sweeper: applies the escalation rules to due deadlines, each effect exactly once.

Safe on many hosts at once: on PostgreSQL each batch is claimed with FOR UPDATE SKIP LOCKED,
so two sweepers never hold the same row; on SQLite writers are serialised by the database.
Every effect is a row with a unique key, written in the same transaction as what it changes,
so a sweep killed halfway is finished by the next one without repeating anything.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.calendar_admin.services import current_calendar
from portal.deadlines.models import MISSED, OPEN, Deadline, DeadlineEffect
from portal.events import services as events
from portal.extensions import db
from portal.notifications import hooks as notifications
from rules.escalation import escalate, warn_from

TICK = timedelta(microseconds=1)
BATCH = 500


def _due_query(now: datetime, batch: int):
    query = (select(Deadline).where(Deadline.state == OPEN, Deadline.next_check_at <= now)
             .order_by(Deadline.next_check_at, Deadline.id).limit(batch))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Deadline)
    return query


def _due_batch(now: datetime, batch: int) -> list[Deadline]:
    return list(db.session.scalars(_due_query(now, batch)))


def _claim(effect: dict, deadline: Deadline, now: datetime) -> bool:
    """Record the effect; False if some sweeper already did (the unique key says so)."""
    try:
        with db.session.begin_nested():
            db.session.add(DeadlineEffect(key=effect["key"], deadline_id=deadline.id, kind=effect["effect"],
                                          at=now, detail=effect["paragraph"]))
    except IntegrityError:
        return False
    return True


def _apply(effect: str, deadline: Deadline, now: datetime) -> None:
    from portal.complaints import services as complaints

    application = deadline.application
    about = {"complaint": deadline.complaint.number} if deadline.complaint_id is not None else {}
    if effect == "warn":
        events.record(application, "deadline.warning", at=now, code=deadline.code,
                      due=deadline.due_date.isoformat(), paragraph=deadline.paragraph, **about)
        notifications.deadline_escalated("deadline.warning", deadline, now)
    elif effect == "mark_missed":
        deadline.state = MISSED
        events.record(application, "deadline.missed", at=now, code=deadline.code,
                      due=deadline.due_date.isoformat(), paragraph=deadline.paragraph, **about)
        notifications.deadline_escalated("deadline.missed", deadline, now)
    elif effect == "flag_overdue":
        if deadline.complaint_id is not None:
            complaints.mark_overdue(deadline, now)
        else:
            application.overdue_since = application.overdue_since or now
    elif effect == "auto_forward":
        # п.17: no favourable act and no forwarding in 3 WD; the effect row makes this happen once.
        complaints.auto_forward(deadline, now)


def next_check(deadline: Deadline, now: datetime) -> datetime | None:
    """The next moment this deadline needs the sweeper: the warning day, then just after the end."""
    if deadline.state != OPEN:
        return None
    warning = warn_from(deadline.due_date, current_calendar())
    return warning if now < warning else deadline.due_at + TICK


def sweep(now: datetime, batch: int = BATCH) -> dict:
    """Process every deadline due at `now`; returns how many effects of each kind happened."""
    calendar = current_calendar()
    done: Counter = Counter()
    seen: set[int] = set()
    while rows := _due_batch(now, batch):
        if all(row.id in seen for row in rows):
            # Never spin: a row still due after it was processed waits for the next sweep.
            db.session.rollback()
            break
        seen.update(row.id for row in rows)
        # Lock the batch's event-log heads in key order first: two sweepers never wait on each other in a circle.
        events.lock_chains({row.application_id for row in rows})
        for deadline in rows:
            facts = {"id": deadline.id, "kind": deadline.code, "state": deadline.state,
                     "due_at": deadline.due_at, "paragraph": deadline.paragraph}
            for effect in escalate(facts, now, calendar):
                if _claim(effect, deadline, now):
                    _apply(effect["effect"], deadline, now)
                    done[effect["effect"]] += 1
            deadline.next_check_at = next_check(deadline, now)
        db.session.commit()
        done["deadlines"] += len(rows)
    return dict(done)
