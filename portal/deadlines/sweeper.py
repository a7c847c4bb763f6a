"""The deadline sweeper: applies the escalation rules to due deadlines, each effect exactly once.

Safe on many hosts at once: on PostgreSQL each batch is claimed with FOR UPDATE SKIP LOCKED,
so two sweepers never hold the same row; on SQLite writers are serialised by the database.
Every effect is a row with a unique key, written in the same transaction as what it changes,
so a sweep killed halfway is finished by the next one without repeating anything.

A batch costs a few statements whatever its size: the effects are claimed with one
INSERT … ON CONFLICT DO NOTHING RETURNING, the events go to their chains with events.record_many()
and the notifications to the outbox with one insert (recipients looked up once per batch).

What an effect does to a case or a complaint (flag it overdue, forward it) is the handler its domain registered
in portal/deadlines/effects.py: the sweeper names no step.
"""
from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.calendar.services import current_calendar
from portal.core import bulk
from portal.deadlines import effects
from portal.deadlines.models import MISSED, OPEN, Deadline, DeadlineEffect
from portal.events import services as events
from portal.extensions import db
from rules.escalation import escalate
from rules.escalation import next_check as next_moment

BATCH = 500
EFFECT = DeadlineEffect.__table__
DEADLINE = Deadline.__table__
# What the effects read of a case (other columns load when touched: a forwarded complaint's case, rarely).
CASE_COLUMNS = ("id", "number", "organization_id", "overdue_since", "version")


def _case_columns() -> list:
    case = Deadline.application.property.mapper.class_  # the case's model through the relationship: no step named
    return [getattr(case, name) for name in CASE_COLUMNS]


def _due_query(now: datetime, batch: int):
    query = (select(Deadline).where(Deadline.state == OPEN, Deadline.next_check_at <= now)
             .order_by(Deadline.next_check_at, Deadline.id).limit(batch)
             # What the effects read, for the whole batch at once (not a query per deadline).
             .options(selectinload(Deadline.application).load_only(*_case_columns()), selectinload(Deadline.complaint)))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Deadline)
    return query


def _due_batch(now: datetime, batch: int) -> list[Deadline]:
    return list(db.session.scalars(_due_query(now, batch)))


class Batch:
    """What a batch's effects write besides the deadline rows, kept in order and written in bulk by flush().

    Handlers (portal/deadlines/effects.py) add to it: events, in the order asked, to the cases' chains; notices of
    escalations to the outbox; and what a domain writes in bulk itself (later(), written by its registered store).
    """

    def __init__(self, now: datetime):
        self.now = now
        self.events: list[dict] = []
        self.notices: list[tuple[str, Deadline]] = []
        self.set_aside: dict[str, dict] = {}

    def event(self, application, kind: str, **data) -> None:
        self.events.append(events.pending(application, kind, **data))

    def notify(self, kind: str, deadline: Deadline) -> None:
        self.notices.append((kind, deadline))

    def later(self, name: str, key, item) -> None:
        """Set `item` aside for the store registered as `name` (effects.register_store), once per key."""
        self.set_aside.setdefault(name, {}).setdefault(key, item)

    def store(self) -> None:
        """Write what the handlers set aside (called after the deadline rows of a round are written)."""
        set_aside, self.set_aside = self.set_aside, {}
        for name, items in set_aside.items():
            effects.store(name)(list(items.values()), self.now)

    def flush(self) -> None:
        if self.events:
            events.record_many(self.events)
            self.events = []
        if self.notices:
            effects.notices()(self.notices, self.now)
            self.notices = []


_batch: ContextVar[Batch] = ContextVar("sweeper_batch")


def _claim(planned: list[tuple[Deadline, list[dict]]], now: datetime) -> set[str]:
    """Record the effects; returns the keys that are ours (the others some sweeper already did).

    One INSERT … ON CONFLICT (key) DO NOTHING RETURNING key (portal.core.bulk): a key another
    transaction holds uncommitted makes it wait for that one's end, as the unique key always did.
    """
    rows = [{"key": effect["key"], "deadline_id": deadline.id, "kind": effect["effect"], "at": now,
             "detail": effect["paragraph"]} for deadline, due in planned for effect in due]
    if not rows:
        return set()
    statement, parameters = bulk.bulk_insert(EFFECT, rows)
    statement = statement.on_conflict_do_nothing(index_elements=[EFFECT.c.key]).returning(EFFECT.c.key)
    return set(db.session.scalars(statement, parameters))


