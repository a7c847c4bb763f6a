"""The working-day calendar in force: the holidays package plus the exceptions kept in SQL."""
from __future__ import annotations

from datetime import date

from flask import g

from portal.calendar_admin.models import CalendarException
from portal.extensions import db
from rules.calendar import CalendarException as RuleException
from rules.calendar import WorkingCalendar


def current_calendar() -> WorkingCalendar:
    """Built once per request (or CLI command) from the exceptions table."""
    calendar = g.get("_calendar")
    if calendar is None:
        rows = db.session.scalars(db.select(CalendarException))
        calendar = g._calendar = WorkingCalendar([RuleException(r.day, r.is_workday, r.decree) for r in rows])
    return calendar


def _forget() -> None:
    g.pop("_calendar", None)


def set_exception(day: date, is_workday: bool, decree: str, actor=None) -> CalendarException:
    """Add or replace the exception for `day`, then recompute the deadlines it may move."""
    from portal.deadlines.services import recompute_open_deadlines

    row = db.session.scalar(db.select(CalendarException).filter_by(day=day))
    if row is None:
        row = CalendarException(day=day)
        db.session.add(row)
    row.is_workday, row.decree = is_workday, decree.strip()
    row.created_by_id = actor.id if actor is not None else None
    db.session.flush()
    _forget()
    recompute_open_deadlines(day, actor)
    return row


def remove_exception(day: date, actor=None) -> bool:
    from portal.deadlines.services import recompute_open_deadlines

    row = db.session.scalar(db.select(CalendarException).filter_by(day=day))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _forget()
    recompute_open_deadlines(day, actor)
    return True


def list_exceptions() -> list[CalendarException]:
    return list(db.session.scalars(db.select(CalendarException).order_by(CalendarException.day.desc())))
