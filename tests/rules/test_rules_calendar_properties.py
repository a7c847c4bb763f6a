"""Properties of working-day counting, for any dates and terms."""
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import ALMATY, CalendarException, WorkingCalendar

CALENDARS = [
    WorkingCalendar(),
    WorkingCalendar([CalendarException(date(2026, 4, 11), True, "working Saturday"),
                     CalendarException(date(2026, 4, 15), False, "day off Wednesday"),
                     CalendarException(date(2025, 3, 22), True, "working Nauryz Saturday")]),
]
calendars = st.sampled_from(CALENDARS)
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))
terms = st.integers(min_value=0, max_value=40)
SETTINGS = settings(max_examples=150, deadline=None, database=None)  # leave no .hypothesis/ behind


@SETTINGS
@given(calendars, days, terms, terms)
def test_adding_n_then_m_is_adding_n_plus_m(cal, day, n, m):
    assert cal.add_workdays(cal.add_workdays(day, n), m) == cal.add_workdays(day, n + m)


@SETTINGS
@given(calendars, days, terms)
def test_counting_back_undoes_counting_forward(cal, day, n):
    start = cal.next_workday(day)
    assert cal.subtract_workdays(cal.add_workdays(start, n), n) == start
    assert cal.add_workdays(cal.subtract_workdays(start, n), n) == start


@SETTINGS
@given(calendars, days, st.integers(min_value=1, max_value=40))
def test_results_are_working_days(cal, day, n):
    assert cal.is_workday(cal.add_workdays(day, n))
    assert cal.is_workday(cal.subtract_workdays(day, n))
    assert cal.add_workdays(day, n) > day > cal.subtract_workdays(day, n)
    steps = cal.explain_add(day, n)
    assert sum(s.counted for s in steps) == n and steps[-1].counted
    assert all(cal.is_workday(s.day) == s.counted for s in steps)


@SETTINGS
@given(calendars, st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31)))
def test_registration_is_never_before_receipt(cal, moment):
    received = moment.replace(tzinfo=ALMATY)
    registered = cal.registration_date(received)
    assert registered >= received.date()
    assert cal.is_workday(registered)
    assert cal.end_of_day(registered) >= received
    assert registered - received.date() <= timedelta(days=10)