def _apply(effect: str, deadline: Deadline, now: datetime) -> None:
    """Do one claimed effect of the batch being processed (_process): a warning and a missed term are the
    deadline's own; any other is done by the handler its subject's domain registered (portal/deadlines/effects.py)."""
    batch = _batch.get()
    if effect == "warn":
        _escalation_event(batch, "deadline.warning", deadline, now)
    elif effect == "mark_missed":
        set_committed_value(deadline, "state", MISSED)  # written by _store()
        _escalation_event(batch, "deadline.missed", deadline, now)
    elif (handler := effects.handler(effect, deadline)) is not None:
        handler(deadline, now, batch)
    else:
        raise LookupError(f"no handler registered for {effect!r} of a {effects.subject_of(deadline)}'s deadline")


def _escalation_event(batch: Batch, kind: str, deadline: Deadline, now: datetime) -> None:
    """The event on the case's timeline and the notice to whoever must act."""
    about = {"complaint": deadline.complaint.number} if deadline.complaint_id is not None else {}
    batch.event(deadline.application, kind, at=now, code=deadline.code, due=deadline.due_date.isoformat(),
                paragraph=deadline.paragraph, **about)
    batch.notify(kind, deadline)


def next_check(deadline: Deadline, now: datetime) -> datetime | None:
    """The next moment this deadline needs the sweeper: the warning day, a complaint's automatic forward
    (17:00 of the forwarding term's last day, rules.escalation), then just after the end (18:30)."""
    if deadline.state != OPEN:
        return None
    return next_moment(deadline.code, deadline.due_at, now, current_calendar())


def _plan(rows: list[Deadline], now: datetime, calendar) -> list[tuple[Deadline, list[dict]]]:
    """The effects due for the first rows, in order, up to and with the first that forwards a complaint.

    Forwarding ends the complaint's other terms: the rows after it are planned once it is done, from
    their states then, as if each row were taken after the one before.
    """
    planned = []
    for deadline in rows:
        facts = {"id": deadline.id, "kind": deadline.code, "state": deadline.state,
                 "due_at": deadline.due_at, "paragraph": deadline.paragraph}
        due = escalate(facts, now, calendar)
        planned.append((deadline, due))
        if any(effect["effect"] == "auto_forward" for effect in due):
            break
    return planned


def _store(planned: list[tuple[Deadline, list[dict]]], batch: Batch) -> None:
    """Write the rows' states and next checks, then what the handlers set aside (cases flagged overdue), in a few
    statements.

    Plain SQL of the values the loaded objects hold (set_committed_value() gave them without making the objects
    dirty: the ORM would send an UPDATE per row); what other code changed through the ORM, e.g. a forwarded
    complaint's terms, it still writes itself and with the same values.
    """
    bulk.bulk_update(DEADLINE, "id", [{"id": d.id, "state": d.state, "next_check_at": d.next_check_at}
                                        for d, _effects in planned])
    batch.store()


def _process(rows: list[Deadline], now: datetime, calendar, done: Counter) -> None:
    """Apply the rules to a locked batch: effects claimed in bulk, their events and mail written in bulk."""
    batch = Batch(now)
    token = _batch.set(batch)
    try:
        while rows:
            planned = _plan(rows, now, calendar)
            rows = rows[len(planned):]
            claimed = _claim(planned, now)
            for deadline, due in planned:
                for effect in due:
                    if effect["key"] in claimed:
                        _apply(effect["effect"], deadline, now)
                        done[effect["effect"]] += 1
                set_committed_value(deadline, "next_check_at", next_check(deadline, now))  # written by _store()
            _store(planned, batch)
        batch.flush()
    finally:
        _batch.reset(token)


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
        _process(rows, now, calendar, done)
        db.session.commit()
        done["deadlines"] += len(rows)
    return dict(done)
