"""Certificates in the register: current, expired, and those a re-issued certificate replaced."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from portal.applications.models import REISSUE, Application
from portal.core.pagination import paginate
from portal.decisions.models import CERTIFICATE, SIGNED, Decision
from portal.extensions import db


def _replaced_clause():
    """A certificate is replaced once its organisation's re-issuance naming its number has its own certificate signed.

    Only the same organisation's re-issuance counts: a number typed into someone else's application
    never takes a certificate out of the register.
    """
    later, reissue, original = aliased(Decision), aliased(Application), aliased(Application)
    return exists(select(later.id).join(reissue, reissue.id == later.application_id).where(
        later.kind == CERTIFICATE, later.status == SIGNED, reissue.kind == REISSUE,
        func.upper(func.trim(reissue.reissue_certificate_number)) == Decision.number,
        original.id == Decision.application_id, reissue.organization_id == original.organization_id))


def register(search: str, page: int, today: date, per_page: int = 25):
    """Signed certificates not replaced by a re-issued one, current first; `search` matches name, BIN, number."""
    query = (select(Decision).join(Application, Application.id == Decision.application_id)
             .where(Decision.kind == CERTIFICATE, Decision.status == SIGNED, ~_replaced_clause())
             .options(joinedload(Decision.application)))
    search = search.strip()
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(Application.pool_name.ilike(like), Application.legal_name.ilike(like),
                                Application.bin == search, Decision.number == search.upper()))
    current_first = and_(Decision.valid_until >= today).desc()
    query = query.order_by(current_first, Decision.valid_until.desc(), Decision.id.desc())
    return paginate(query, page, per_page)


def is_replaced(decision: Decision) -> bool:
    return bool(db.session.scalar(select(_replaced_clause().where(Decision.id == decision.id))))


def certificate_being_reissued(application: Application) -> Decision | None:
    """The certificate a re-issuance names, if it is the same organisation's signed certificate not yet replaced.

    A certificate already re-issued is no longer the one in force: re-issuing it again would leave two.
    """
    if application.kind != REISSUE or not application.reissue_certificate_number:
        return None
    return db.session.scalar(select(Decision).join(Application, Application.id == Decision.application_id).where(
        Decision.number == application.reissue_certificate_number.strip().upper(), Decision.kind == CERTIFICATE,
        Decision.status == SIGNED, Application.organization_id == application.organization_id,
        ~_replaced_clause()))
