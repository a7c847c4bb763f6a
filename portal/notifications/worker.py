"""The outbox worker: every due message is sent once, each in its own transaction.

Safe on many hosts at once: on PostgreSQL a message is claimed with FOR UPDATE SKIP LOCKED,
so two workers never hold the same row; on SQLite the claim's conditional UPDATE takes the
database's write lock (SQLite is for development, with the folder transport). A message is
marked sent in the transaction that claimed it, committed as soon as the relay accepted it:
a crash in between sends it once more, with the same Message-ID, and never loses it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.extensions import db
from portal.notifications import rendering
from portal.notifications.models import CANCELLED, FAILED, PENDING, SENT, OutboxMessage
from portal.notifications.transports import transport_for

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)


def _due_query(now: datetime):
    query = (select(OutboxMessage).where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return query


def _claim(now: datetime) -> tuple[OutboxMessage | None, bool]:
    """The next due message, its attempt counted; (None, False) when none is due, (row, False) if lost to another."""
    message = db.session.scalar(_due_query(now))
    if message is None:
        return None, False
    won = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.status == PENDING,
                                    OutboxMessage.attempts == message.attempts)
        .values(attempts=OutboxMessage.attempts + 1).execution_options(synchronize_session=False)).rowcount == 1
    if won:
        db.session.refresh(message)
    return message, won


# --- re-checks at send time ------------------------------------------------------------------

# A reminder is re-checked when it is due: kind -> check(message, now) giving why it is no longer sent (or None).
# The domain that knows the state registers its check (a hearing's reminder: hearings; a certificate's: decisions),
# so the outbox reads no step's tables.
RECHECK: dict[str, Callable[[OutboxMessage, datetime], str | None]] = {}


def register_recheck(kind: str, check: Callable[[OutboxMessage, datetime], str | None]) -> None:
    RECHECK[kind] = check


# --- sending ---------------------------------------------------------------------------------

def _deliver(message: OutboxMessage, now: datetime, transport) -> str:
    check = RECHECK.get(message.kind)
    reason = check(message, now) if check else None
    if reason:
        message.status, message.last_error = CANCELLED, reason
        return "cancelled"
    try:
        subject, body = rendering.subject(message), rendering.body(message)
        transport.send(rendering.email(message, subject, body))
    except Exception as exc:  # noqa: BLE001 — any failure of rendering or relay is retried later, never dropped
        return _failed(message, now, exc)
    message.subject, message.body, message.status, message.sent_at = subject, body, SENT, now
    message.last_error = ""
    return "sent"


def _failed(message: OutboxMessage, now: datetime, error: Exception) -> str:
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = FAILED
        return "failed"
    message.next_attempt_at = now + min(BACKOFF_FIRST * 2 ** (message.attempts - 1), BACKOFF_MAX)
    return "retry"


def send_due(now: datetime) -> dict:
    """Send every message due at `now` once; returns how many were sent, cancelled, retried later, failed."""
    transport = transport_for(current_app.config)
    done: Counter = Counter()
    seen: set[int] = set()
    while True:
        message, won = _claim(now)
        if message is None or message.id in seen:
            # Never spin: a row still due after its attempt waits for the next run.
            db.session.rollback()
            break
        seen.add(message.id)
        if won:
            done[_deliver(message, now, transport)] += 1
        db.session.commit()
    return dict(done)


def retry_failed(now: datetime) -> int:
    """Give every failed message a fresh series of attempts (after the relay or an address was fixed)."""
    count = db.session.execute(update(OutboxMessage).where(OutboxMessage.status == FAILED)
                               .values(status=PENDING, attempts=0, next_attempt_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count
