"""The terms of a case (and of a complaint), consistent with what happened and with what the sweeper did so far.

A term whose step was taken is met; the terms of a closed case are closed; a term still running has the effects
the sweeper would have recorded by now (its warning, or missed and overdue) and the sweeper's next check.
"""
from __future__ import annotations

from datetime import date, datetime

from bench.scale.case import Case
from bench.scale.common import TICK, local_day
from bench.scale.proportions import CLOSED_STAGES
from portal.applications.models import INCOMPLETE_REFUSED
from rules.deadlines import auto_forward_at
from rules.escalation import FORWARDED

# The step that meets each term of a case.
MET_BY = {"completeness": "completeness", "review": "review", "reissue_review": "review",
          "hearing_notice": "notice", "hearing": "hearing", "service": "signed", "service_reissue": "signed"}


def deadline_row(gen, case: Case, planned, state: str, met_at, next_check, created: datetime,
                 complaint_id: int | None = None, **overrides) -> int:
    """Add the row of one planned term (a rules.deadlines.Deadline; `overrides` replace its columns)."""
    deadline_id = overrides.pop("id", None) or gen.new_id("deadline")
    starts_from, starts_on = planned.starts_from
    row = {"id": deadline_id, "application_id": case.app_id, "code": planned.id, "term": planned.term,
           "starts_from": starts_from, "starts_on": starts_on, "due_date": planned.due_date,
           "due_at": planned.due_at, "paragraph": planned.paragraph, "state": state, "met_at": met_at,
           "next_check_at": next_check, "created_at": created, "complaint_id": complaint_id}
    row.update(overrides)
    row["warn_on"] = gen.days.warn(row["due_date"]).date()  # 00:00 Almaty of that day: its date is the day
    gen.add("deadline", row)
    return deadline_id


def open_term(gen, case: Case, deadline_id: int, code: str, due_date: date, due_at: datetime, paragraph: str,
              since: datetime, about: dict | None = None) -> tuple[str, datetime | None, datetime | None]:
    """A term still running: what the sweeper did about it so far. Returns (state, next check, missed at).

    A complaint's forwarding term is never left past its automatic forward (complaints.py forwards it then).
    """
    now = gen.now
    warn = gen.days.warn(due_date)
    data = {"code": code, "due": due_date.isoformat(), "paragraph": paragraph, **(about or {})}
    if now > due_at:
        for kind, at, label in (("warn", max(warn, since), "deadline.warning"),
                                ("mark_missed", due_at + TICK, "deadline.missed"),
                                ("flag_overdue", due_at + TICK, None)):
            effect(gen, deadline_id, kind, due_date, at, paragraph)
            if label:
                case.event(at, None, label, data)
        return "missed", None, due_at + TICK
    moments = [warn, due_at + TICK]
    if code == FORWARDED:
        moments.append(auto_forward_at(due_date))
    if now >= warn:
        at = max(warn, since)
        effect(gen, deadline_id, "warn", due_date, at, paragraph)
        case.event(at, None, "deadline.warning", data)
    return "open", min(m for m in moments if m > now), None


def effect(gen, deadline_id: int, kind: str, due_date: date, at: datetime, detail: str) -> None:
    """One effect of the sweeper, with its key (rules/escalation.py)."""
    gen.add("deadline_effect", {"id": gen.new_id("deadline_effect"),
                                "key": f"{deadline_id}:{kind}:{due_date.isoformat()}", "deadline_id": deadline_id,
                                "kind": kind, "at": at, "detail": detail})


def case_deadlines(gen, case: Case) -> datetime | None:
    """Every term of the plan; returns when the case became overdue (its first missed term), if it did."""
    closed = case.stage in CLOSED_STAGES
    met = {code: case.steps.get(step) for code, step in MET_BY.items()}
    met["registration"] = case.received
    if case.stage == INCOMPLETE_REFUSED:
        met["review"] = met["reissue_review"] = None
    overdue_since = None
    for code, planned in case.plan.items():
        deadline_id = gen.new_id("deadline")
        overrides = {}
        due_date, due_at = planned.due_date, planned.due_at
        if code == "registration":
            overrides["starts_on"] = local_day(case.received)
        if code == "hearing" and case.notice_day is not None:
            # Recounted from the notice actually sent (rules.deadlines.hearing_deadline).
            due_date, due_at = gen.days.hearing(case.notice_day)
            overrides.update(starts_from="hearing_notice", starts_on=case.notice_day, due_date=due_date,
                             due_at=due_at)
        met_at, next_check, state = met.get(code), None, "closed"
        if met_at is not None:
            state = "met"
        elif not closed:
            state, next_check, missed_at = open_term(gen, case, deadline_id, code, due_date, due_at,
                                                     planned.paragraph, case.received)
            if missed_at is not None:
                overdue_since = min(overdue_since or missed_at, missed_at)
        deadline_row(gen, case, planned, state, met_at, next_check, case.received, id=deadline_id, **overrides)
    return overdue_since
