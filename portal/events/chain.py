"""The hash chain of a case's events: pure functions over plain dicts (no Flask, no database).

Each event carries `seq` (1, 2, 3… within its chain), `prev_hash` (the previous event's `hash`, or
GENESIS for the first) and `hash`: the SHA-256 of the canonical serialisation of

    {application_id, seq, at, actor_id, kind, data, prev_hash}

as compact JSON with sorted keys and UTF-8 text (ensure_ascii=False), `at` written as UTC ISO-8601
with microseconds ("2026-03-20T12:45:00.000000Z") so that it reads back identically from SQLite and
PostgreSQL. Changing any of these fields, removing an event or re-ordering events breaks the chain;
the head (last seq and hash, kept apart) catches the removal of the last events.

A chain is a case (key = application id) or, for events without a case, the key 0. Its order is
`seq`, never `at`: an event may be recorded with an earlier moment than the one before it.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

GENESIS = "0" * 64
NO_CASE = 0  # the chain key of events without a case

# Why a chain is broken (the report's `reason`).
CHANGED = "changed"              # an event's content or its link to the previous one no longer matches
MISSING = "missing"              # events are missing before this one (a gap in seq)
HEAD_MISMATCH = "head mismatch"  # the head names more (or other) events than there are: removed at the end
EXTRA = "extra"                  # an event the head does not know of (inserted past it, or a repeated seq)
REASONS = (CHANGED, MISSING, HEAD_MISMATCH, EXTRA)

HASHED_FIELDS = ("application_id", "seq", "at", "actor_id", "kind", "data", "prev_hash")


def chain_key(application_id: int | None) -> int:
    return NO_CASE if application_id is None else application_id


def canonical_at(at: datetime | str | None) -> str | None:
    """A moment as UTC ISO-8601 with microseconds and a Z; naive datetimes are refused."""
    if at is None:
        return None
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime in an event's hash")
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: Mapping) -> bytes:
    """The bytes hashed for an event: its HASHED_FIELDS as compact, sorted, UTF-8 JSON."""
    body = {name: event.get(name) for name in HASHED_FIELDS}
    body["at"] = canonical_at(event.get("at"))
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def event_hash(event: Mapping) -> str:
    """Hex SHA-256 of canonical(event)."""
    return hashlib.sha256(canonical(event)).hexdigest()


def link(event: Mapping, last_seq: int, last_hash: str) -> dict:
    """seq, prev_hash and hash of a new event that follows a chain whose head is (last_seq, last_hash)."""
    linked = {**event, "seq": last_seq + 1, "prev_hash": last_hash}
    return {"seq": linked["seq"], "prev_hash": last_hash, "hash": event_hash(linked)}


def build(events: Iterable[Mapping]) -> list[dict]:
    """Link events already in chain order from the genesis (the migration's backfill); returns their links."""
    last_seq, last_hash, links = 0, GENESIS, []
    for event in events:
        links.append(link(event, last_seq, last_hash))
        last_seq, last_hash = links[-1]["seq"], links[-1]["hash"]
    return links


@dataclass(frozen=True)
class ChainReport:
    """The result of checking one chain.

    `checked` counts the events read, up to and including the first broken one (the check stops there).
    `broken_id`/`broken_seq` name that event; for HEAD_MISMATCH the event is gone, so `broken_id` is None
    and `broken_seq` is the first seq the head expects but no event has.
    """

    application_id: int | None
    intact: bool
    checked: int
    broken_id: int | None = None
    broken_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0  # how many events the head says the chain has

    def as_dict(self) -> dict:
        return {"application_id": self.application_id, "intact": self.intact, "checked": self.checked,
                "broken_id": self.broken_id, "broken_seq": self.broken_seq, "reason": self.reason,
                "head_seq": self.head_seq}


def verify(events: Iterable[Mapping], head: Mapping | None, application_id: int | None = None) -> ChainReport:
    """Check a chain in one pass over its events, given in (seq, id) order.

    `events` are dicts (or row mappings) with id and HASHED_FIELDS plus `hash`; `head` has
    last_seq and last_hash, or is None when the chain has no head row.
    """
    head_seq = head["last_seq"] if head is not None else 0
    head_hash = head["last_hash"] if head is not None else GENESIS
    expected, prev_hash, checked, last = 1, GENESIS, 0, None

    def broken(event, reason, seq=None):
        return ChainReport(application_id, False, checked, event["id"] if event is not None else None,
                           seq if seq is not None else event["seq"], reason, head_seq)

    for event in events:
        checked += 1
        seq = event["seq"]
        if seq is None or seq < expected or seq > head_seq:
            return broken(event, EXTRA)
        if seq > expected:
            return broken(event, MISSING)
        if event["prev_hash"] != prev_hash or event_hash(event) != event["hash"]:
            return broken(event, CHANGED)
        expected, prev_hash, last = seq + 1, event["hash"], event
    if expected - 1 != head_seq:
        return ChainReport(application_id, False, checked, None, expected, HEAD_MISMATCH, head_seq)
    if prev_hash != head_hash:
        # The count agrees but the last event is not the one the head recorded.
        return broken(last, CHANGED) if last is not None else ChainReport(
            application_id, False, checked, None, 1, HEAD_MISMATCH, head_seq)
    return ChainReport(application_id, True, checked, head_seq=head_seq)
