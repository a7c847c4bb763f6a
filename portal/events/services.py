"""Recording events; the caller's transaction commits them with the change they describe.

Every event is linked into its case's hash chain (portal/events/chain.py) here, and the chain's
head row is updated in the same transaction. The head row is locked before it is read
(SELECT … FOR UPDATE on PostgreSQL; SQLite lets one writer at a time anyway), so two
transactions writing events of one case get consecutive seqs instead of a fork.
record_many() does the same for many events in a few statements (the sweeper's batches).
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    false,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core.bulk import bulk_insert, bulk_update
from portal.core.types import utcnow
from portal.events import chain
from portal.events.models import Event, EventChainHead
from portal.extensions import db

HEAD = EventChainHead.__table__
EVENT = Event.__table__
CHUNK = 1000  # chain keys per IN (…) when reading heads
STREAM = 500  # rows fetched at a time when verifying


def _fields(application, event_kind: str, actor, at: datetime | None, data: dict) -> dict:
    """The hashed fields of a new event (its links excepted)."""
    return {
        "application_id": application.id if application is not None else None,
        "at": at or utcnow(),
        "actor_id": actor.id if actor is not None else None,
        "kind": event_kind,
        # What the JSON column will give back, so the hash is of what is stored (tuples become lists…).
        "data": json.loads(json.dumps(data, allow_nan=False)),
    }


def _unsaved(application, actor) -> bool:
    return (application is not None and application.id is None) or (actor is not None and actor.id is None)


def record(application, event_kind: str, actor=None, at: datetime | None = None, **data) -> Event:
    if _unsaved(application, actor):
        db.session.flush()  # the event needs the case's id (and the actor's: both are hashed)
    fields = _fields(application, event_kind, actor, at, data)
    key = chain.chain_key(fields["application_id"])
    last_seq, last_hash = _lock_head(key)
    links = chain.link(fields, last_seq, last_hash)
    db.session.execute(update(HEAD).where(HEAD.c.chain_key == key)
                       .values(last_seq=links["seq"], last_hash=links["hash"]))
    event = Event(**fields, **links)
    if actor is not None:
        event.actor = actor
    db.session.add(event)
    return event


def pending(application, event_kind: str, actor=None, at: datetime | None = None, **data) -> dict:
    """An event for record_many(), given as to record()."""
    return {"application": application, "kind": event_kind, "actor": actor, "at": at, "data": data}


def record_many(items) -> int:
    """Record many events (made by pending()) in their order, in a few statements; returns how many.

    The same chain as record() one by one: the heads of the chains concerned are locked in key order
    (lock_chains), the links are computed here in order, then the events are inserted and the heads
    updated in bulk. record() and record_many() may be mixed in one transaction.
    """
    items = list(items)
    if not items:
        return 0
    if any(_unsaved(i["application"], i["actor"]) for i in items):
        db.session.flush()
    if any(isinstance(o, Event) for o in db.session.new):
        db.session.flush()  # events record() added earlier get their ids before these: ids follow seq
    rows = [_fields(i["application"], i["kind"], i["actor"], i["at"], i["data"]) for i in items]
    heads = lock_chains(row["application_id"] for row in rows)
    for row in rows:
        key = chain.chain_key(row["application_id"])
        row.update(chain.link(row, *heads[key]))
        heads[key] = (row["seq"], row["hash"])
    db.session.execute(*bulk_insert(EVENT, rows))
    _update_heads({key: heads[key] for key in sorted({chain.chain_key(row["application_id"]) for row in rows})})
    return len(rows)


def _update_heads(heads: dict[int, tuple[int, str]]) -> None:
    """Write the new (last_seq, last_hash) of several chains whose heads this transaction holds."""
    bulk_update(HEAD, "chain_key", [{"chain_key": key, "last_seq": seq, "last_hash": last_hash}
                                    for key, (seq, last_hash) in heads.items()])


def _chunks(rows: list, size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def lock_chains(application_ids) -> dict[int, tuple[int, str]]:
    """Lock the heads of several cases' chains at once, in key order, before recording events on them.

    For a transaction that records events on many cases (a sweeper's batch): two such transactions
    taking the heads one by one in different orders could deadlock on PostgreSQL; in one order they wait.
    Missing heads are created and existing ones locked by one upsert, row after row in key order (so
    a head created here is taken in its turn too, not after the others), as taking them one by one in
    key order did; then the heads are read. Returns {chain key: (last_seq, last_hash)}.
    """
    keys = sorted({chain.chain_key(a) for a in application_ids})
    if not keys:
        return {}
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        for key in keys:
            _lock_head(key)
    else:
        # RETURNING (of the heads created here) makes SQLite's executemany one multi-row INSERT.
        statement, parameters = bulk_insert(HEAD, [{"chain_key": key, "last_seq": 0, "last_hash": chain.GENESIS}
                                                   for key in keys], order_by="chain_key")
        if dialect == "postgresql":
            # DO UPDATE … WHERE false locks the existing row (PostgreSQL locks every conflicting row
            # of an ON CONFLICT DO UPDATE) without writing it.
            statement = statement.on_conflict_do_update(index_elements=[HEAD.c.chain_key],
                                                        set_={"last_seq": statement.excluded.last_seq}, where=false())
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[HEAD.c.chain_key])
        db.session.execute(statement.returning(HEAD.c.chain_key), parameters)
    heads = {}
    for chunk in _chunks(keys):
        for row in db.session.execute(select(HEAD.c.chain_key, HEAD.c.last_seq, HEAD.c.last_hash)
                                      .where(HEAD.c.chain_key.in_(chunk))):
            heads[row.chain_key] = (row.last_seq, row.last_hash)
    return heads


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
        return pg_insert(HEAD).values(values).on_conflict_do_nothing(index_elements=[HEAD.c.chain_key])
    if dialect == "sqlite":
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
