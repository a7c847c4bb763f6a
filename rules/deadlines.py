"""Deadlines of a case, computed from its receipt with the law version in force.

Every term counts working days as rules/calendar.py explains. The choices
made here:

* hearing_notice (п. 10: the notice goes out "not less than 3 working days
  before the service term ends") is the latest lawful notice day:
  subtract_workdays(last day of the service term, 3), which leaves 3 full
  working days of the term after the notice. The hearing deadline is planned
  2 working days after that latest day and recomputed from the actual notice
  with hearing_deadline(). For a 10-day service term this puts the notice on
  working day 7 and the hearing on day 9, leaving day 10 for the decision.
  The notice is in time up to 18:30 of that day; the hearing counts from the
  working day the notice counts on (a notice sent after 18:30 counts on the
  next working day: WorkingCalendar.act_day).
* Every due_at is the end of the provider's (or the authority's) working day,
  18:30 Asia/Almaty of the last day (rules/calendar.py, "When a term ends").
* complaint_forward (п. 17: "not later than three working days from the day
  the complaint arrives", kk "шағым түскен күннен бастап") counts from the
  day of arrival, not from registration; the reviews of п. 18 (5 WD) and п. 19
  (15 WD) count "from the day of its registration". The day of arrival is a
  calendar fact: the Asia/Almaty date on which the complaint came in, whatever
  the hour or the day. Appendix 2 item 7 moves the acceptance of applications
  and the issue of results to the next working day, not the day a complaint
  arrives, and counting starts the day after arrival anyway; so a complaint
  arriving on Friday at 19:00 is registered on Monday (its 5 days count from
  Monday) but its 3 days to be forwarded run Monday to Wednesday. Where the two
  readings differ, this one is the shorter term for the provider, which is the
  safe side of a term the applicant may complain of.
* Forwarding by the sweeper (rules/escalation.py): a complaint still with the
  provider is forwarded automatically at AUTO_FORWARD_AT (17:00 Asia/Almaty)
  of the forwarding term's last day, inside the term, so the automatic forward
  is never itself a breach; the provider keeps most of that day for a
  favourable act or its own forward.
* validity: the certificate is valid "for one year" from its issue (п. 3,
  Appendix 3). A term in years ends on the same month and day of the next
  year (Civil Code of the RK); there being no such day, on the last day of
  that month. Issued 10.03.2025 -> valid through 10.03.2026; issued 29.02.2024
  -> through 28.02.2025.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from .calendar import AFTER_HOURS, ALMATY, DECREE, HOLIDAY, WEEKEND, Step, WorkingCalendar
from .law import LawVersion, load_seed_versions, version_in_force


# The codes of the terms (Deadline.id here, deadline.code in SQL): portal/ imports these, never the literals.
REGISTRATION = "registration"
COMPLETENESS = "completeness"
REVIEW = "review"
REISSUE_REVIEW = "reissue_review"
SERVICE = "service"
SERVICE_REISSUE = "service_reissue"
HEARING_NOTICE = "hearing_notice"
HEARING = "hearing"
COMPLAINT_FORWARD = "complaint_forward"
COMPLAINT_PROVIDER = "complaint_provider"
COMPLAINT_AUTHORITY = "complaint_authority"
# The event registration (and the forwarding of a complaint, п.17) counts from: the submission's arrival.
RECEIPT = "receipt"
# The term of the whole service, one per procedure: a result is late after it.
SERVICE_TERMS = (SERVICE, SERVICE_REISSUE)
COMPLAINT_TERMS = (COMPLAINT_FORWARD, COMPLAINT_PROVIDER, COMPLAINT_AUTHORITY)
# The states of a term, as portal/deadlines/models.py stores them: running, kept, breached, or ended by the case.
OPEN, MET, MISSED, CLOSED = "open", "met", "missed", "closed"


@dataclass(frozen=True)
class Spec:
    """How one deadline of a procedure is counted: term law_key, from the event `after`."""

    id: str
    law_key: str
    after: str
    backward: bool = False


_REGISTRATION = Spec(REGISTRATION, "registration", RECEIPT)
_HEARING = Spec(HEARING, "hearing", HEARING_NOTICE)
# When the sweeper forwards a complaint the provider kept (п. 17): on the term's last day, before it ends.
AUTO_FORWARD_AT = time(17, 0)

# procedure -> its deadlines in the order they are computed (and shown); a Spec's second field is the term's key in
# the law version's data, its third the event counting starts from (a code above, or RECEIPT).
PROCEDURES: dict[str, tuple[Spec, ...]] = {
    "accreditation": (
        _REGISTRATION,
        Spec(COMPLETENESS, "completeness", REGISTRATION),
        Spec(REVIEW, "review", REGISTRATION),
        Spec(SERVICE, "service", REGISTRATION),
        Spec(HEARING_NOTICE, "hearing_notice", SERVICE, backward=True),
        _HEARING,
    ),
    "reissue": (
        _REGISTRATION,
        Spec(REISSUE_REVIEW, "reissue_review", REGISTRATION),
        Spec(COMPLETENESS, "reissue_completeness", REGISTRATION),  # п. 12, second paragraph
        Spec(SERVICE_REISSUE, "service_reissue", REGISTRATION),
        Spec(HEARING_NOTICE, "hearing_notice", SERVICE_REISSUE, backward=True),
        _HEARING,
    ),
    # п. 17 counts "from the day the complaint arrives" (the receipt's calendar day), п. 18 from registration.
    "complaint-provider": (
        _REGISTRATION,
        Spec(COMPLAINT_FORWARD, "complaint_forward", RECEIPT),
        Spec(COMPLAINT_PROVIDER, "complaint_provider", REGISTRATION),
    ),
    "complaint-authority": (
        _REGISTRATION,
        Spec(COMPLAINT_AUTHORITY, "complaint_authority", REGISTRATION),
    ),
    # A complaint addressed to the provider, forwarded to the reviewing body (п. 17): that body decides it within
    # the 5 WD of п. 18, counted from its own registration of the complaint (portal/complaints/models.py says why).
    "complaint-forwarded": (
        _REGISTRATION,
        Spec(COMPLAINT_AUTHORITY, "complaint_provider", REGISTRATION),
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
    arrived = received.astimezone(ALMATY).date()  # a calendar fact, whatever the hour (п. 17)
    out = {
        REGISTRATION: Deadline(
            REGISTRATION, registered, calendar.end_of_day(registered),
            (RECEIPT, arrived), 0, law.paragraphs["registration"],
            tuple(calendar.explain_registration(received)),
        )
    }
    for spec in PROCEDURES[procedure][1:]:
        anchor = arrived if spec.after == RECEIPT else out[spec.after].due_date
        out[spec.id] = _count(spec, anchor, calendar, law)
    return out


def hearing_deadline(notice_date: date, calendar: WorkingCalendar, law: LawVersion) -> Deadline:
    """The latest day to hold the hearing once the notice went out on notice_date (п. 10)."""
    return _count(_HEARING, notice_date, calendar, law)


def validity_end(issue_date: date, law: LawVersion | None = None) -> date:
    """The last day a certificate issued on issue_date is valid (п. 3, Appendix 3): the same month and day
    `validity_years` later, or that month's last day when it has no such day (29 February)."""
    law = law or version_in_force(load_seed_versions(), issue_date)
    years = issue_date.year + law.validity_years
    try:
        return issue_date.replace(year=years)
    except ValueError:  # 29 February in a year that has none: the month's last day
        return date(years, 2, 28)


def auto_forward_at(forward_due: date) -> datetime:
    """When the sweeper forwards a complaint still with the provider: AUTO_FORWARD_AT of the term's last day."""
    return datetime.combine(forward_due, AUTO_FORWARD_AT, tzinfo=ALMATY)


_REASONS = {WEEKEND: "weekend", HOLIDAY: "holiday: {}", DECREE: "day off by decree: {}",
            AFTER_HOURS: "received after working hours ({})"}


def _day(d: date) -> str:
    return d.strftime("%a %d.%m.%Y")


def explain(deadline: Deadline) -> list[str]:
    """How the deadline was counted, line by line, for a clerk or a lawyer."""
    event, start = deadline.starts_from
    if deadline.id == REGISTRATION:
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
