"""What a case leaves besides its steps: the timeline (the event chain of issue 8) and the mail to the applicant."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from bench.scale.common import dumps, rr, sorted_dumps
from portal.events import chain

# The event chain's canonical form (portal/events/chain.py), written out for speed: sorted keys, compact, UTF-8.
GENESIS = "0" * 64


class Event(NamedTuple):
    """One entry of a case's timeline; data is a dict, or its canonical JSON already (sorted keys, compact)."""

    at: datetime
    actor: int | None
    kind: str
    data: dict | str = "{}"


def event_hash(application_id: int, seq: int, at: datetime, actor_id, kind: str, data_json: str,
               prev_hash: str) -> str:
    """`at` in UTC; `kind` a plain identifier (JSON needs no escaping in it)."""
    body = (f'{{"actor_id":{"null" if actor_id is None else actor_id},"application_id":{application_id},'
            f'"at":"{at.isoformat(timespec="microseconds")[:26]}Z","data":{data_json},'
            f'"kind":"{kind}","prev_hash":"{prev_hash}","seq":{seq}}}')
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_canonical() -> None:
    """The fast form above must hash exactly as the chain module does; refuse to write a broken chain."""
    sample = {"application_id": 7, "seq": 3, "at": datetime(2026, 3, 20, 12, 45, 1, 5, tzinfo=timezone.utc),
              "actor_id": None, "kind": "deadline.warning", "data": {"ü": "Ә", "a": [1, {"b": None}]},
              "prev_hash": "ab" * 32}
    stored = sorted_dumps(sample["data"])
    fast = event_hash(7, 3, sample["at"], None, sample["kind"], stored, sample["prev_hash"])
    if chain.GENESIS != GENESIS or fast != chain.event_hash(sample):
        raise RuntimeError("demo scale: the event chain's canonical form changed; update event_hash")


def write_events(gen, app_id: int, events: list[Event]) -> None:
    """The timeline in time order, each event linked to the one before, and the chain's head."""
    events.sort(key=lambda e: e.at)
    add, new_id, now = gen.add, gen.new_id, gen.now
    previous, seq = GENESIS, 0
    utc = timezone.utc
    for at, actor, kind, data in events:
        if at.tzinfo is not utc:
            at = at.astimezone(utc)
        at = min(at, now)
        seq += 1
        stored = data if type(data) is str else sorted_dumps(data)
        digest = event_hash(app_id, seq, at, actor, kind, stored, previous)
        add("event", {"id": new_id("event"), "application_id": app_id, "at": at, "actor_id": actor, "kind": kind,
                      "data": stored, "seq": seq, "prev_hash": previous, "hash": digest})
        previous = digest
    add("event_chain_head", {"chain_key": app_id, "last_seq": seq, "last_hash": previous})


def outbox(gen, case, kind: str, topic: str, context: dict, at: datetime) -> None:
    """A mail to the case's applicant, sent a few minutes after `at` unless that is still to come."""
    sent = at + timedelta(seconds=rr(gen.rand, 5, 300))
    if sent > gen.now:
        sent = None
    email = case.org.email
    gen.add("outbox", {
        "id": gen.new_id("outbox"), "recipient_email": email, "recipient_id": case.org.user_id,
        "application_id": case.app_id, "kind": kind, "language": "kk", "topic": topic,
        "dedup_key": f"{topic}|{email}", "context": dumps(context), "subject": "", "body": "",
        "status": "sent" if sent else "pending", "created_at": at, "send_after": at, "next_attempt_at": at,
        "attempts": 1 if sent else 0, "last_error": "", "sent_at": sent})
