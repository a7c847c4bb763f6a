"""The table of what a deadline's effect does to the thing it runs for: handlers the domains register.

The sweeper (portal/deadlines/sweeper.py) owns the deadline rows and their effect keys; what an effect means for a
case or a complaint belongs to that domain, which registers it here when its module is imported (the app factory's
configure_hooks imports them all). So the deadlines lie below the steps and call none of them by name (issue 17
items 6 and 12).

A handler is `handler(deadline, now, batch)`; `batch` is the sweep's Batch: its events go to the case's chain in
the order they were asked for (batch.event), its notices to the outbox in bulk (batch.notify), and what a domain
writes in bulk at the end of a round of the batch it sets aside under its own name (batch.later) and writes in a
store it registered (register_store), called once per round with what was set aside.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

CASE = "case"
COMPLAINT = "complaint"

Handler = Callable[..., None]
Store = Callable[[list, datetime], None]
Notices = Callable[[list, datetime], int]

_handlers: dict[tuple[str, str], Handler] = {}
_stores: dict[str, Store] = {}
_notices: list[Notices] = []


def register(effect: str, handler: Handler, subject: str = CASE) -> None:
    """`handler` does `effect` for the deadlines of `subject` (CASE or COMPLAINT); registering again replaces it."""
    _handlers[(effect, subject)] = handler


def register_store(name: str, store: Store) -> None:
    """`store(items, now)` writes in bulk what handlers set aside with batch.later(name, key, item)."""
    _stores[name] = store


def register_notices(writer: Notices) -> None:
    """`writer([(kind, deadline), …], now)` sends the notices of the escalations ("deadline.warning", …)."""
    _notices[:] = [writer]


def subject_of(deadline) -> str:
    return COMPLAINT if deadline.complaint_id is not None else CASE


def handler(effect: str, deadline) -> Handler | None:
    """What `effect` does beyond the deadline itself for this deadline's subject; None when nothing."""
    return _handlers.get((effect, subject_of(deadline)))


def store(name: str) -> Store:
    try:
        return _stores[name]
    except KeyError:
        raise LookupError(f"no store registered for {name!r} (is its domain's module imported?)") from None


def notices() -> Notices:
    if not _notices:
        raise LookupError("no writer of escalation notices registered (portal.notifications.hooks not imported)")
    return _notices[0]
