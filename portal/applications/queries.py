"""Read-only queries behind the cabinet, the staff list and the case page (a fixed number each)."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.applications.models import DRAFT, Application
from portal.deadlines.models import OPEN, Deadline
from portal.extensions import db


def cabinet_cases(organization_id: int) -> list[Application]:
    rows = db.session.scalars(
        select(Application).where(Application.organization_id == organization_id)
        .options(selectinload(Application.deadlines))
        .order_by(Application.created_at.desc())
    )
    return list(rows)


def staff_cases(filters: dict, page: int, now, horizon, page_size: int = 25):
    """Filed cases for staff, nearest open deadline first, filtered by stage, kind and deadline state.

    `horizon` is the last day counted as "near" (the next working day).
    """
    nearest = (select(Deadline.application_id, func.min(Deadline.due_at).label("due_at"))
               .where(Deadline.state == OPEN).group_by(Deadline.application_id).subquery())
    query = (select(Application).outerjoin(nearest, nearest.c.application_id == Application.id)
             .where(Application.status != DRAFT).options(selectinload(Application.deadlines)))
    if filters.get("stage"):
        query = query.where(Application.status == filters["stage"])
    if filters.get("kind"):
        query = query.where(Application.kind == filters["kind"])
    state = filters.get("deadline")
    if state == "missed":
        query = query.where(or_(nearest.c.due_at < now, Application.overdue_since.is_not(None)))
    elif state == "near":
        near = select(Deadline.id).where(Deadline.application_id == Application.id, Deadline.state == OPEN,
                                         Deadline.due_date <= horizon, Deadline.due_at >= now)
        query = query.where(near.exists())
    elif state == "on_track":
        query = query.where(nearest.c.due_at > now, Application.overdue_since.is_(None),
                            ~select(Deadline.id).where(Deadline.application_id == Application.id,
                                                       Deadline.state == OPEN, Deadline.due_date <= horizon).exists())
    query = query.order_by(nearest.c.due_at.is_(None), nearest.c.due_at, Application.id)
    return db.paginate(query, page=page, per_page=page_size, error_out=False)


def case_deadlines(application: Application) -> list[Deadline]:
    return list(db.session.scalars(
        select(Deadline).where(Deadline.application_id == application.id).order_by(Deadline.due_at, Deadline.id)
    ))
