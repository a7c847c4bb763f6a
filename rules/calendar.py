"""Working days of Kazakhstan and how the terms of the Rules are counted.

This module is the one place that holds the counting interpretation. In words:

* Working day. Monday to Friday, unless it is a public holiday, or a day off
  that a government decree moved onto it. A Saturday or Sunday that a decree
  makes a working day counts as one. Holidays, days off moved to Monday and
  the decree transfers come from the `holidays` package (Kazakhstan); the
  admin's exceptions (a date, working or not, and the decree) override it,
  e.g. for a year whose transfers the package does not know yet, or an
  Islamic holiday whose date the package only estimates.

* Counting forward ("within N working days of registration"). Counting starts
  the day after the event: the first day counted is the first working day
  after it, and the term's last day is the N-th working day after it.

* When a term ends. Every term the Rules count in working days is a term for an
  act of the provider (or of the quality-control authority, п.19): to register,
  to review, to notify, to hold the hearing, to issue the result, to forward or
  decide a complaint. An act to be done in an organisation is due by the end of
  its working hours on the last day (Civil Code of the RK, on the end of a term
  for acts done in an organisation), and the provider works until 18:30 Asia/
  Almaty (Appendix 2 item 7). So a term ends at 18:30 Asia/Almaty of its last
  working day (END_OF_TERM, end_of_day), not at midnight; the authority is taken
  to keep the same working hours. An act of the provider done after 18:30, or on
  a day off, counts on the next working day, exactly as a receipt does (act_day,
  the same rule as registration_date below). Every check of a term compares
  moments, not dates: an act done at 18:30:00 is in time, at 18:30:01 it is late.
  The Rules give the applicant no term of its own (the portal counts none); a
  term of the applicant would not be the organisation's and would run to the
  end of its last day (23:59:59 Asia/Almaty), not to 18:30.

* Counting back ("no later than 3 working days before the term ends",
  п. 10). From the last day of the term, step back over N working days, not
  counting that last day itself: subtract_workdays(end, 3) is the latest day
  that still leaves 3 full working days of the term after it. The notice is
  in time up to 18:30 of that day (a moment, like every term's end): one sent
  later counts on the next working day and leaves only 2.

* Registration (п. 6, п. 7, Appendix 2 item 7). The provider works Monday to
  Friday, 9:00-18:30 Asia/Almaty. A submission received on a working day up
  to 18:30 (also before 9:00, and during the lunch break) is registered that
  day: п. 7 has the chancellery register documents on the day they arrive,
  and п. 6 moves only submissions "after the end of working time" or on
  days off. A submission received after 18:30, on a weekend or on a holiday
  is registered on the next working day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

import holidays

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+5 since 1 March 2024; tzdata knows the change
WORK_START = time(9, 0)  # informative: a receipt before it is registered that same day
WORK_END = time(18, 30)
# A term of the provider (or the authority) ends when its working day ends: see the module's docstring.
END_OF_TERM = WORK_END

# Why a day is passed over (portal/calendar/labels.py names them): (WEEKEND, None) / (HOLIDAY, name) /
# (DECREE, text); (AFTER_HOURS, "18:31") in registration
WEEKEND, HOLIDAY, DECREE, AFTER_HOURS = "weekend", "holiday", "decree", "after_hours"
Reason = tuple[str, "str | None"]


@dataclass(frozen=True)
class CalendarException:
    """A day a decree makes working (is_workday=True) or a day off (False)."""

    date: date
    is_workday: bool
    decree: str


@dataclass(frozen=True)
class Step:
    """One day looked at while counting a term."""

    day: date
    counted: bool
    number: int  # working days counted so far, this day included
    reason: Reason | None  # why the day was skipped


class WorkingCalendar:
    """The working-day calendar of Kazakhstan, with the admin's exceptions."""

    def __init__(
        self,
        exceptions: Mapping[date, CalendarException] | Iterable[CalendarException] | None = None,
        language: str = "en_US",
    ):
        if isinstance(exceptions, Mapping):
            exceptions = exceptions.values()
        self.exceptions = {e.date: e for e in exceptions or ()}
        self._kz = holidays.country_holidays("KZ", language=language)

    # -- one day ---------------------------------------------------------

    def _decree_days_off(self, year: int) -> set[date]:
        """Days off the package knows were moved by a decree (substituted days)."""
        entries = getattr(self._kz, "special_public_holidays", {}).get(year, ())
        if entries and not isinstance(entries[0], tuple):  # one entry is stored unwrapped
            entries = (entries,)
        return {date(year, e[0], e[1]) for e in entries if len(e) >= 4}

    def why_not_workday(self, d: date) -> Reason | None:
        """None on a working day, else why the day is not one."""
        if d in self.exceptions:
            e = self.exceptions[d]
            return None if e.is_workday else (DECREE, e.decree)
        name = self._kz.get(d)  # also loads the year, with its transfers
        if name is not None:
            kind = DECREE if d in self._decree_days_off(d.year) else HOLIDAY
            return (kind, name)
        if d.weekday() >= 5:
            return None if d in self._kz.weekend_workdays else (WEEKEND, None)
        return None

    def is_workday(self, d: date) -> bool:
        return self.why_not_workday(d) is None

    def next_workday(self, d: date) -> date:
        """d itself if it is a working day, else the first working day after it."""
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    # -- counting ----------------------------------------------------------

    def _walk(self, start: date, n: int, direction: int) -> list[Step]:
        if n < 0:
            raise ValueError("a term counts a non-negative number of working days")
        steps: list[Step] = []
        d, counted = start, 0
        while counted < n:
            d += timedelta(days=direction)
            reason = self.why_not_workday(d)
            counted += reason is None
            steps.append(Step(d, reason is None, counted, reason))
        return steps

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself is not counted); n=0 gives start."""
        steps = self._walk(start, n, +1)
        return steps[-1].day if steps else start

    def subtract_workdays(self, end: date, n: int) -> date:
        """The n-th working day before end (end itself is not counted); n=0 gives end."""
        steps = self._walk(end, n, -1)
        return steps[-1].day if steps else end

    def explain_add(self, start: date, n: int) -> list[Step]:
        """Every day after start up to the result: counted or skipped, and why."""
        return self._walk(start, n, +1)

    def explain_subtract(self, end: date, n: int) -> list[Step]:
        """Every day before end back to the result: counted or skipped, and why."""
        return self._walk(end, n, -1)

    # -- moments -----------------------------------------------------------

    def act_day(self, moment: datetime) -> date:
        """The working day an act done (or a submission received) at `moment` counts on.

        That day itself up to 18:30 of a working day, else the next working day (Appendix 2 item 7).
        """
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the moment must be an aware datetime")
        local = moment.astimezone(ALMATY)
        day = local.date()
        if self.is_workday(day) and local.time() <= WORK_END:
            return day
        return self.next_workday(day + timedelta(days=1))

    def registration_date(self, received: datetime) -> date:
        """The day a submission received at `received` is registered (п. 6, п. 7)."""
        return self.act_day(received)

    def explain_registration(self, received: datetime) -> list[Step]:
        """The days between receipt and registration that were passed over, and why."""
        local = received.astimezone(ALMATY)
        registered = self.registration_date(received)
        steps, d = [], local.date()
        while d < registered:
            reason = self.why_not_workday(d) or (AFTER_HOURS, local.strftime("%H:%M"))
            steps.append(Step(d, False, 0, reason))
            d += timedelta(days=1)
        return steps

    @staticmethod
    def end_of_day(d: date) -> datetime:
        """The moment a term of the provider (or the authority) whose last day is d ends: 18:30 Asia/Almaty."""
        return datetime.combine(d, END_OF_TERM, tzinfo=ALMATY)
