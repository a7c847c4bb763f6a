"""Deadlines of a case, computed from its receipt with the law version in force.

Every term counts working days as rules/calendar.py explains. Two choices
made here:

* hearing_notice (п. 10: the notice goes out "not less than 3 working days
  before the service term ends") is the latest lawful notice day:
  subtract_workdays(last day of the service term, 3), which leaves 3 full
  working days of the term after the notice. The hearing deadline is planned
  2 working days after that latest day and recomputed from the actual notice
  with hearing_deadline(). For a 10-day service term this puts the notice on
  working day 7 and the hearing on day 9, leaving day 10 for the decision.
* validity: the certificate is valid "one year from the day of issue"
  (п. 3, Appendix 3). The day of issue is the first day of validity, so the
  last day is the day before the same date next year (issued 10.03.2025 ->
  valid through 09.03.2026; issued 29.02.2024 -> through 28.02.2025).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .calendar import ALMATY, Step, WorkingCalendar
from .law import LawVersion, load_seed_versions, version_in_force


@dataclass(frozen=True)
class Spec:
    """How one deadline of a procedure is counted: term law_key, from the event `after`."""

    id: str
    law_key: str
    after: str
    backward: bool = False


_REGISTRATION = Spec("registration", "registration", "receipt")
_HEARING = Spec("hearing", "hearing", "hearing_notice")

# procedure -> its deadlines in the order they are computed (and shown)
PROCEDURES: dict[str, tuple[Spec, ...]] = {
    "accreditation": (
        _REGISTRATION,
        Spec("completeness", "completeness", "registration"),
        Spec("review", "review", "registration"),
        Spec("service", "service", "registration"),
        Spec("hearing_notice", "hearing_notice", "service", backward=True),
        _HEARING,
    ),
    "reissue": (
        _REGISTRATION,
        Spec("reissue_review", "reissue_review", "registration"),
        Spec("completeness", "reissue_completeness", "registration"),  # п. 12, second paragraph
        Spec("service_reissue", "service_reissue", "registration"),
        Spec("hearing_notice", "hearing_notice", "service_reissue", backward=True),
        _HEARING,
    ),
    # п. 17 counts "from the day the complaint arrives"; a complaint arriving
    # after hours is taken to arrive on its registration day.
    "complaint-provider": (
        _REGISTRATION,
        Spec("complaint_forward", "complaint_forward", "registration"),
        Spec("complaint_provider", "complaint_provider", "registration"),
    ),
    "complaint-authority": (
        _REGISTRATION,
        Spec("complaint_authority", "complaint_authority", "registration"),
    ),
}


@dataclass(frozen=True)
class Deadline:
    """A deadline of a case: its last day, the moment it ends, and how it was counted."""

    id: str
    due_date: date
    due_at: datetime
    starts_from: tuple[str, date]  # (event, day of the event)
    term: int  # working days
    paragraph: str
    steps: tuple[Step, ...]
    backward: bool = False


def _count(spec: Spec, anchor: date, calendar: WorkingCalendar, law: LawVersion) -> Deadline:
    term = law.terms[spec.law_key]
    if spec.backward:
        steps = calendar.explain_subtract(anchor, term)
    else:
        steps = calendar.explain_add(anchor, term)
    due = steps[-1].day if steps else anchor
    return Deadline(spec.id, due, calendar.end_of_day(due), (spec.after, anchor), term,
                    law.paragraphs[spec.law_key], tuple(steps), spec.backward)


def plan(procedure: str, received: datetime, calendar: WorkingCalendar, law: LawVersion,
         registered_on: date | None = None) -> dict[str, Deadline]:
    """Every deadline of `procedure` for a submission received at `received` (aware).

    `registered_on` is the registration day already recorded: a calendar exception added
    later moves the terms still running, never a registration that has happened.
    """
    registered = registered_on or calendar.registration_date(received)
    out = {
        "registration": Deadline(
            "registration", registered, calendar.end_of_day(registered),
            ("receipt", received.astimezone(ALMATY).date()), 0, law.paragraphs["registration"],
            tuple(calendar.explain_registration(received)),
        )
    }
    for spec in PROCEDURES[procedure][1:]:
        out[spec.id] = _count(spec, out[spec.after].due_date, calendar, law)
    return out


def hearing_deadline(notice_date: date, calendar: WorkingCalendar, law: LawVersion) -> Deadline:
    """The latest day to hold the hearing once the notice went out on notice_date (п. 10)."""
    return _count(_HEARING, notice_date, calendar, law)


def validity_end(issue_date: date, law: LawVersion | None = None) -> date:
    """The last day a certificate issued on issue_date is valid (п. 3, Appendix 3)."""
    law = law or version_in_force(load_seed_versions(), issue_date)
    years = issue_date.year + law.validity_years
    try:
        anniversary = issue_date.replace(year=years)
    except ValueError:  # 29 February -> 1 March
        anniversary = date(years, 3, 1)
    return date.fromordinal(anniversary.toordinal() - 1)


_REASONS = {"weekend": "weekend", "holiday": "holiday: {}", "decree": "day off by decree: {}",
            "after_hours": "received after working hours ({})"}


def _day(d: date) -> str:
    return d.strftime("%a %d.%m.%Y")


def explain(deadline: Deadline) -> list[str]:
    """How the deadline was counted, line by line, for a clerk or a lawyer."""
    event, start = deadline.starts_from
    if deadline.id == "registration":
        lines = [f"Received {_day(start)}."]
    elif deadline.backward:
        lines = [f"Counting {deadline.term} working days back from {event} ({_day(start)}), "
                 "that day not counted."]
    else:
        lines = [f"Counting {deadline.term} working days from {event} ({_day(start)}), "
                 "starting the next day."]
    for step in deadline.steps:
        if step.counted:
            lines.append(f"{_day(step.day)}: working day {step.number}")
        else:
            kind, detail = step.reason
            lines.append(f"{_day(step.day)}: not counted, " + _REASONS[kind].format(detail))
    lines.append(f"{deadline.id}: {_day(deadline.due_date)}, ends {deadline.due_at:%H:%M:%S} Asia/Almaty "
                 f"({deadline.paragraph}).")
    return lines
