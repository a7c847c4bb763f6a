"""One function per step the applicant (or staff) must hear about; each module's service calls one line.

Topics (the dedup keys without the recipient) name the case and what makes the step unique:
a booking by the invitation's SEQUENCE (so booking a time again after moving away reminds again),
a deadline effect by the deadline and its due day (as its DeadlineEffect key does).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.core.clock import ALMATY, now_utc
from portal.deadlines.models import Deadline
from portal.extensions import db
from portal.law.services import law_for
from portal.notifications.services import (applicants_of, cancel_pending, hearing_reminder_moment, notify,
                                           responsible_staff)
from rules.calendar import WORK_START

# Certificate holders are reminded this many days before the last valid day (issue 5, register).
EXPIRY_REMINDER_DAYS = (30, 7)


def _case(application) -> dict:
    return {"application_id": application.id, "number": application.number or ""}


def _to_applicant(kind: str, topic: str, application, send_after: datetime | None = None, **context) -> int:
    return notify(kind, topic, applicants_of(application), application, send_after, **_case(application), **context)


def application_accepted(application) -> None:
    """п.6–п.7: the submission is registered; the applicant learns the number and when the result is due."""
    due = db.session.scalar(select(Deadline.due_date).where(
        Deadline.application_id == application.id, Deadline.code.in_(("service", "service_reissue"))))
    _to_applicant("application.accepted", f"application.accepted:{application.id}", application,
                  registered_on=application.registered_on.isoformat(), due_on=due.isoformat() if due else None)


def completeness_refused(application, findings: list[dict], note: str) -> None:
    """п.7: the motivated refusal of further consideration, with each missing or expired document."""
    names = {d.code: dict(d.name) for d in
             law_for(application).document_list(application.kind, application.route).documents}
    _to_applicant("completeness.refused", f"completeness.refused:{application.id}", application, note=note.strip(),
                  findings=[{"name": names.get(f["code"], {}), "code": f["code"], "problem": f["problem"]}
                            for f in findings])


def preliminary_refusal_sent(application, refusal) -> None:
    """п.9–п.10: the grounds, how the hearing is held, and until when."""
    last = next((d.due_date for d in application.deadlines if d.code == "hearing"), None)
    _to_applicant("preliminary_refusal.sent", f"preliminary_refusal.sent:{application.id}", application,
                  method=refusal.method, place=refusal.place, last_on=last.isoformat() if last else None,
                  grounds=[{k: g.get(k) for k in ("number", "paragraph", "text", "reason")} for g in refusal.grounds])


def hearing_booked(application, refusal, slot, rescheduled: bool, now: datetime | None = None) -> None:
    """The booked (or moved) time with its invitation; the reminder of any earlier time is cancelled."""
    now = now or now_utc()
    kind = "hearing.rescheduled" if rescheduled else "hearing.booked"
    cancel_pending(application, "hearing.reminder", "the hearing was rescheduled")
    sequence, starts = refusal.invitation_sequence, slot.starts_at.isoformat()
    _to_applicant(kind, f"{kind}:{application.id}:{sequence}", application, starts_at=starts,
                  place=refusal.place, method=refusal.method)
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
    """A warning goes to the responsible clerk; a missed deadline to the clerk and the supervisors."""
    application = deadline.application
    notify(kind, f"{kind}:{deadline.id}:{deadline.due_date.isoformat()}",
           responsible_staff(application, escalate=kind == "deadline.missed"), application, now, **_case(application),
           code=deadline.code, due_on=deadline.due_date.isoformat(), paragraph=deadline.paragraph)
