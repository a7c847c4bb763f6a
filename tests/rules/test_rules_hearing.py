"""The hearing window and its slots (п.10, Appendix 2 item 7)."""
from datetime import date, datetime, timedelta

from rules.calendar import ALMATY, WorkingCalendar
from rules.hearing import hearing_window, is_lawful_slot, is_working_time, slot_starts
from rules.law import load_seed_versions

LAW = load_seed_versions()[0]
CAL = WorkingCalendar()


def test_the_window_skips_the_notice_day_and_ends_two_working_days_after_it():
    # Notice on Friday 20.03.2026; 21–25 March are days off: the window is 26–27 March.
    assert hearing_window(date(2026, 3, 20), CAL, LAW) == (date(2026, 3, 26), date(2026, 3, 27))
    assert hearing_window(date(2026, 11, 23), CAL, LAW) == (date(2026, 11, 24), date(2026, 11, 25))


def test_slots_are_inside_working_hours_and_outside_lunch():
    starts = slot_starts(date(2026, 11, 23), CAL, LAW)
    assert starts[0] == datetime(2026, 11, 24, 9, 0, tzinfo=ALMATY)
    assert starts[-1] == datetime(2026, 11, 25, 18, 0, tzinfo=ALMATY)
    times = {s.time().isoformat(timespec="minutes") for s in starts}
    assert "12:30" in times and "13:00" not in times and "14:00" not in times and "14:30" in times
    assert len(starts) == 2 * 16


def test_lawful_slot_checks():
    notice = date(2026, 11, 23)
    assert is_lawful_slot(datetime(2026, 11, 24, 10, 0, tzinfo=ALMATY), notice, CAL, LAW)
    assert not is_lawful_slot(datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY), notice, CAL, LAW)   # the notice day
    assert not is_lawful_slot(datetime(2026, 11, 26, 10, 0, tzinfo=ALMATY), notice, CAL, LAW)   # too late
    assert not is_lawful_slot(datetime(2026, 11, 24, 13, 30, tzinfo=ALMATY), notice, CAL, LAW)  # lunch
    assert not is_lawful_slot(datetime(2026, 11, 24, 18, 15, tzinfo=ALMATY), notice, CAL, LAW)  # past 18:30
    assert not is_working_time(datetime(2026, 11, 24, 8, 45, tzinfo=ALMATY), timedelta(minutes=30))
