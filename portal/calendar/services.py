"""The working-day calendar in force: the holidays package plus the exceptions kept in SQL.

It lies below every domain that counts a term (deadlines, hearings, complaints…); the admin's
screen that changes the exceptions (portal/calendar_admin) sits above deadlines, which it recomputes.
"""
from __future__ import annotations

from functools import lru_cache

from flask import g

from portal.calendar.models import CalendarException
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


def forget() -> None:
    """Drop this request's calendar after its exceptions changed, so the next reader sees the change."""
    g.pop("_calendar", None)
