"""Working days of Kazakhstan in 2025-2026, decree exceptions, registration."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from rules.calendar import ALMATY, CalendarException, WorkingCalendar

CAL = WorkingCalendar()


def d(s):
    return date.fromisoformat(s)


# Checked by hand against the Labour Code rule (a holiday on a weekend moves the
# day off to the next working day; religious holidays do not move) and the 2025 decree.
@pytest.mark.parametrize("day", [
    "2025-01-01", "2025-01-02", "2025-01-03",  # New Year; 3 Jan moved from Sun 5 Jan by decree
    "2025-01-07", "2025-03-08", "2025-03-10",  # Christmas; Women's Day Sat -> Mon 10 Mar
    "2025-03-21", "2025-03-24", "2025-03-25",  # Nauryz 21-23 Mar + two moved days
    "2025-05-01", "2025-05-07", "2025-05-09", "2025-07-07", "2025-09-01", "2025-10-27", "2025-12-16",
    "2026-01-01", "2026-01-02", "2026-01-07", "2026-03-09", "2026-03-23", "2026-03-24", "2026-03-25",
    "2026-05-01", "2026-05-07", "2026-05-11", "2026-07-06", "2026-10-26", "2026-12-16",
])
def test_days_off(day):
    assert not CAL.is_workday(d(day))


@pytest.mark.parametrize("day", [
    "2025-01-05",  # a Sunday made a working day by the 2025 decree
    "2025-01-06", "2025-03-11", "2025-03-26", "2025-05-02", "2025-05-08", "2025-12-17",
    "2026-01-05", "2026-03-10", "2026-03-26", "2026-05-08", "2026-07-07", "2026-12-17",
])
def test_working_days(day):
    assert CAL.is_workday(d(day))


def test_2026_constitution_day_as_the_package_has_it():
    # holidays 0.109 has no Constitution Day in 2026 (15 March from 2027). Sun 30 Aug
    # is off anyway; Mon 31 Aug is a working day unless an exception says otherwise.
    assert not CAL.is_workday(d("2026-08-30"))
    assert CAL.is_workday(d("2026-08-31"))


def test_reasons():
    assert CAL.why_not_workday(d("2025-03-11")) is None
    assert CAL.why_not_workday(d("2025-03-15")) == ("weekend", None)
    kind, name = CAL.why_not_workday(d("2025-03-10"))
    assert kind == "holiday" and "Women" in name
    kind, name = CAL.why_not_workday(d("2025-01-03"))
    assert kind == "decree" and "05" in name


def test_kazakh_holiday_names():
    kind, name = WorkingCalendar(language="kk").why_not_workday(d("2025-03-21"))
    assert (kind, name) == ("holiday", "Наурыз мейрамы")


def test_decree_exceptions_override_the_package():
    sat, wed = d("2026-04-11"), d("2026-04-15")
    cal = WorkingCalendar({
        sat: CalendarException(sat, True, "Decree No. 1: Saturday 11 April is a working day"),
        wed: CalendarException(wed, False, "Decree No. 1: day off moved to Wednesday 15 April"),
        d("2025-01-05"): CalendarException(d("2025-01-05"), False, "test: undo the transfer"),
        d("2025-05-09"): CalendarException(d("2025-05-09"), True, "test: work on Victory Day"),
    })
    assert cal.is_workday(sat) and not CAL.is_workday(sat)
    assert cal.why_not_workday(wed) == ("decree", "Decree No. 1: day off moved to Wednesday 15 April")
    assert not cal.is_workday(d("2025-01-05")) and cal.is_workday(d("2025-05-09"))
    # Fri 10 Apr + 3 WD: Sat 11 (decree), Mon 13, Tue 14; Wed 15 skipped
    assert cal.add_workdays(d("2026-04-10"), 3) == d("2026-04-14")
    assert cal.add_workdays(d("2026-04-10"), 4) == d("2026-04-16")
    assert CAL.add_workdays(d("2026-04-10"), 4) == d("2026-04-16")
    assert CAL.add_workdays(d("2026-04-10"), 3) == d("2026-04-15")


def test_exceptions_work_in_a_year_the_package_has_no_transfers_for():
    fri, sat = d("2027-01-08"), d("2027-01-09")
    cal = WorkingCalendar([CalendarException(fri, False, "Decree 2027: 9 Jan -> 8 Jan"),
                           CalendarException(sat, True, "Decree 2027: 9 Jan -> 8 Jan")])
    assert CAL.is_workday(fri) and not CAL.is_workday(sat)
    assert not cal.is_workday(fri) and cal.is_workday(sat)
    assert cal.add_workdays(d("2027-01-06"), 1) == sat  # Thu 7 Jan is Christmas, Fri 8 off
    assert cal.add_workdays(d("2027-01-06"), 2) == d("2027-01-11")


def test_counting_forward_and_back():
    assert CAL.add_workdays(d("2025-03-20"), 1) == d("2025-03-26")  # over Nauryz
    assert CAL.add_workdays(d("2025-03-20"), 0) == d("2025-03-20")
    assert CAL.add_workdays(d("2025-03-22"), 0) == d("2025-03-22")  # n=0: unchanged
    assert CAL.subtract_workdays(d("2025-03-26"), 1) == d("2025-03-20")
    assert CAL.subtract_workdays(d("2025-03-28"), 3) == d("2025-03-20")
    assert CAL.next_workday(d("2025-03-21")) == d("2025-03-26")
    assert CAL.next_workday(d("2025-03-26")) == d("2025-03-26")
    with pytest.raises(ValueError):
        CAL.add_workdays(d("2025-03-20"), -1)


def test_explain_add():
    steps = CAL.explain_add(d("2025-03-07"), 2)
    assert [(s.day.isoformat(), s.counted, s.number, s.reason and s.reason[0]) for s in steps] == [
        ("2025-03-08", False, 0, "holiday"), ("2025-03-09", False, 0, "weekend"),
        ("2025-03-10", False, 0, "holiday"), ("2025-03-11", True, 1, None), ("2025-03-12", True, 2, None)]
    assert CAL.explain_add(d("2025-03-07"), 0) == []


def at(s, tz=ALMATY):
    return datetime.fromisoformat(s).replace(tzinfo=tz)


@pytest.mark.parametrize("received, registered", [
    ("2025-03-11 10:00", "2025-03-11"),
    ("2025-03-11 07:15", "2025-03-11"),  # before 9:00: the chancellery registers it that day
    ("2025-03-11 13:30", "2025-03-11"),  # lunch break
    ("2025-03-11 18:30", "2025-03-11"),
    ("2025-03-11 18:30:01", "2025-03-12"),
    ("2025-03-07 18:31", "2025-03-11"),  # Friday evening before Sat 8 Mar and Mon 10 Mar off
    ("2026-07-03 18:31", "2026-07-07"),  # Friday evening before Capital Day (Mon 6 Jul)
    ("2025-03-15 12:00", "2025-03-17"),  # Saturday
    ("2025-01-05 12:00", "2025-01-05"),  # a Sunday made a working day
    ("2025-03-21 09:30", "2025-03-26"),  # Nauryz
])
def test_registration_date(received, registered):
    assert CAL.registration_date(at(received)) == d(registered)


def test_registration_uses_almaty_time():
    # 13:31 UTC is 18:31 in Almaty (UTC+5 since March 2024)
    assert CAL.registration_date(at("2025-03-11 13:31", timezone.utc)) == d("2025-03-12")
    assert CAL.registration_date(at("2025-03-11 13:29", timezone.utc)) == d("2025-03-11")
    # in 2023 Almaty was UTC+6: 12:45 UTC was 18:45
    assert CAL.registration_date(at("2023-06-01 12:45", timezone.utc)) == d("2023-06-02")
    with pytest.raises(ValueError):
        CAL.registration_date(datetime(2025, 3, 11, 10, 0))


def test_explain_registration():
    steps = CAL.explain_registration(at("2025-03-07 18:31"))
    assert [s.reason[0] for s in steps] == ["after_hours", "holiday", "weekend", "holiday"]
    assert steps[0].reason == ("after_hours", "18:31")
    assert CAL.explain_registration(at("2025-03-11 10:00")) == []


def test_end_of_day_is_the_end_of_the_providers_working_day():
    # A term of the provider ends when its working day ends (Appendix 2 item 7), not at midnight.
    end = CAL.end_of_day(d("2025-03-28"))
    assert end.utcoffset() == timedelta(hours=5)
    assert end.time() == time(18, 30)
    assert end == at("2025-03-28 18:30") == at("2025-03-28 13:30", timezone.utc)


@pytest.mark.parametrize("done, counts_on", [
    ("2025-03-11 18:30", "2025-03-11"),     # at the end of the working day: still that day
    ("2025-03-11 18:30:00.000001", "2025-03-12"),  # a moment later: the next working day
    ("2025-03-07 19:00", "2025-03-11"),     # Friday evening before 8 and 10 March off
    ("2025-03-15 11:00", "2025-03-17"),     # a Saturday
])
def test_an_act_after_working_hours_counts_on_the_next_working_day(done, counts_on):
    assert CAL.act_day(at(done)) == d(counts_on)
    # the same rule as a receipt (Appendix 2 item 7), and in time exactly when done by the day's end
    assert CAL.act_day(at(done)) == CAL.registration_date(at(done))
    if CAL.is_workday(at(done).date()):
        assert (at(done) <= CAL.end_of_day(at(done).date())) == (CAL.act_day(at(done)) == at(done).date())
