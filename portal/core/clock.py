"""The one clock of the portal: UTC inside, Asia/Almaty for people and for the Rules."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def today_local() -> date:
    return now_utc().astimezone(ALMATY).date()


def parse_moment(text: str) -> datetime:
    """An ISO date-time; without an offset it is Asia/Almaty time. Raises ValueError."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ALMATY)
    return moment.astimezone(timezone.utc)


def run_every(every: int, step, name: str) -> None:
    """A worker's loop: `step()` every `every` seconds, riding out database outages.

    A restart of PostgreSQL must not end the sweeper or the mail worker (systemd would give up
    restarting them after a few quick exits): the failed round is rolled back and retried next time.
    """
    import logging
    import time

    from sqlalchemy.exc import DBAPIError

    from portal.extensions import db

    log = logging.getLogger(f"tyndau.{name}")
    while True:
        try:
            step()
        except DBAPIError as exc:
            log.warning("%s: database unavailable, retrying in %ss: %s", name, every, exc.__class__.__name__)
            db.session.rollback()
        finally:
            db.session.remove()
        time.sleep(every)
