"""One function per step the applicant (or staff) must hear about; each module's service calls one line.

Topics (the dedup keys without the recipient) name the case and what makes the step unique:
a booking by the invitation's SEQUENCE (so booking a time again after moving away reminds again),
a deadline effect by the deadline and its due day (as its DeadlineEffect key does).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.core.clock import ALMATY, now_utc
from portal.deadlines import effects
from portal.deadlines.models import Deadline
from portal.accounts.models import AUTHORITY, SUPERVISOR
from portal.extensions import db
from portal.law.services import law_for
from portal.notifications.services import (Recipients, applicants_of, cancel_pending, hearing_reminder_moment,
                                           notice, notify, notify_many, people_with_role)
from rules.calendar import WORK_START
from rules.deadlines import COMPLAINT_AUTHORITY, HEARING, REGISTRATION, SERVICE_TERMS

# Certificate holders are reminded this many days before the last valid day (issue 5, register).
EXPIRY_REMINDER_DAYS = (30, 7)


def _case(application) -> dict:
    return {"application_id": application.id, "number": application.number or ""}


def _to_applicant(kind: str, topic: str, application, send_after: datetime | None = None, **context) -> int:
    return notify(kind, topic, applicants_of(application), application, send_after, **_case(application), **context)


def application_accepted(application) -> None:
    """п.6–п.7: the submission is registered; the applicant learns the number and when the result is due."""
    due = db.session.scalar(select(Deadline.due_date).where(
        Deadline.application_id == application.id, Deadline.code.in_(SERVICE_TERMS)))
    _to_applicant("application.accepted", f"application.accepted:{application.id}", application,
                  registered_on=application.registered_on.isoformat(), due_on=due.isoformat() if due else None)


def completeness_refused(application, findings: list[dict], note: str) -> None:
    """п.7: the motivated refusal of further consideration, with each missing or expired document."""
    names = {d.code: dict(d.name) for d in
             law_for(application).document_list(application.kind, application.route).documents}
    _to_applicant("completeness.refused", f"completeness.refused:{application.id}", application, note=note.strip(),
                  findings=[{"name": names.get(f["code"], {}), "code": f["code"], "problem": f["problem"]}
                            for f in findings])


def preliminary_refusal_sent(application, refusal, slot=None, now: datetime | None = None) -> None:
    """п.9–п.10: the grounds, how, when and where the hearing is held, and until when; the proposed time is
    reminded of as a booked one (the applicant was booked into it)."""
    last = next((d.due_date for d in application.deadlines if d.code == HEARING), None)
    proposed = refusal.proposed_at.isoformat() if refusal.proposed_at else None
    _to_applicant("preliminary_refusal.sent", f"preliminary_refusal.sent:{application.id}", application,
                  method=refusal.method, place=refusal.place, last_on=last.isoformat() if last else None,
                  proposed_at=proposed,
                  grounds=[{k: g.get(k) for k in ("number", "paragraph", "text", "reason", "reasoning")} for g in refusal.grounds])
    if slot is not None:
        _remind(application, refusal, slot, now or now_utc())


def hearing_booked(application, refusal, slot, rescheduled: bool, now: datetime | None = None) -> None:
    """The booked (or moved) time with its invitation; the reminder of any earlier time is cancelled."""
    now = now or now_utc()
    kind = "hearing.rescheduled" if rescheduled else "hearing.booked"
    cancel_pending(application, "hearing.reminder", "the hearing was rescheduled")
    sequence, starts = refusal.invitation_sequence, slot.starts_at.isoformat()
    _to_applicant(kind, f"{kind}:{application.id}:{sequence}", application, starts_at=starts,
                  place=refusal.place, method=refusal.method)
    _remind(application, refusal, slot, now)


def _remind(application, refusal, slot, now: datetime) -> None:
    """The reminder of the time the case holds (hearing_reminder_moment), keyed by the invitation's SEQUENCE."""
    sequence, starts = refusal.invitation_sequence, slot.starts_at.isoformat()
    moment = hearing_reminder_moment(slot.starts_at, now)
    if moment is not None:
        _to_applicant("hearing.reminder", f"hearing.reminder:{application.id}:{starts}:{sequence}", application,
                      send_after=moment, starts_at=starts, slot_id=slot.id, place=refusal.place,
                      method=refusal.method)


def hearing_cancelled(application, refusal) -> None:
    """The applicant declined the hearing: confirm it, and never remind of it."""
    cancel_pending(application, "hearing.reminder", "the hearing was waived")
    _to_applicant("hearing.cancelled", f"hearing.cancelled:{application.id}:{refusal.invitation_sequence}",
                  application)


