"""Recording events; the caller's transaction commits them with the change they describe.

Every event is linked into its case's hash chain (portal/events/chain.py) here, and the chain's
head row is updated in the same transaction. The head row is locked before it is read
(SELECT … FOR UPDATE on PostgreSQL; SQLite lets one writer at a time anyway), so two
transactions writing events of one case get consecutive seqs instead of a fork.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import insert, select, update

from portal.core.types import utcnow
from portal.events import chain
from portal.events.models import Event, EventChainHead
from portal.extensions import db

HEAD = EventChainHead.__table__
STREAM = 500  # rows fetched at a time when verifying


def record(application, event_kind: str, actor=None, at: datetime | None = None, **data) -> Event:
    if (application is not None and application.id is None) or (actor is not None and actor.id is None):
        db.session.flush()  # the event needs the case's id (and the actor's: both are hashed)
    application_id = application.id if application is not None else None
    fields = {
        "application_id": application_id,
        "at": at or utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "kind": event_kind,
        # What the JSON column will give back, so the hash is of what is stored (tuples become lists…).
        "data": json.loads(json.dumps(data, allow_nan=False)),
    }
    key = chain.chain_key(application_id)
    last_seq, last_hash = _lock_head(key)
    links = chain.link(fields, last_seq, last_hash)
    db.session.execute(update(HEAD).where(HEAD.c.chain_key == key)
                       .values(last_seq=links["seq"], last_hash=links["hash"]))
    event = Event(**fields, **links)
    if actor is not None:
        event.actor = actor
    db.session.add(event)
    return event


def lock_chains(application_ids) -> None:
    """Lock the heads of several cases' chains at once, in key order, before recording events on them.

    For a transaction that records events on many cases (a sweeper's batch): two such transactions
    taking the heads one by one in different orders could deadlock on PostgreSQL; in one order they wait.
    """
    for key in sorted({chain.chain_key(a) for a in application_ids}):
        _lock_head(key)


def _lock_head(key: int) -> tuple[int, str]:
    """(last_seq, last_hash) of a chain, its head row locked until the transaction ends; created if new."""
    query = select(HEAD.c.last_seq, HEAD.c.last_hash).where(HEAD.c.chain_key == key)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = db.session.execute(query).first()
    if row is None:
        db.session.execute(_insert_head_if_missing(key))
        row = db.session.execute(query).one()  # ours, or the one a concurrent first writer committed
    return row.last_seq, row.last_hash


def _insert_head_if_missing(key: int):
    values = {"chain_key": key, "last_seq": 0, "last_hash": chain.GENESIS}
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(HEAD).values(values).on_conflict_do_nothing(index_elements=[HEAD.c.chain_key])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(HEAD).values(values).on_conflict_do_nothing(index_elements=[HEAD.c.chain_key])
    return insert(HEAD).values(values)


def timeline(application) -> list[Event]:
    return list(db.session.scalars(
        db.select(Event).filter_by(application_id=application.id).order_by(Event.at, Event.id)
    ))


# --- checking the chain ------------------------------------------------------------------------

def verify_chain(application_id: int | None) -> chain.ChainReport:
    """Check the chain of a case (None or 0: the events without a case) in one ordered pass.

    The rows are streamed in (seq, id) order, STREAM at a time; the check stops at the first break.
    """
    application_id = application_id or None
    head = db.session.execute(select(HEAD.c.last_seq, HEAD.c.last_hash)
                              .where(HEAD.c.chain_key == chain.chain_key(application_id))).first()
    columns = [Event.id, Event.hash, *(getattr(Event, name) for name in chain.HASHED_FIELDS)]
    where = Event.application_id.is_(None) if application_id is None else Event.application_id == application_id
    result = db.session.execute(select(*columns).where(where).order_by(Event.seq, Event.id)
                                .execution_options(yield_per=STREAM))
    try:
        return chain.verify((row._mapping for row in result), head._mapping if head is not None else None,
                            application_id)
    finally:
        result.close()


def chain_keys() -> list[int | None]:
    """Every chain there is or should be: the cases with events or a head, then None (no case) if any."""
    keys = set(db.session.scalars(select(HEAD.c.chain_key)))
    keys |= {chain.chain_key(k) for k in db.session.scalars(select(Event.application_id).distinct())}
    return [k for k in sorted(keys) if k != chain.NO_CASE] + ([None] if chain.NO_CASE in keys else [])
