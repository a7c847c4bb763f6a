"""Reading complaints: the two queues (provider, authority) sorted by urgency, with their counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.applications.models import Application
from portal.complaints.models import (
    AT_AUTHORITY,
    AT_PROVIDER,
    AUTHORITY_ORDER,
    DECIDED,
    TO_PROVIDER,
    Complaint,
)
from portal.core.pagination import paginate
from portal.deadlines.models import MISSED, OPEN, Deadline
from portal.extensions import db
from rules.deadlines import COMPLAINT_AUTHORITY, COMPLAINT_FORWARD, COMPLAINT_PROVIDER

# The terms each holder answers for: the provider also carries out the authority's orders (AUTHORITY_ORDER).
TERMS = {"provider": (COMPLAINT_FORWARD, COMPLAINT_PROVIDER, AUTHORITY_ORDER), "authority": (COMPLAINT_AUTHORITY,)}


def _order_pending():
    """The authority ordered the provider to act and it has not recorded doing so (models.Complaint.order_pending)."""
    return and_(Complaint.decided_by == "authority", Complaint.remedy != "", Complaint.remedy_done_at.is_(None))


def _in_queue(holder: str):
    if holder == "provider":
        # Its own complaints, and any complaint whose decision orders it to act (whoever it was addressed to).
        return or_(Complaint.addressee == TO_PROVIDER, and_(Complaint.decided_by == "authority", Complaint.remedy != ""))
    return Complaint.authority_registered_on.is_not(None)


def _open_status(holder: str):
    if holder == "provider":
        return or_(Complaint.status == AT_PROVIDER, _order_pending())
    return Complaint.status == AT_AUTHORITY


def _late(holder: str, now: datetime):
    """A term of this holder ran out without its step: still open past its end, or missed and not done."""
    return select(Deadline.id).where(
        Deadline.complaint_id == Complaint.id, Deadline.code.in_(TERMS[holder]),
        or_(and_(Deadline.state == OPEN, Deadline.due_at < now),
            and_(Deadline.state == MISSED, Deadline.met_at.is_(None)))).exists()


def queue(holder: str, state: str, number: str, page: int, now: datetime, per_page: int = 25):
    """The holder's complaints, the nearest end of a term first; open, overdue, decided or all."""
    # Per listed complaint (its own terms, by the (complaint_id, code) index): grouping every complaint's terms
    # first made the queue cost grow with all complaints ever filed.
    due_at = (select(func.min(Deadline.due_at))
              .where(Deadline.complaint_id == Complaint.id, Deadline.code.in_(TERMS[holder]),
                     Deadline.state.in_((OPEN, MISSED)), Deadline.met_at.is_(None))
              .correlate(Complaint).scalar_subquery())
    query = (select(Complaint).where(_in_queue(holder))
             .options(selectinload(Complaint.deadlines), selectinload(Complaint.application)))
    if state == "open":
        query = query.where(_open_status(holder))
    elif state == "overdue":
        query = query.where(_open_status(holder), _late(holder, now))
    elif state == "decided":
        query = query.where(Complaint.status == DECIDED)
    number = (number or "").strip().upper()
    if number:
        query = query.where(or_(Complaint.number == number,
                                Complaint.application_id.in_(select(Application.id).where(Application.number == number))))
    query = query.order_by(due_at.is_(None), due_at, Complaint.registered_on.desc(), Complaint.id.desc())
    return paginate(query, page, per_page)


def counts(holder: str, now: datetime) -> dict:
    """How many are open and how many of those are overdue, for the queue's heading."""
    base = select(func.count(Complaint.id)).where(_in_queue(holder), _open_status(holder))
    return {"open": db.session.scalar(base), "overdue": db.session.scalar(base.where(_late(holder, now)))}


def of_case(application) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).filter_by(application_id=application.id)
                                   .options(selectinload(Complaint.deadlines)).order_by(Complaint.id)))


def of_organization(organization_id: int) -> list[Complaint]:
    # One statement with their cases and terms (the cabinet names each complaint's next term), however many.
    return list(db.session.scalars(select(Complaint).filter_by(organization_id=organization_id)
                                   .options(joinedload(Complaint.application), joinedload(Complaint.deadlines))
                                   .order_by(Complaint.id.desc())).unique())
