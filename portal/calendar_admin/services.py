"""The admin's changes to the working-day calendar: a decree exception set or removed, then deadlines recomputed."""
from __future__ import annotations

from datetime import date

from portal.calendar import services as calendar
from portal.calendar.models import CalendarException
from portal.deadlines.services import recompute_open_deadlines
from portal.extensions import db


def set_exception(day: date, is_workday: bool, decree: str, actor=None) -> CalendarException:
    """Add or replace the exception for `day`, then recompute the deadlines it may move."""
    row = db.session.scalar(db.select(CalendarException).filter_by(day=day))
    if row is None:
        row = CalendarException(day=day)
        db.session.add(row)
    row.is_workday, row.decree = is_workday, decree.strip()
    row.created_by_id = actor.id if actor is not None else None
    db.session.flush()
    calendar.forget()
    recompute_open_deadlines(day, actor)
    return row


def remove_exception(day: date, actor=None) -> bool:
    row = db.session.scalar(db.select(CalendarException).filter_by(day=day))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    calendar.forget()
    recompute_open_deadlines(day, actor)
    return True


def list_exceptions() -> list[CalendarException]:
    return list(db.session.scalars(db.select(CalendarException).order_by(CalendarException.day.desc())))
