"""Deadlines of each procedure, counted over real holidays."""
from datetime import date, datetime, time

import pytest

from rules.calendar import ALMATY, WorkingCalendar
from rules.deadlines import PROCEDURES, auto_forward_at, explain, hearing_deadline, plan, validity_end
from rules.law import load_seed_versions

CAL = WorkingCalendar()
LAW = load_seed_versions()[0]


def d(s):
    return date.fromisoformat(s)


def due(deadlines):
    return {k: v.due_date.isoformat() for k, v in deadlines.items()}


def test_accreditation_over_womens_day_and_nauryz():
    p = plan("accreditation", datetime(2025, 3, 7, 18, 31, tzinfo=ALMATY), CAL, LAW)
    assert due(p) == {
        "registration": "2025-03-11",  # Fri after hours; Sat 8 and Mon 10 March off
        "completeness": "2025-03-13",
        "review": "2025-03-18",
        "service": "2025-03-28",  # 21-25 March Nauryz
        "hearing_notice": "2025-03-20",  # 3 WD before 28 March: 27, 26, (Nauryz), 20
        "hearing": "2025-03-27",
    }
    assert p["service"].paragraph == "Appendix 2 item 3" and p["service"].term == 10
    assert p["hearing_notice"].starts_from == ("service", d("2025-03-28"))
    assert p["completeness"].starts_from == ("registration", d("2025-03-11"))
    assert all(x.due_at == CAL.end_of_day(x.due_date) for x in p.values())
    assert list(p) == [s.id for s in PROCEDURES["accreditation"]]


def test_reissue_over_may_holidays_2026():
    p = plan("reissue", datetime(2026, 5, 4, 10, 0, tzinfo=ALMATY), CAL, LAW)
    assert due(p) == {
        "registration": "2026-05-04", "reissue_review": "2026-05-06", "completeness": "2026-05-06",
        "service_reissue": "2026-05-13",  # 7 May, 9 May (-> Mon 11 May) off
        "hearing_notice": "2026-05-06", "hearing": "2026-05-12",
    }
    assert p["completeness"].paragraph == "п. 12, second paragraph"
    assert p["reissue_review"].paragraph == "п. 12"


def test_complaints():
    p = plan("complaint-provider", datetime(2026, 12, 14, 12, 0, tzinfo=ALMATY), CAL, LAW)
    assert due(p) == {"registration": "2026-12-14", "complaint_forward": "2026-12-18",
                      "complaint_provider": "2026-12-22"}  # 16 December off
    assert p["complaint_forward"].paragraph == "п. 17"
    p = plan("complaint-authority", datetime(2025, 12, 30, 9, 0, tzinfo=ALMATY), CAL, LAW)
    assert due(p) == {"registration": "2025-12-30", "complaint_authority": "2026-01-23"}
    assert p["complaint_authority"].paragraph == "п. 19"


@pytest.mark.parametrize("received", ["2025-03-14 19:00", "2025-03-15 12:00"])
def test_complaint_forwarding_counts_from_arrival_not_registration(received):
    # п. 17 «со дня поступления жалобы»: the calendar day it arrived (Fri evening, Saturday), whatever the hour;
    # п. 18 counts from registration (Mon 17 March). Forwarding: Mon, Tue, Wed; review: 18-20, 26, 27 (Nauryz).
    p = plan("complaint-provider", datetime.fromisoformat(received).replace(tzinfo=ALMATY), CAL, LAW)
    arrived = d(received[:10])
    assert due(p) == {"registration": "2025-03-17", "complaint_forward": "2025-03-19",
                      "complaint_provider": "2025-03-27"}
    assert p["complaint_forward"].starts_from == ("receipt", arrived)
    assert p["complaint_provider"].starts_from == ("registration", d("2025-03-17"))
    assert CAL.add_workdays(p["registration"].due_date, 3) == d("2025-03-20")  # what registration would give
    first_line = explain(p["complaint_forward"])[0]
    assert first_line.startswith(f"Counting 3 working days from receipt ({arrived:%a %d.%m.%Y})")


def test_terms_of_the_provider_end_at_1830_almaty():
    p = plan("complaint-provider", datetime(2025, 3, 14, 19, 0, tzinfo=ALMATY), CAL, LAW)
    assert {x.due_at.astimezone(ALMATY).time() for x in p.values()} == {time(18, 30)}
    assert p["complaint_forward"].due_at == datetime(2025, 3, 19, 18, 30, tzinfo=ALMATY)
    assert explain(p["complaint_forward"])[-1] == ("complaint_forward: Wed 19.03.2025, ends 18:30:00 Asia/Almaty "
                                                   "(п. 17).")
    # the sweeper forwards inside the term, on its last day
    assert auto_forward_at(d("2025-03-19")) == datetime(2025, 3, 19, 17, 0, tzinfo=ALMATY)
    assert p["complaint_forward"].due_at - auto_forward_at(p["complaint_forward"].due_date) > datetime.resolution


@pytest.mark.parametrize("procedure, service", [("accreditation", "service"), ("reissue", "service_reissue")])
@pytest.mark.parametrize("received", ["2025-01-03 10:00", "2025-03-19 18:45", "2026-05-06 08:00", "2026-12-11 12:00"])
def test_notice_leaves_three_working_days_and_hearing_fits(procedure, service, received):
    p = plan(procedure, datetime.fromisoformat(received).replace(tzinfo=ALMATY), CAL, LAW)
    notice, end = p["hearing_notice"].due_date, p[service].due_date
    assert CAL.add_workdays(notice, 3) == end
    assert notice > p["registration"].due_date
    assert p["hearing"].due_date < end


def test_hearing_recomputed_from_the_actual_notice():
    h = hearing_deadline(d("2026-07-03"), CAL, LAW)  # Friday; Mon 6 July is Capital Day
    assert h.due_date == d("2026-07-08")
    assert h.starts_from == ("hearing_notice", d("2026-07-03")) and h.paragraph == "п. 10"


@pytest.mark.parametrize("issued, last_day", [
    # п. 3: one year, ending on the same month and day of the next year; no such day -> the month's last
    ("2025-03-10", "2026-03-10"), ("2024-02-29", "2025-02-28"), ("2025-12-31", "2026-12-31"),
    ("2025-01-01", "2026-01-01"), ("2028-02-29", "2029-02-28"), ("2027-02-28", "2028-02-28"),
])
def test_validity(issued, last_day):
    assert validity_end(d(issued)) == d(last_day)
    assert validity_end(d(issued), LAW) == d(last_day)


def test_explain_names_days_and_paragraph():
    p = plan("accreditation", datetime(2025, 3, 7, 18, 31, tzinfo=ALMATY), CAL, LAW)
    lines = explain(p["service"])
    assert lines[0].startswith("Counting 10 working days from registration (Tue 11.03.2025)")
    assert "Fri 21.03.2025: not counted, holiday: Nowruz Holiday" in lines
    assert "Sat 15.03.2025: not counted, weekend" in lines
    assert "Fri 28.03.2025: working day 10" in lines
    assert lines[-1].endswith("(Appendix 2 item 3).")
    reg = explain(p["registration"])
    assert "Fri 07.03.2025: not counted, received after working hours (18:31)" in reg
    assert "back from service" in explain(p["hearing_notice"])[0]
