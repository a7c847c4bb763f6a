"""The deadline sweeper: applies the escalation rules to due deadlines, each effect exactly once.

Safe on many hosts at once: on PostgreSQL each batch is claimed with FOR UPDATE SKIP LOCKED,
so two sweepers never hold the same row; on SQLite writers are serialised by the database.
Every effect is a row with a unique key, written in the same transaction as what it changes,
so a sweep killed halfway is finished by the next one without repeating anything.

A batch costs a few statements whatever its size: the effects are claimed with one
INSERT … ON CONFLICT DO NOTHING RETURNING, the events go to their chains with events.record_many()
and the notifications to the outbox with one insert (recipients looked up once per batch).
"""
from __future__ import annotations

from collections import Counter
from contextvars import ContextVar
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal.applications.models import Application
from portal.calendar.services import current_calendar
from portal.core import bulk
from portal.core.types import utcnow
from portal.deadlines.models import MISSED, OPEN, Deadline, DeadlineEffect
from portal.events import services as events
from portal.extensions import db
from portal.notifications import hooks as notifications
from portal.notifications.services import Recipients
from rules.escalation import escalate
from rules.escalation import next_check as next_moment

BATCH = 500
EFFECT = DeadlineEffect.__table__
DEADLINE = Deadline.__table__
APPLICATION = Application.__table__
# What the effects read of a case (other columns load when touched: a forwarded complaint's case, rarely).
CASE_COLUMNS = (Application.id, Application.number, Application.organization_id, Application.overdue_since,
                Application.version)


def _due_query(now: datetime, batch: int):
    query = (select(Deadline).where(Deadline.state == OPEN, Deadline.next_check_at <= now)
             .order_by(Deadline.next_check_at, Deadline.id).limit(batch)
             # What the effects read, for the whole batch at once (not a query per deadline).
             .options(selectinload(Deadline.application).load_only(*CASE_COLUMNS), selectinload(Deadline.complaint)))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Deadline)
    return query


def _due_batch(now: datetime, batch: int) -> list[Deadline]:
    return list(db.session.scalars(_due_query(now, batch)))


class _Writes:
    """The events and notifications of a batch's effects, kept in order and written in bulk by flush()."""

    def __init__(self, now: datetime):
        self.now = now
        self.events: list[dict] = []
        self.notices: list[tuple[str, Deadline]] = []
        self.recipients = Recipients()  # the batch's: accounts read once per batch, never across a commit
        self.overdue: dict[int, Application] = {}  # cases to flag overdue, by id

    def flush(self) -> None:
        if self.events:
            events.record_many(self.events)
            self.events = []
        if self.notices:
            notifications.deadlines_escalated(self.notices, self.now, self.recipients)
            self.notices = []


_writes: ContextVar[_Writes | None] = ContextVar("sweeper_writes", default=None)


def _claim(planned: list[tuple[Deadline, list[dict]]], now: datetime) -> set[str]:
    """Record the effects; returns the keys that are ours (the others some sweeper already did).

    One INSERT … ON CONFLICT (key) DO NOTHING RETURNING key (portal.core.bulk): a key another
    transaction holds uncommitted makes it wait for that one's end, as the unique key always did.
    """
    rows = [{"key": effect["key"], "deadline_id": deadline.id, "kind": effect["effect"], "at": now,
             "detail": effect["paragraph"]} for deadline, effects in planned for effect in effects]
    if not rows:
        return set()
    statement, parameters = bulk.bulk_insert(EFFECT, rows)
    statement = statement.on_conflict_do_nothing(index_elements=[EFFECT.c.key]).returning(EFFECT.c.key)
    return set(db.session.scalars(statement, parameters))


def _event(application, kind: str, **data) -> None:
    writes = _writes.get()
    if writes is None:
        events.record(application, kind, **data)
    else:
        writes.events.append(events.pending(application, kind, **data))


def _notify(kind: str, deadline: Deadline, now: datetime) -> None:
    writes = _writes.get()
    if writes is None:
        notifications.deadline_escalated(kind, deadline, now)
    else:
        writes.notices.append((kind, deadline))


def _apply(effect: str, deadline: Deadline, now: datetime) -> None:
    """Do one claimed effect; in a sweep its events and notifications are written with the batch's."""
    from portal.complaints import services as complaints

    application = deadline.application
    about = {"complaint": deadline.complaint.number} if deadline.complaint_id is not None else {}
    if effect == "warn":
        _event(application, "deadline.warning", at=now, code=deadline.code,
               due=deadline.due_date.isoformat(), paragraph=deadline.paragraph, **about)
        _notify("deadline.warning", deadline, now)
    elif effect == "mark_missed":
        _set(deadline, "state", MISSED)
        _event(application, "deadline.missed", at=now, code=deadline.code,
               due=deadline.due_date.isoformat(), paragraph=deadline.paragraph, **about)
        _notify("deadline.missed", deadline, now)
    elif effect == "flag_overdue":
        if deadline.complaint_id is not None:
            complaints.mark_overdue(deadline, now)
        else:
            writes = _writes.get()
            if writes is None:
                application.overdue_since = application.overdue_since or now
            elif application.overdue_since is None:
                writes.overdue[application.id] = application  # flagged in bulk by _store()
    elif effect == "auto_forward":
        # п.17: no favourable act nor forwarding by 17:00 of the term's last day; the effect row makes it happen once.
        writes = _writes.get()
        if writes is not None:
            writes.flush()  # it records events and notifications itself: what came before goes first
        complaints.auto_forward(deadline, now)


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
        effects = escalate(facts, now, calendar)
        planned.append((deadline, effects))
        if any(effect["effect"] == "auto_forward" for effect in effects):
            break
    return planned


def _set(deadline: Deadline, name: str, value) -> None:
    """Change a row's state or next check; in a sweep the change is written by _store() (not by the ORM)."""
    if _writes.get() is None:
        setattr(deadline, name, value)
    else:
        set_committed_value(deadline, name, value)


def _store(planned: list[tuple[Deadline, list[dict]]], writes: _Writes, now: datetime) -> None:
    """Write the rows' states and next checks, and flag the cases overdue, in a few statements.

    Plain SQL of the values the loaded objects hold (_set() gave them without making the objects dirty:
    the ORM would send an UPDATE per row, and one per case, as the case's version makes it check each;
    what other code changed through the ORM, e.g. a forwarded complaint's terms, it still writes itself
    and with the same values). The cases keep their version check:
    a case changed by someone since it was read is not flagged, and the batch fails as the ORM's
    flush would (StaleDataError), to be taken again by the next sweep.
    """
    bulk.bulk_update(DEADLINE, "id", [{"id": d.id, "state": d.state, "next_check_at": d.next_check_at}
                                        for d, _effects in planned])
    cases, writes.overdue = list(writes.overdue.values()), {}
    if cases:
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


def _process(rows: list[Deadline], now: datetime, calendar, done: Counter) -> None:
    """Apply the rules to a locked batch: effects claimed in bulk, their events and mail written in bulk."""
    writes = _Writes(now)
    token = _writes.set(writes)
    try:
        while rows:
            planned = _plan(rows, now, calendar)
            rows = rows[len(planned):]
            claimed = _claim(planned, now)
            for deadline, effects in planned:
                for effect in effects:
                    if effect["key"] in claimed:
                        _apply(effect["effect"], deadline, now)
                        done[effect["effect"]] += 1
                _set(deadline, "next_check_at", next_check(deadline, now))
            _store(planned, writes, now)
        writes.flush()
    finally:
        _writes.reset(token)


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