def decision_issued(decision) -> None:
    """п.11: the signed decision; a certificate's holder is also reminded before it expires."""
    application = decision.application
    dates = {"issued_on": decision.issued_on.isoformat(),
             "valid_until": decision.valid_until.isoformat() if decision.valid_until else None}
    _to_applicant("decision.issued", f"decision.issued:{decision.id}", application, decision_kind=decision.kind,
                  decision_number=decision.number, **dates)
    if decision.valid_until is None:
        return
    for days in EXPIRY_REMINDER_DAYS:
        moment = datetime.combine(decision.valid_until - timedelta(days=days), WORK_START, tzinfo=ALMATY)
        # A re-issued certificate keeps its predecessor's term: a reminder already past is not sent late.
        if moment > now_utc():
            _to_applicant("certificate.expiry_reminder", f"certificate.expiry_reminder:{decision.id}:{days}",
                          application, send_after=moment, decision_id=decision.id, decision_number=decision.number,
                          days=days, **dates)


def deadline_escalated(kind: str, deadline, now: datetime) -> None:
    """A warning goes to the responsible clerk; a missed deadline to the clerk and the supervisors.

    A complaint's terms go to whoever holds the complaint: the supervisors, or the authority's officials.
    """
    deadlines_escalated([(kind, deadline)], now)


def deadlines_escalated(items, now: datetime, recipients: Recipients | None = None) -> int:
    """deadline_escalated() for many (kind, deadline) at once: the recipients looked up once, one insert.

    `recipients` may be shared by several calls of one batch; a new one reads the accounts again.
    """
    items = list(items)
    recipients = recipients or Recipients()
    recipients.prefetch(deadline.application_id for _kind, deadline in items if deadline.complaint_id is None)
    notices = []
    for kind, deadline in items:
        application = deadline.application
        if deadline.complaint_id is not None:
            staff = recipients.with_role(AUTHORITY if deadline.code == COMPLAINT_AUTHORITY else SUPERVISOR)
            extra = {"complaint_id": deadline.complaint_id, "complaint": deadline.complaint.number}
        else:
            staff, extra = recipients.responsible(application, escalate=kind == "deadline.missed"), {}
        notices.append(notice(kind, f"{kind}:{deadline.id}:{deadline.due_date.isoformat()}", staff, application,
                              now, **_case(application), code=deadline.code, due_on=deadline.due_date.isoformat(),
                              paragraph=deadline.paragraph, **extra))
    return notify_many(notices)


# --- complaints (chapter 3) ------------------------------------------------------------------

def _complaint(complaint) -> dict:
    return {"complaint_id": complaint.id, "complaint": complaint.number, "addressee": complaint.addressee}


def _complaint_terms(complaint) -> dict:
    """Last days of its open terms: complaint_forward -> "forward_due_on", … ("*_on" reads back as a day)."""
    return {f"{d.code.removeprefix('complaint_')}_due_on": d.due_date.isoformat()
            for d in complaint.deadlines if d.code != REGISTRATION}


def complaint_registered(complaint) -> None:
    """п.16: the applicant gets the number and the dates; whoever must act is told."""
    application = complaint.application
    context = {**_case(application), **_complaint(complaint), **_complaint_terms(complaint),
               "registered_on": complaint.registered_on.isoformat()}
    notify("complaint.registered", f"complaint.registered:{complaint.id}", applicants_of(application), application,
           **context)
    staff = people_with_role(AUTHORITY if complaint.addressee == "authority" else SUPERVISOR)
    notify("complaint.received", f"complaint.received:{complaint.id}", staff, application, **context)


def complaint_forwarded(complaint) -> None:
    """п.17: the complaint and the case went to the authority; the applicant and the authority learn it."""
    application = complaint.application
    context = {**_case(application), **_complaint(complaint), **_complaint_terms(complaint),
               "automatic": complaint.forwarded_automatically}
    notify("complaint.forwarded", f"complaint.forwarded:{complaint.id}",
           [*applicants_of(application), *people_with_role(AUTHORITY)], application, **context)


def complaint_decided(complaint) -> None:
    """п.17–п.19: the outcome reaches the applicant; after the authority's decision, the court (п.20)."""
    application = complaint.application
    notify("complaint.decided", f"complaint.decided:{complaint.id}", applicants_of(application), application,
           **_case(application), **_complaint(complaint), outcome=complaint.outcome, by=complaint.decided_by,
           decision_number=complaint.decision_number)


# The sweeper's notices of warnings and missed terms (portal/deadlines/effects.py).
effects.register_notices(deadlines_escalated)
