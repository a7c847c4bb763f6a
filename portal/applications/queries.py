"""Read-only queries behind the cabinet, the staff list and the case page (a fixed number each; what they read
of the later steps: portal/cases/queries.py)."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.applications.models import DRAFT, STATUSES, Application
from portal.core.pagination import Page, capped_count, page_of, paginate
from portal.deadlines.models import OPEN, Deadline
from portal.extensions import db
from rules.deadlines import SERVICE_TERMS

# The case page loads the case with its complexes and documents in one statement (a handful of rows each).
CASE_PAGE = (joinedload(Application.complexes), joinedload(Application.documents),
             joinedload(Application.preliminary_refusal), joinedload(Application.booked_slot),
             joinedload(Application.decision), joinedload(Application.latest_state_facts))


def cabinet_cases(organization_id: int) -> list[Application]:
    rows = db.session.scalars(
        select(Application).where(Application.organization_id == organization_id)
        # A draft's next step reads its main complex (portal/applications/next_step.py): loaded with the rest.
        .options(selectinload(Application.deadlines), selectinload(Application.complexes))
        .order_by(Application.created_at.desc())
    )
    return list(rows)


# A case has at most this many terms of its own open at once (rules.deadlines plans six per procedure).
MAX_OPEN_TERMS = 8


def staff_cases(filters: dict, page: int, now, horizon, page_size: int = 25):
    """Filed cases for staff, nearest open deadline first, filtered by stage, kind and deadline state.

    `horizon` is the last day counted as "near" (the next working day); None when no deadline state is asked.
    """
    if not filters.get("deadline"):
        return _nearest_first(filters, page, page_size)
    nearest = (select(Deadline.application_id, func.min(Deadline.due_at).label("due_at"))
               .where(Deadline.state == OPEN, Deadline.complaint_id.is_(None)).group_by(Deadline.application_id).subquery())
    query = (select(Application).outerjoin(nearest, nearest.c.application_id == Application.id)
             .where(Application.status != DRAFT))
    if filters.get("stage"):
        query = query.where(Application.status == filters["stage"])
    if filters.get("kind"):
        query = query.where(Application.kind == filters["kind"])
    state = filters.get("deadline")
    if state == "missed":
        query = query.where(or_(nearest.c.due_at < now, Application.overdue_since.is_not(None)))
    elif state == "near":
        near = select(Deadline.id).where(Deadline.application_id == Application.id, Deadline.state == OPEN,
                                         Deadline.complaint_id.is_(None),
                                         Deadline.due_date <= horizon, Deadline.due_at >= now)
        query = query.where(near.exists())
    elif state == "on_track":
        query = query.where(nearest.c.due_at > now, Application.overdue_since.is_(None),
                            ~select(Deadline.id).where(Deadline.application_id == Application.id, Deadline.complaint_id.is_(None),
                                                       Deadline.state == OPEN, Deadline.due_date <= horizon).exists())
    query = query.order_by(nearest.c.due_at.is_(None), nearest.c.due_at, Application.id)
    return paginate(query, page, page_size)


def _nearest_first(filters: dict, page: int, page_size: int) -> Page:
    """The same order as staff_cases' query, without grouping every open deadline of every case first.

    Walking the open terms by due date (ix_deadline_open_due), the first time a case appears is its
    nearest deadline, and ties fall in case order: so the first (page x size) distinct cases of the walk
    are the cases with an open term, in order. Cases with none follow by number (id). A page costs what
    it shows, not what the database holds; the total counts at most COUNT_CAP + 1 cases.
    """
    conditions = [Application.status != DRAFT]
    if filters.get("stage"):
        conditions.append(Application.status == filters["stage"])
    if filters.get("kind"):
        conditions.append(Application.kind == filters["kind"])
    own_open = (Deadline.state == OPEN, Deadline.complaint_id.is_(None))

    def items(page: int, per_page: int) -> list[Application]:
        offset, wanted = (page - 1) * per_page, page * per_page
        limit = wanted * MAX_OPEN_TERMS
        walk = db.session.execute(
            select(Deadline.application_id).join(Application, Application.id == Deadline.application_id)
            .where(*own_open, *conditions).order_by(Deadline.due_at, Deadline.application_id).limit(limit)
        ).scalars().all()
        ordered = list(dict.fromkeys(walk))  # first appearance = nearest deadline
        ids = ordered[offset:wanted]
        if len(walk) < limit and len(ids) < per_page:
            # Every case with an open term was seen: the page goes on with the others, by number.
            has_open = select(Deadline.id).where(Deadline.application_id == Application.id, *own_open).exists()
            ids += db.session.scalars(
                select(Application.id).where(*conditions, ~has_open).order_by(Application.id)
                .offset(max(0, offset - len(ordered))).limit(per_page - len(ids))).all()
        if not ids:
            return []
        found = {a.id: a for a in db.session.scalars(
            select(Application).where(Application.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    def count() -> int:
        # The same cases as `conditions`, named by status so the status index alone can count them.
        statuses = [filters["stage"]] if filters.get("stage") else [s for s in STATUSES if s != DRAFT]
        return capped_count(select(Application.id).where(Application.status.in_(statuses), *conditions[1:]))

    return page_of(items, count, page, page_size)


def service_terms(cases: list[Application]) -> dict[int, Deadline]:
    """The term of the service of each listed case (the queue's "Result due"), without its other terms."""
    if not cases:
        return {}
    rows = db.session.scalars(select(Deadline).where(
        Deadline.application_id.in_([case.id for case in cases]), Deadline.complaint_id.is_(None),
        Deadline.code.in_(SERVICE_TERMS)))
    return {row.application_id: row for row in rows}
