"""The quality report counted from hand-made rows, on a known calendar (June 2026, one decree day off)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from rules.calendar import ALMATY, CalendarException, WorkingCalendar
from rules.quality import (CaseRow, ComplaintRow, Term, is_late, quality_report, refusal_outcome,
                           working_days_between)

# June 2026 has no public holiday; Wednesday 10 June is made a day off by a (made-up) decree.
DAY_OFF = date(2026, 6, 10)
CAL = WorkingCalendar([CalendarException(DAY_OFF, False, "Decree No. 1 (test)")])
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
NOW = datetime(2026, 7, 15, 12, 0, tzinfo=ALMATY)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=ALMATY)


def end(month: int, day: int) -> datetime:
    return datetime.combine(date(2026, month, day), time.max, tzinfo=ALMATY)


def service(due: datetime, state="open", met_at=None) -> Term:
    return Term("service", due, state, met_at)


CASES = {
    # A: certificate on time; the decree day off falls inside the completeness -> review stage.
    "A": CaseRow(1, "ministry", date(2026, 6, 8), (service(end(6, 23), "met", at(6, 15)),),
                 completeness_at=at(6, 9), review_at=at(6, 11), decision_at=at(6, 15), decision_kind="certificate"),
    # B: refusal upheld at the hearing, signed after the service term was missed.
    "B": CaseRow(2, "ministry", date(2026, 6, 1), (service(end(6, 12), "missed"),),
                 completeness_at=at(6, 2), review_at=at(6, 4), notice_at=at(6, 5), hearing_at=at(6, 8),
                 hearing_outcome="refusal_upheld", decision_at=at(6, 18), decision_kind="refusal"),
    # C: refusal of further consideration on the 4th working day: late against п.7, not against the service term.
    "C": CaseRow(3, "ministry", date(2026, 6, 15),
                 (service(end(6, 29), "closed"), Term("completeness", end(6, 17), "met", at(6, 19))),
                 completeness_at=at(6, 19), incomplete=True),
    # D: the applicant waived the hearing; the clerk's record afterwards does not make it "upheld".
    "D": CaseRow(4, "ministry", date(2026, 6, 1), (service(end(6, 15), "met", at(6, 5)),),
                 completeness_at=at(6, 1, 16), review_at=at(6, 2), notice_at=at(6, 3), waived_at=at(6, 4),
                 hearing_at=at(6, 5, 9), hearing_outcome="refusal_upheld", decision_at=at(6, 5),
                 decision_kind="refusal"),
    # E: notice sent, nothing since; the service term ended in June: overdue, not delivered.
    "E": CaseRow(5, "ministry", date(2026, 6, 1), (service(end(6, 12), "missed"),),
                 completeness_at=at(6, 2), review_at=at(6, 3), notice_at=at(6, 5)),
    # F: refusal withdrawn at the hearing, certificate on time.
    "F": CaseRow(6, "ministry", date(2026, 6, 16), (service(end(6, 30), "met", at(6, 22)),),
                 completeness_at=at(6, 16, 15), review_at=at(6, 17), notice_at=at(6, 18), hearing_at=at(6, 19),
                 hearing_outcome="refusal_withdrawn", decision_at=at(6, 22), decision_kind="certificate"),
    # G: all in May: nothing of it is June's.
    "G": CaseRow(7, "ministry", date(2026, 5, 4), (service(end(5, 18), "met", at(5, 8)),),
                 completeness_at=at(5, 5), review_at=at(5, 6), decision_at=at(5, 8), decision_kind="certificate"),
    # H: service term ended 29 June, certificate only on 2 July: overdue at the end of June.
    "H": CaseRow(8, "ministry", date(2026, 6, 15), (service(end(6, 29), "missed"),),
                 completeness_at=at(6, 16), review_at=at(6, 17), decision_at=at(7, 2), decision_kind="certificate"),
    # I: another provider's case: counted under its own key.
    "I": CaseRow(9, "akimat", date(2026, 6, 8), (service(end(6, 23), "met", at(6, 9)),),
                 completeness_at=at(6, 8, 11), review_at=at(6, 9), decision_at=at(6, 9), decision_kind="certificate"),
}


def cterm(code, due, state="open", met_at=None):
    return Term(code, due, state, met_at)


COMPLAINTS = [
    ComplaintRow(1, "ministry", date(2026, 6, 2), "favourable_act", None, at(6, 4),
                 (cterm("complaint_forward", end(6, 5), "met", at(6, 4)),)),
    ComplaintRow(2, "ministry", date(2026, 6, 3), "satisfied", "authority", at(6, 19),
                 (cterm("complaint_forward", end(6, 8), "met", at(6, 9)),
                  cterm("complaint_authority", end(6, 25), "met", at(6, 19)))),
    ComplaintRow(3, "ministry", DAY_OFF, "refused", "provider", at(6, 22),
                 (cterm("complaint_provider", end(6, 17), "missed"),)),
    ComplaintRow(4, "ministry", date(2026, 6, 20), None, None, None,
                 (cterm("complaint_authority", end(7, 10)),)),
    ComplaintRow(5, "ministry", date(2026, 6, 22), None, None, None,
                 (cterm("complaint_forward", end(7, 20)),)),
    ComplaintRow(6, "ministry", date(2026, 5, 10), "refused", "provider", at(5, 12), ()),
    ComplaintRow(7, "ministry", date(2026, 6, 5), "not_considered", "authority", at(6, 20),
                 (cterm("complaint_authority", end(6, 26), "met", at(6, 20)),)),
    ComplaintRow(8, "ministry", date(2026, 6, 18), "partly_satisfied", "provider", at(6, 25),
                 (cterm("complaint_provider", end(6, 25), "met", at(6, 25)),)),
]


@pytest.fixture(scope="module")
def report():
    return quality_report(CASES.values(), COMPLAINTS, CAL, *JUNE, now=NOW)


def test_working_days_skip_the_decree_day_off_and_the_weekend():
    assert CAL.is_workday(date(2026, 6, 9)) and not CAL.is_workday(DAY_OFF)
    # Mon 8 June -> Mon 15 June: 9, 11, 12, 15 (10 June off, 13-14 weekend).
    assert working_days_between(CAL, date(2026, 6, 8), at(6, 15)) == 4
    assert working_days_between(WorkingCalendar(), date(2026, 6, 8), at(6, 15)) == 5
    assert working_days_between(CAL, at(6, 9, 9), at(6, 9, 17)) == 0      # same day
    assert working_days_between(CAL, at(6, 9), DAY_OFF) == 0              # ends on the day off
    assert working_days_between(CAL, at(6, 12), at(6, 8)) == 0            # recorded out of order
    # Moments count by their day in Almaty: 23:30 UTC on 8 June is already 9 June there.
    assert working_days_between(CAL, date(2026, 6, 8), datetime(2026, 6, 8, 23, 30, tzinfo=timezone.utc)) == 1


def test_services_on_time_late_and_overdue(report):
    ministry = report.providers["ministry"]
    assert ministry.registered == 7
    assert ministry.delivered == {"certificate": {"on_time": 2, "late": 0}, "refusal": {"on_time": 1, "late": 1},
                                  "refused_consideration": {"on_time": 0, "late": 1}}
    assert (ministry.on_time, ministry.late, ministry.delivered_total) == (3, 2, 5)
    assert ministry.late_case_ids == [2, 3]
    assert ministry.overdue == 2 and ministry.overdue_case_ids == [5, 8]


def test_each_provider_has_its_own_figures(report):
    assert list(report.providers) == ["akimat", "ministry"]
    akimat = report.providers["akimat"]
    assert (akimat.registered, akimat.on_time, akimat.late, akimat.complaints_total) == (1, 1, 0, 0)


def test_average_working_days_per_stage_with_the_day_off_inside_a_stage(report):
    stages = report.providers["ministry"].stages
    figures = {name: (s.count, s.total_days, s.longest) for name, s in stages.items()}
    assert figures == {
        "completeness": (7, 8, 4),   # A1 B1 C4 D0 E1 F0 H1
        "review": (6, 7, 2),         # A1 (9 -> 11 June over the day off) B2 D1 E1 F1 H1
        "notice": (4, 5, 2),         # B1 D1 E2 F1
        "hearing": (2, 2, 1),        # B1 (Fri -> Mon) F1; D waived: no hearing
        "decision": (4, 12, 7),      # A2 from review, B7 from hearing, D2 from notice, F1; H is July's
        "total": (5, 28, 12),        # A4 B12 C4 D4 F4
    }
    assert stages["decision"].average == 3.0 and stages["completeness"].average == pytest.approx(8 / 7)
    assert quality_report([], [], CAL, *JUNE, now=NOW).providers == {}
    quiet = quality_report([], [], CAL, *JUNE, now=NOW, providers=["ministry"]).providers["ministry"]
    assert (quiet.delivered_total, quiet.stages["total"].average, quiet.complaints_total) == (0, None, 0)


def test_preliminary_refusals_and_what_the_hearing_did(report):
    assert report.providers["ministry"].refusals == {"upheld": 1, "withdrawn": 1, "waived": 1, "pending": 1}
    assert refusal_outcome(CASES["D"]) == "waived" and refusal_outcome(CASES["E"]) == "pending"


def test_complaints_by_outcome_who_decided_and_which_were_late(report):
    ministry = report.providers["ministry"]
    assert ministry.complaints == {
        "favourable_act": {"provider": 1, "authority": 0, "total": 1, "late": 0},
        "satisfied": {"provider": 0, "authority": 1, "total": 1, "late": 1},
        "partly_satisfied": {"provider": 1, "authority": 0, "total": 1, "late": 0},
        "refused": {"provider": 1, "authority": 0, "total": 1, "late": 1},
        "not_considered": {"provider": 0, "authority": 1, "total": 1, "late": 0},
        "pending": {"provider": 0, "authority": 0, "total": 2, "late": 1},
    }
    assert (ministry.complaints_total, ministry.complaints_late) == (7, 3)
    assert ministry.complaints_late_by_term == {"complaint_forward": 1, "complaint_provider": 1,
                                                "complaint_authority": 1}


def test_a_period_not_yet_ended_counts_overdue_only_up_to_now():
    now = at(6, 20)
    report = quality_report(CASES.values(), [], CAL, *JUNE, now=now)
    ministry = report.providers["ministry"]
    assert report.as_of == now
    # E's term ended 12 June; H's ends 29 June, after now: not overdue yet.
    assert ministry.overdue_case_ids == [5]


def test_a_term_is_breached_when_missed_met_late_or_open_past_its_end():
    due = end(6, 12)
    assert Term("x", due, "missed").breached(NOW)
    assert Term("x", due, "met", at(6, 15)).breached(NOW)
    assert not Term("x", due, "met", at(6, 12, 23)).breached(NOW)
    assert Term("x", due, "open").breached(at(6, 13))
    assert not Term("x", due, "open").breached(at(6, 12, 18))
    assert not Term("x", due, "closed").breached(NOW)


def test_lateness_follows_the_terms_that_govern_the_result():
    # A certificate is not late because an intermediate term (completeness) was met late.
    case = CaseRow(1, "p", date(2026, 6, 1), (service(end(6, 15), "met", at(6, 5)),
                                             Term("completeness", end(6, 3), "met", at(6, 4))),
                   completeness_at=at(6, 4), review_at=at(6, 4), decision_at=at(6, 5), decision_kind="certificate")
    assert not is_late(case)
    # Signed after the service term ended, even if the sweeper had not marked it missed yet.
    signed_late = CaseRow(2, "p", date(2026, 6, 1), (service(end(6, 15), "open"),), decision_at=at(6, 16),
                          decision_kind="certificate")
    assert is_late(signed_late)
    assert not is_late(CaseRow(3, "p", date(2026, 6, 1), (service(end(6, 15), "missed"),)))  # nothing delivered


def test_the_period_must_not_end_before_it_starts():
    with pytest.raises(ValueError):
        quality_report([], [], CAL, date(2026, 6, 2), date(2026, 6, 1), now=NOW)
