"""The working-day calendar in force: the holidays package plus the exceptions kept in SQL."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from flask import g

from portal.calendar_admin.models import CalendarException
from portal.extensions import db
from rules.calendar import CalendarException as RuleException
from rules.calendar import WorkingCalendar


def current_calendar() -> WorkingCalendar:
    """The exceptions table read once per request (or CLI command); the calendar built once per process for them."""
    calendar = g.get("_calendar")
    if calendar is None:
        rows = db.session.execute(db.select(CalendarException.day, CalendarException.is_workday,
                                            CalendarException.decree).order_by(CalendarException.day))
        calendar = g._calendar = _calendar_for(tuple(RuleException(*row) for row in rows))
    return calendar


@lru_cache(maxsize=4)
def _calendar_for(exceptions: tuple[RuleException, ...]) -> WorkingCalendar:
    # Reading the table every request keeps every worker current after an admin's change; building the holidays
    # package's calendar is what costs, and it only depends on these rows.
    return WorkingCalendar(exceptions)


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
