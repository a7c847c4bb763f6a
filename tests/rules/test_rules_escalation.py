"""Escalation ruleset: warn, mark missed, flag overdue, auto-forward a complaint."""
from datetime import datetime, timedelta

import pytest

from rules.calendar import ALMATY, WorkingCalendar
from rules.escalation import escalate, next_check, warn_from

CAL = WorkingCalendar()
# Due Tue 11 March 2025: the working day before it is Fri 7 March (8 and 10 March off).
DUE = CAL.end_of_day(datetime(2025, 3, 11).date())


def deadline(kind="service", state="open", **extra):
    return {"id": 42, "kind": kind, "state": state, "due_at": DUE, **extra}


def at(s):
    return datetime.fromisoformat(s).replace(tzinfo=ALMATY)


def effects(result):
    return [e["effect"] for e in result]


@pytest.mark.parametrize("now", ["2025-03-07 00:00", "2025-03-08 12:00", "2025-03-10 09:00", "2025-03-11 18:30"])
def test_warn_within_one_working_day(now):
    result = escalate(deadline(), at(now), CAL)
    assert result == [{"key": "42:warn:2025-03-11", "effect": "warn", "deadline_id": 42, "kind": "service",
                       "paragraph": "Appendix 2 item 3"}]


@pytest.mark.parametrize("now", ["2025-03-06 23:59:59", "2025-03-01 10:00"])
def test_no_warning_earlier(now):
    assert escalate(deadline(), at(now), CAL) == []


def test_exactly_at_the_end_is_not_yet_missed():
    assert effects(escalate(deadline(), DUE, CAL)) == ["warn"]
    assert effects(escalate(deadline(), DUE + timedelta(microseconds=1), CAL)) == ["mark_missed", "flag_overdue"]


def test_missed():
    result = escalate(deadline(kind="review"), at("2025-03-12 00:00"), CAL)
    assert [(e["key"], e["paragraph"]) for e in result] == [
        ("42:mark_missed:2025-03-11", "п. 8"), ("42:flag_overdue:2025-03-11", "п. 8")]


def test_the_term_ends_when_the_working_day_ends():
    assert DUE == at("2025-03-11 18:30")
    assert effects(escalate(deadline(), at("2025-03-11 18:31"), CAL)) == ["mark_missed", "flag_overdue"]


def test_complaint_forward_is_forwarded_automatically_before_the_term_ends():
    # п. 17: at 17:00 of the last day, inside the term: the automatic forward is not itself a breach.
    assert effects(escalate(deadline(kind="complaint_forward"), at("2025-03-11 16:59:59"), CAL)) == ["warn"]
    result = escalate(deadline(kind="complaint_forward"), at("2025-03-11 17:00"), CAL)
    assert effects(result) == ["warn", "auto_forward"]
    assert result[1]["key"] == "42:auto_forward:2025-03-11" and result[1]["paragraph"] == "п. 17"
    assert "auto_forward" not in effects(escalate(deadline(kind="review"), at("2025-03-11 17:00"), CAL))


def test_a_late_sweeper_still_forwards():
    result = escalate(deadline(kind="complaint_forward"), at("2025-03-12 09:00"), CAL)
    assert effects(result) == ["mark_missed", "flag_overdue", "auto_forward"]
    assert {e["paragraph"] for e in result} == {"п. 17"}
    assert len({e["key"] for e in result}) == 3


@pytest.mark.parametrize("kind, now, expected", [
    ("service", "2025-03-01 10:00", "2025-03-07 00:00"),  # the warning
    ("service", "2025-03-07 00:00", "2025-03-11 18:30:00.000001"),  # just after the end
    ("complaint_forward", "2025-03-07 00:00", "2025-03-11 17:00"),  # the automatic forward first
    ("complaint_forward", "2025-03-11 17:00", "2025-03-11 18:30:00.000001"),
])
def test_next_check(kind, now, expected):
    assert next_check(kind, DUE, at(now), CAL) == at(expected)


@pytest.mark.parametrize("state", ["met", "missed", "cancelled"])
def test_closed_deadlines_do_nothing(state):
    assert escalate(deadline(state=state), at("2025-03-12 09:00"), CAL) == []
    assert escalate(deadline(state=state), at("2025-03-11 09:00"), CAL) == []


def test_paragraph_of_the_deadline_row_wins():
    result = escalate(deadline(kind="completeness", paragraph="п. 12, second paragraph"), at("2025-03-11 10:00"), CAL)
    assert result[0]["paragraph"] == "п. 12, second paragraph"


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        escalate(deadline(), datetime(2025, 3, 11, 10, 0), CAL)


def test_warn_from_is_the_start_of_the_previous_working_day():
    assert warn_from(DUE.date(), CAL) == at("2025-03-07 00:00")
    assert warn_from(datetime(2025, 3, 13).date(), CAL) == at("2025-03-12 00:00")
