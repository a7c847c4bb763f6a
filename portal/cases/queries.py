"""What the cabinet and the case page read of every step, each in a statement or two."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.applications.models import Application
from portal.applications.next_step import HEARING_STAGES, hearing_of
from portal.complaints.models import Complaint
from portal.deadlines.models import Deadline
from portal.events.models import Event
from portal.extensions import db
from portal.hearings.models import HearingSlot, PreliminaryRefusal


def case_terms(application: Application) -> tuple[list[Deadline], list]:
    """The case's own deadlines and its complaints with theirs: two statements, however many complaints.

    The terms of the case and of its complaints share one table and one read; each list fills its relationship
    (application.deadlines, complaint.deadlines, both by due time), so nothing loads them again.
    """
    rows = list(db.session.scalars(
        select(Deadline).where(Deadline.application_id == application.id).order_by(Deadline.due_at, Deadline.id)))
    own = [row for row in rows if row.complaint_id is None]
    set_committed_value(application, "deadlines", own)
    complaints = list(db.session.scalars(select(Complaint).filter_by(application_id=application.id)
                                         .order_by(Complaint.id)))
    for complaint in complaints:
        set_committed_value(complaint, "deadlines", [row for row in rows if row.complaint_id == complaint.id])
    return own, complaints


def case_timeline(application: Application, hidden: tuple[str, ...] = ()) -> list[Event]:
    """events.services.timeline (same rows, same order) with each event's actor in the same statement;
    without the kinds in `hidden` (the provider's internal events, for the applicant)."""
    query = select(Event).filter_by(application_id=application.id).options(joinedload(Event.actor))
    if hidden:
        query = query.where(Event.kind.not_in(hidden))
    return list(db.session.scalars(query.order_by(Event.at, Event.id)))


def hearing_facts(organization_id: int) -> dict:
    """The hearing stage (the notice and the booked slot) of an organisation's cases at the stages whose next step
    depends on it, by case id: one statement, whatever its cases (the cabinet)."""
    rows = db.session.execute(
        select(PreliminaryRefusal, HearingSlot)
        .join(Application, Application.id == PreliminaryRefusal.application_id)
        .outerjoin(HearingSlot, HearingSlot.booked_application_id == PreliminaryRefusal.application_id)
        .where(Application.organization_id == organization_id, Application.status.in_(HEARING_STAGES)))
    return {refusal.application_id: hearing_of(refusal, slot) for refusal, slot in rows}
