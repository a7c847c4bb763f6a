"""The one clock of the portal: UTC inside, Asia/Almaty for people and for the Rules.

Every reading of the time goes through now_utc() (and today_local(), core.types.utcnow). In development and
demos it can run ahead of the real time, like an accelerator, so a trainer can walk a case past its terms:

* the training clock (`flask demo clock --advance 3d`) is an offset kept in a small JSON file of the instance
  folder (TRAINING_CLOCK_FILE, by default <instance>/training_clock.json), so the web workers, the sweeper and the
  outbox all see it; the file is read again only when it changes (its stat), so it costs a stat per reading.
  With TYNDAU_ENV=production the file is never read (and the command refuses to write it); tests read it only
  when they name the file (TRAINING_CLOCK_FILE), so a trainer's clock never leaks into a test run;
* travel(moment) sets the clock of this thread (context) to a moment, for the demo seed that walks its cases
  through the real services at the times the procedure would have taken them.

The validity of certificates is judged at the real time (portal/signatures/verify.py): keys do not age with
the training clock.
"""
from __future__ import annotations

import json
import logging
import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
import time

from flask import current_app, has_app_context
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from rules.calendar import ALMATY  # the one time-zone constant: the Rules count in it, portal/ shows it

ZERO = timedelta(0)
TRAINING_FILE_NAME = "training_clock.json"

log = logging.getLogger("tyndau.clock")
_travel: ContextVar[timedelta | None] = ContextVar("clock_travel", default=None)
# The training file as last read: path -> ((inode, mtime_ns, size), offset).
_read: dict[str, tuple[tuple, timedelta]] = {}


def real_now() -> datetime:
    """The time of the machine, whatever the training clock says (certificates, rate limits of the OS…)."""
    return datetime.now(timezone.utc)


def now_utc() -> datetime:
    return real_now() + offset()


def today_local() -> date:
    return now_utc().astimezone(ALMATY).date()


def offset() -> timedelta:
    """How far the portal's clock runs from the real time: a travel() of this context, else the training clock."""
    travelled = _travel.get()
    return travelled if travelled is not None else training_offset()


# --- the training clock (development and demos only) -----------------------------------------

def training_file() -> str | None:
    """The training clock's file of the current app, or None where no training clock may run."""
    if not has_app_context():
        return None
    config = current_app.config
    if config.get("TYNDAU_ENV") == "production":
        return None
    named = config.get("TRAINING_CLOCK_FILE")
    if named:
        return str(named)
    if current_app.testing:
        return None
    return os.path.join(current_app.instance_path, TRAINING_FILE_NAME)


def training_offset() -> timedelta:
    """The training clock's offset (zero when none is set); the file is parsed again only when it changed."""
    path = training_file()
    if path is None:
        return ZERO
    try:
        stat = os.stat(path)
    except OSError:
        return ZERO
    key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _read.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            value = timedelta(seconds=int(json.load(handle)["offset_seconds"]))
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        log.warning("training clock file %s is unreadable; the real time is used", path)
        value = ZERO
    _read[path] = (key, value)
    return value


def set_training_offset(path: str, value: timedelta) -> None:
    """Write the offset (zero removes the file); replaced atomically, so a reader never sees half a file."""
    _read.pop(path, None)
    if value == ZERO:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump({"offset_seconds": int(value.total_seconds()), "set_at": real_now().isoformat()}, handle)
    os.replace(partial, path)


_STEP = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_step(text: str) -> timedelta:
    """"3d", "12h", "30m" or a sum of them ("1d6h"): how far to advance. Raises ValueError."""
    cleaned = (text or "").strip().lower()
    parts = _STEP.findall(cleaned)
    if not parts or _STEP.sub("", cleaned).strip():
        raise ValueError(text)
    return sum((timedelta(**{_UNITS[unit]: int(number)}) for number, unit in parts), ZERO)


def describe_offset(value: timedelta) -> str:
    """"+3d 4h 0m" — the offset as a trainer reads it."""
    sign = "-" if value < ZERO else "+"
    minutes = int(abs(value).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{days}d {hours}h {minutes}m"


@contextmanager
def travel(moment: datetime):
    """Inside the block the clock of this context reads `moment` (and runs on from it)."""
    token = _travel.set(moment - real_now())
    try:
        yield
    finally:
        _travel.reset(token)


# --- parsing and workers ---------------------------------------------------------------------

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
