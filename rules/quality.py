"""The quality report of the state service for a period, counted from plain rows.

Pure Python: no Flask, no database. portal/quality/services.py gathers the rows (a few SQL
queries for the whole period) and this module counts them, so every figure can be checked
here, with hand-made rows and a known calendar.

The report is keyed by service provider. Today there is one — the Ministry of Digital
Development, Innovations and Aerospace Industry — but every row names its provider and every
figure is counted per provider, so a second provider (or a split of the Ministry into units)
is only a second key: nothing here assumes there is only one.

How the figures are read (for the quality-control authority and a lawyer to check):

* Period. From `date_from` to `date_to`, both days included, as calendar days in Asia/Almaty.

* Delivered. A service is delivered when the case gets its result: a final decision
  (the certificate of Appendix 3 or the motivated refusal of Appendix 4, п.11) signed, or
  a motivated refusal of further consideration (п.7, п.12) decided. It counts in the period
  in which it was delivered.

* On time or late. Late when the result came after the end of a term that governs it, or
  when that term is marked missed. Every result is governed by the service term (Appendix 2
  item 3: 10 working days, 5 for re-issuance). A refusal of further consideration is also
  governed by its own, shorter term (п.7: 2 working days; п.12 for re-issuance): given on
  the 4th working day it is late even though the service term had not ended. RESULT_TERMS
  says which terms govern which result; change it there.

* Overdue, not delivered. The service term ended in the period and, at the end of the
  period (or now, if the period has not ended), the case had no result. Such a case is
  late whatever happens next; it shows here until it is delivered, then as delivered late.

* Working days per stage. From one step of the case to the next, counted the way terms are
  counted (rules/calendar.py): the working days after the day of the earlier step, up to and
  including the day of the later one. A step on the same day as the one before takes 0
  working days; weekends, holidays and decree days off between them do not count. Steps:
  registration (the registration day) -> completeness check -> review decision ->
  preliminary refusal notice -> hearing -> final decision signed. The final decision is
  counted from the last step the case had before it: the hearing; the notice when the
  hearing was waived (no hearing was held); the review decision when no ground was found.
  A stage counts in the period in which it ended. "Registration to result" is the whole
  service, for the results delivered in the period. A step recorded before the one it
  follows (a data error) counts as 0.

* Preliminary refusals. The notices sent in the period, with what became of them as they
  stand now: upheld or withdrawn at the hearing (the clerk's record), hearing waived (the
  applicant declined the hearing; whatever the final decision, the hearing did not change
  it), or pending (no hearing recorded yet).

* Complaints. Those registered in the period (with the provider, or with the authority when
  filed there directly), as they stand now: by outcome and by who decided (provider or
  authority); pending when there is no outcome yet. A complaint is late when any of its
  terms (п.17 forwarding, п.18 the provider's decision, п.19 the authority's decision) was
  missed, was met after it ended, or is still open after it ended: a complaint decided late
  is itself a breach of the quality of the service.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterable

from rules.calendar import ALMATY, WorkingCalendar
from rules.deadlines import CLOSED, COMPLAINT_TERMS, COMPLETENESS, MET, MISSED, OPEN, SERVICE_TERMS

# The results of a service.
CERTIFICATE = "certificate"                 # Appendix 3
REFUSAL = "refusal"                         # Appendix 4, after the hearing
REFUSED_CONSIDERATION = "refused_consideration"  # п.7 / п.12: motivated refusal of further consideration
RESULTS = (CERTIFICATE, REFUSAL, REFUSED_CONSIDERATION)

# Which terms of the case govern each result: late after any of them (see the docstring).
RESULT_TERMS = {
    CERTIFICATE: SERVICE_TERMS,
    REFUSAL: SERVICE_TERMS,
    REFUSED_CONSIDERATION: SERVICE_TERMS + (COMPLETENESS,),
}

# Stages, in the order of the Rules; TOTAL is the whole service.
REGISTRATION_TO_COMPLETENESS = "completeness"
TO_REVIEW = "review"
TO_NOTICE = "notice"
TO_HEARING = "hearing"
TO_DECISION = "decision"
TOTAL = "total"
STAGES = (REGISTRATION_TO_COMPLETENESS, TO_REVIEW, TO_NOTICE, TO_HEARING, TO_DECISION, TOTAL)

# What became of a preliminary refusal.
UPHELD, WITHDRAWN, WAIVED, PENDING = "upheld", "withdrawn", "waived", "pending"
REFUSAL_OUTCOMES = (UPHELD, WITHDRAWN, WAIVED, PENDING)
HEARING_OUTCOMES = {"refusal_upheld": UPHELD, "refusal_withdrawn": WITHDRAWN}

# How a complaint ended (portal/complaints/models.py), and PENDING while it has not.
COMPLAINT_OUTCOMES = ("favourable_act", "satisfied", "partly_satisfied", "refused", "not_considered", PENDING)
DECIDERS = ("provider", "authority")


# --- the rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """A deadline row: when it ends, its state, and when it was met."""

    code: str
    due_at: datetime
    state: str = OPEN
    met_at: datetime | None = None

    def breached(self, as_of: datetime) -> bool:
        """Missed, met after its end, or still open after its end."""
        if self.state == MISSED:
            return True
        if self.met_at is not None and self.met_at > self.due_at:
            return True
        return self.state == OPEN and self.due_at < as_of


@dataclass(frozen=True)
class CaseRow:
    """One registered case: its terms and the moments of its steps (None: not reached)."""

    case_id: int
    provider: str
    registered_on: date
    terms: tuple[Term, ...] = ()
    completeness_at: datetime | None = None
    incomplete: bool = False                 # the completeness check refused further consideration
    review_at: datetime | None = None
    notice_at: datetime | None = None        # the preliminary refusal was sent
    waived_at: datetime | None = None        # the applicant declined the hearing
    hearing_at: datetime | None = None       # held_at of the hearing record
    hearing_outcome: str | None = None       # refusal_upheld | refusal_withdrawn
    decision_at: datetime | None = None      # the final decision was signed
    decision_kind: str | None = None         # certificate | refusal

    def term(self, code: str) -> Term | None:
        return next((t for t in self.terms if t.code == code), None)

    @property
    def service_term(self) -> Term | None:
        return next((t for t in self.terms if t.code in SERVICE_TERMS), None)

    @property
    def result(self) -> tuple[str, datetime] | None:
        """The result delivered and when, or None while the case has none."""
        if self.decision_at is not None:
            return (REFUSAL if self.decision_kind == REFUSAL else CERTIFICATE), self.decision_at
        if self.incomplete and self.completeness_at is not None:
            return REFUSED_CONSIDERATION, self.completeness_at
        return None


@dataclass(frozen=True)
class ComplaintRow:
    """One complaint: where it was registered, how it ended, and its terms."""

    complaint_id: int
    provider: str
    registered_on: date
    outcome: str | None = None
    decided_by: str | None = None            # provider | authority
    decided_at: datetime | None = None
    terms: tuple[Term, ...] = ()


# --- the report -------------------------------------------------------------------------------

@dataclass
class StageFigure:
    stage: str
    count: int = 0
    total_days: int = 0
    longest: int | None = None

    @property
    def average(self) -> float | None:
        return self.total_days / self.count if self.count else None

    def add(self, days: int) -> None:
        self.count += 1
        self.total_days += days
        self.longest = days if self.longest is None else max(self.longest, days)


@dataclass
class ProviderReport:
    provider: str
    registered: int = 0
    # result -> {"on_time": n, "late": n}
    delivered: dict[str, dict[str, int]] = field(
        default_factory=lambda: {r: {"on_time": 0, "late": 0} for r in RESULTS})
    overdue: int = 0
    late_case_ids: list[int] = field(default_factory=list)
    overdue_case_ids: list[int] = field(default_factory=list)
    stages: dict[str, StageFigure] = field(default_factory=lambda: {s: StageFigure(s) for s in STAGES})
    refusals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REFUSAL_OUTCOMES, 0))
    # outcome -> {"provider": n, "authority": n, "total": n, "late": n}
    complaints: dict[str, dict[str, int]] = field(default_factory=lambda: {
        o: {"provider": 0, "authority": 0, "total": 0, "late": 0} for o in COMPLAINT_OUTCOMES})
    complaints_late_by_term: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COMPLAINT_TERMS, 0))

    @property
    def on_time(self) -> int:
        return sum(v["on_time"] for v in self.delivered.values())

    @property
    def late(self) -> int:
        return sum(v["late"] for v in self.delivered.values())

    @property
    def delivered_total(self) -> int:
        return self.on_time + self.late

    @property
    def refusals_total(self) -> int:
        return sum(self.refusals.values())

    @property
    def complaints_total(self) -> int:
        return sum(v["total"] for v in self.complaints.values())

    @property
    def complaints_late(self) -> int:
        return sum(v["late"] for v in self.complaints.values())


@dataclass
class QualityReport:
    date_from: date
    date_to: date
    as_of: datetime                 # the end of the period, or now if the period has not ended
    providers: dict[str, ProviderReport]


# --- counting -------------------------------------------------------------------------------

def period_end(date_to: date) -> datetime:
    """The first moment after the period (midnight after date_to, Asia/Almaty)."""
    return datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=ALMATY)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()


class _Days:
    """Working days between two days, with each day's answer remembered for the whole report."""

    def __init__(self, calendar: WorkingCalendar):
        self.calendar = calendar
        self.known: dict[date, bool] = {}

    def _workday(self, d: date) -> bool:
        if d not in self.known:
            self.known[d] = self.calendar.is_workday(d)
        return self.known[d]

    def between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days after start's day up to and including end's day; 0 if end is not after start."""
        start = local_day(start) if isinstance(start, datetime) else start
        end = local_day(end) if isinstance(end, datetime) else end
        n, d = 0, start
        while d < end:
            d += timedelta(days=1)
            n += self._workday(d)
        return n


def working_days_between(calendar: WorkingCalendar, start: date | datetime, end: date | datetime) -> int:
    """Working days from start to end, counted as terms are (see the module docstring)."""
    return _Days(calendar).between(start, end)


def is_late(case: CaseRow) -> bool:
    """Whether the result the case got came after a term that governs it (see the docstring)."""
    result = case.result
    if result is None:
        return False
    kind, delivered_at = result
    for term in case.terms:
        if term.code not in RESULT_TERMS[kind]:
            continue
        met_late = term.met_at is not None and term.met_at > term.due_at
        if term.state == MISSED or delivered_at > term.due_at or met_late:
            return True
    return False


def refusal_outcome(case: CaseRow) -> str:
    if case.waived_at is not None:
        return WAIVED
    return HEARING_OUTCOMES.get(case.hearing_outcome or "", PENDING)


def _stages(case: CaseRow) -> list[tuple[str, date | datetime, datetime]]:
    """(stage, start, end) for each stage the case has completed."""
    out: list[tuple[str, date | datetime, datetime]] = []
    if case.completeness_at is not None:
        out.append((REGISTRATION_TO_COMPLETENESS, case.registered_on, case.completeness_at))
        if case.review_at is not None and not case.incomplete:
            out.append((TO_REVIEW, case.completeness_at, case.review_at))
    last = case.review_at
    if case.notice_at is not None and case.review_at is not None:
        out.append((TO_NOTICE, case.review_at, case.notice_at))
    if case.notice_at is not None:
        last = case.notice_at
        if case.waived_at is None and case.hearing_at is not None:
            out.append((TO_HEARING, case.notice_at, case.hearing_at))
            last = case.hearing_at
    if case.decision_at is not None and last is not None:
        out.append((TO_DECISION, last, case.decision_at))
    result = case.result
    if result is not None:
        out.append((TOTAL, case.registered_on, result[1]))
    return out


def quality_report(cases: Iterable[CaseRow], complaints: Iterable[ComplaintRow], calendar: WorkingCalendar,
                   date_from: date, date_to: date, now: datetime, providers: Iterable[str] = ()) -> QualityReport:
    """Every figure of the report for the period, per provider.

    `providers` are reported even when none of the rows is theirs (all figures zero).
    """
    if date_from > date_to:
        raise ValueError("the period starts after it ends")
    as_of = min(now, period_end(date_to))
    days = _Days(calendar)
    providers: dict[str, ProviderReport] = {key: ProviderReport(key) for key in providers}

    def report_of(provider: str) -> ProviderReport:
        if provider not in providers:
            providers[provider] = ProviderReport(provider)
        return providers[provider]

    def in_period(moment: date | datetime | None) -> bool:
        if moment is None:
            return False
        day = local_day(moment) if isinstance(moment, datetime) else moment
        return date_from <= day <= date_to

    for case in cases:
        report = report_of(case.provider)
        if in_period(case.registered_on):
            report.registered += 1
        result = case.result
        if result is not None and in_period(result[1]):
            late = is_late(case)
            report.delivered[result[0]]["late" if late else "on_time"] += 1
            if late:
                report.late_case_ids.append(case.case_id)
        service = case.service_term
        if service is not None and in_period(service.due_at) and service.due_at < as_of:
            if result is None or result[1] > as_of:
                report.overdue += 1
                report.overdue_case_ids.append(case.case_id)
        for stage, start, end in _stages(case):
            if in_period(end):
                report.stages[stage].add(days.between(start, end))
        if in_period(case.notice_at):
            report.refusals[refusal_outcome(case)] += 1

    for complaint in complaints:
        if not in_period(complaint.registered_on):
            continue
        report = report_of(complaint.provider)
        outcome = complaint.outcome if complaint.outcome in COMPLAINT_OUTCOMES else PENDING
        row = report.complaints[outcome]
        row["total"] += 1
        decider = complaint.decided_by if outcome != "favourable_act" else "provider"  # п.17: only the provider acts
        if outcome != PENDING and decider in DECIDERS:
            row[decider] += 1
        breached = [t.code for t in complaint.terms if t.breached(now)]
        if breached:
            row["late"] += 1
            for code in breached:
                report.complaints_late_by_term[code] = report.complaints_late_by_term.get(code, 0) + 1

    for report in providers.values():
        report.late_case_ids.sort()
        report.overdue_case_ids.sort()
    return QualityReport(date_from, date_to, as_of, dict(sorted(providers.items())))
