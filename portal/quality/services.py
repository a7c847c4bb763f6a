"""The rows of the quality report for a period: two SQL queries, whatever the number of cases.

rules/quality.py does the counting; this module only reads. The moments of the steps come
from the rows that record them (the clerk's completeness and review decisions, the
preliminary refusal, the hearing record, the signed decision), not from the event log.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask_babel import get_locale
from sqlalchemy import and_, case, func, or_, select

from portal.applications.models import Application
from portal.calendar.services import current_calendar
from portal.complaints.models import Complaint
from portal.core.clock import now_utc
from portal.deadlines.models import Deadline
from portal.decisions.models import SIGNED, Decision
from portal.decisions.services import PROVIDER
from portal.extensions import db
from portal.hearings.models import HearingRecord, PreliminaryRefusal
from portal.review.models import ReviewDecision
from rules.calendar import ALMATY
from rules.quality import RESULT_TERMS, CaseRow, ComplaintRow, QualityReport, Term, period_end, quality_report

# The one service provider today (Appendix 2 item 1). Every row carries this key, so a second
# provider is a second key here and nothing in rules/quality.py changes.
MINISTRY = "ministry"


def _provider_names() -> dict[str, dict[str, str]]:
    return {MINISTRY: PROVIDER}


# The terms of a case the report needs: those that govern a result.
CASE_TERMS = sorted({code for codes in RESULT_TERMS.values() for code in codes})


def provider_name(key: str) -> str:
    names = _provider_names().get(key)
    if not names:
        return key
    return names.get(str(get_locale() or "kk")) or names["ru"]


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The period as UTC moments: [midnight of date_from, midnight after date_to) in Almaty."""
    start = datetime.combine(date_from, datetime.min.time(), tzinfo=ALMATY)
    return start, period_end(date_to)


def _stage(stage: str):
    """The first decision of a review stage per case, and whether it refused further consideration."""
    return (select(ReviewDecision.application_id.label("application_id"),
                   func.min(ReviewDecision.decided_at).label("at"),
                   func.max(case((ReviewDecision.outcome == "incomplete", 1), else_=0)).label("incomplete"))
            .where(ReviewDecision.stage == stage).group_by(ReviewDecision.application_id).subquery(f"{stage}_stage"))


def case_rows(date_from: date, date_to: date) -> list[CaseRow]:
    """Every registered case that may figure in the period: not closed before it started.

    One query: the case, its steps and the terms that govern its result (one row per term).
    """
    start, _end = period_bounds(date_from, date_to)
    completeness, review = _stage("completeness"), _stage("review")
    query = (
        select(Application.id, Application.registered_on,
               completeness.c.at, completeness.c.incomplete, review.c.at,
               PreliminaryRefusal.sent_at, PreliminaryRefusal.waived_at,
               HearingRecord.held_at, HearingRecord.outcome,
               Decision.signed_at, Decision.kind,
               Deadline.code, Deadline.due_at, Deadline.state, Deadline.met_at)
        .outerjoin(completeness, completeness.c.application_id == Application.id)
        .outerjoin(review, review.c.application_id == Application.id)
        .outerjoin(PreliminaryRefusal, PreliminaryRefusal.application_id == Application.id)
        .outerjoin(HearingRecord, HearingRecord.application_id == Application.id)
        .outerjoin(Decision, and_(Decision.application_id == Application.id, Decision.status == SIGNED))
        .outerjoin(Deadline, and_(Deadline.application_id == Application.id, Deadline.complaint_id.is_(None),
                                  Deadline.code.in_(CASE_TERMS)))
        .where(Application.registered_on.is_not(None), Application.registered_on <= date_to,
               or_(Decision.signed_at >= start,
                   and_(completeness.c.incomplete == 1, completeness.c.at >= start),
                   and_(Decision.signed_at.is_(None), func.coalesce(completeness.c.incomplete, 0) == 0)))
        .order_by(Application.id)
    )
    steps: dict[int, dict] = {}
    terms: dict[int, list[Term]] = defaultdict(list)
    for (case_id, registered_on, completeness_at, incomplete, review_at, notice_at, waived_at, held_at, outcome,
         signed_at, kind, code, due_at, state, met_at) in db.session.execute(query):
        steps.setdefault(case_id, dict(
            case_id=case_id, provider=MINISTRY, registered_on=registered_on, completeness_at=completeness_at,
            incomplete=bool(incomplete), review_at=review_at, notice_at=notice_at, waived_at=waived_at,
            hearing_at=held_at, hearing_outcome=outcome, decision_at=signed_at, decision_kind=kind))
        if code is not None:
            terms[case_id].append(Term(code, due_at, state, met_at))
    return [CaseRow(terms=tuple(terms[case_id]), **values) for case_id, values in steps.items()]


def complaint_rows(date_from: date, date_to: date) -> list[ComplaintRow]:
    """The complaints registered in the period with their terms (one query, one row per term)."""
    query = (
        select(Complaint.id, Complaint.registered_on, Complaint.outcome, Complaint.decided_by, Complaint.decided_at,
               Deadline.code, Deadline.due_at, Deadline.state, Deadline.met_at)
        .outerjoin(Deadline, Deadline.complaint_id == Complaint.id)
        .where(Complaint.registered_on.is_not(None), Complaint.registered_on >= date_from,
               Complaint.registered_on <= date_to)
        .order_by(Complaint.id)
    )
    heads: dict[int, dict] = {}
    terms: dict[int, list[Term]] = defaultdict(list)
    for (complaint_id, registered_on, outcome, decided_by, decided_at,
         code, due_at, state, met_at) in db.session.execute(query):
        heads.setdefault(complaint_id, dict(complaint_id=complaint_id, provider=MINISTRY, registered_on=registered_on,
                                            outcome=outcome, decided_by=decided_by, decided_at=decided_at))
        if code is not None:
            terms[complaint_id].append(Term(code, due_at, state, met_at))
    return [ComplaintRow(terms=tuple(terms[complaint_id]), **values) for complaint_id, values in heads.items()]


def report(date_from: date, date_to: date, now: datetime | None = None) -> QualityReport:
    return quality_report(case_rows(date_from, date_to), complaint_rows(date_from, date_to), current_calendar(),
                          date_from, date_to, now or now_utc(), providers=(MINISTRY,))


def case_numbers(ids: list[int]) -> dict[int, str]:
    """The registration numbers of the listed cases (one query), for the lists of late cases."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Application.id, Application.number).where(Application.id.in_(ids))).all())
