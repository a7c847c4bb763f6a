"""Read-only queries behind the cabinet, the staff list and the case page (a fixed number each)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.applications.models import DRAFT, Application
from portal.deadlines.models import Deadline
from portal.extensions import db


def cabinet_cases(organization_id: int) -> list[Application]:
    rows = db.session.scalars(
        select(Application).where(Application.organization_id == organization_id)
        .options(selectinload(Application.deadlines))
        .order_by(Application.created_at.desc())
    )
    return list(rows)


def staff_cases(page: int, page_size: int = 25):
    query = (select(Application).where(Application.status != DRAFT)
             .options(selectinload(Application.deadlines))
             .order_by(Application.registered_on.desc(), Application.id.desc()))
    return db.paginate(query, page=page, per_page=page_size, error_out=False)


def case_deadlines(application: Application) -> list[Deadline]:
    return list(db.session.scalars(
        select(Deadline).where(Deadline.application_id == application.id).order_by(Deadline.due_at, Deadline.id)
    ))
