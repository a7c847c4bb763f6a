"""Drafting and signing the final decision (п.11), and finding a decision by its number."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from portal.applications.models import (AWAITING_DECISION, CERTIFICATE_ISSUED, DECISION_DRAFTED, HEARING_HELD,
                                        REFUSED, Application)
from portal.core.clock import now_utc, today_local
from portal.core.concurrency import check_version
from portal.decisions.documents import decision_xml
from portal.decisions.models import CERTIFICATE, DRAFTED, REFUSAL, SIGNED, Decision
from portal.deadlines.models import CLOSED, MET, OPEN
from portal.events import services as events
from portal.extensions import db
from portal.hearings.services import hearing_record, refusal_of
from portal.notifications import hooks as notifications
from portal.register.queries import certificate_being_reissued
from portal.review.services import WrongStage
from portal.signatures import services as signatures
from rules.deadlines import validity_end

# The service provider as Appendix 2 item 1 names it.
PROVIDER = {
    "ru": "Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан",
    "kk": "Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
    "en": "Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan",
}


def kind_due(application: Application) -> str | None:
    """Which decision the case calls for: a certificate without grounds, else what the hearing left."""
    if application.status == AWAITING_DECISION:
        return CERTIFICATE
    if application.status == HEARING_HELD:
        record = hearing_record(application)
        return REFUSAL if record is None or record.outcome == "refusal_upheld" else CERTIFICATE
    return None


def decision_of(application: Application) -> Decision | None:
    return db.session.scalar(select(Decision).filter_by(application_id=application.id))


def draft(application: Application, clerk, expected_version: int | None) -> Decision:
    check_version(application, expected_version)
    kind = kind_due(application)
    if kind is None:
        raise WrongStage()
    main = application.main_complex
    content = {"bin": application.bin, "legal_name": application.legal_name,
               "legal_address": application.legal_address, "pool_name": application.pool_name or application.legal_name,
               "location": f"{main.settlement}, {main.address}" if main else "", "provider": PROVIDER,
               "head": current_app.config["PROVIDER_HEAD_NAME"]}
    if application.kind == "reissue":
        content["replaces"] = application.reissue_certificate_number
    if kind == REFUSAL:
        refusal = refusal_of(application)
        content["grounds"] = refusal.grounds if refusal else []
        record = hearing_record(application)
        if record is not None:
            content["hearing"] = {"held_at": record.held_at.isoformat(), "attended": record.applicant_attended}
    decision = Decision(application_id=application.id, kind=kind, content=content, drafted_by_id=clerk.id,
                        drafted_at=now_utc(), status=DRAFTED)
    db.session.add(decision)
    application.status = DECISION_DRAFTED
    events.record(application, "decision.drafted", actor=clerk, kind=kind)
    return decision


def awaiting_signature() -> list[Decision]:
    return list(db.session.scalars(select(Decision).filter_by(status=DRAFTED).order_by(Decision.drafted_at)))


def as_issued(decision: Decision, today: date | None = None) -> SimpleNamespace:
    """Number, issue date and validity the decision gets if it is signed `today`; nothing is stored."""
    today = today or today_local()
    valid_until = None
    if decision.kind == CERTIFICATE:
        # Re-issuance (п.12) changes the certificate, not the term of the accreditation it proves.
        previous = certificate_being_reissued(decision.application)
        valid_until = previous.valid_until if previous is not None else validity_end(today)
    prefix = "C" if decision.kind == CERTIFICATE else "R"
    return SimpleNamespace(kind=decision.kind, number=f"DMP-{prefix}-{today.year}-{decision.id:06d}",
                           issued_on=today, valid_until=valid_until, application=decision.application,
                           content=decision.content)


def document_to_sign(decision: Decision, today: date | None = None) -> bytes:
    """The decision's XML exactly as it is issued if signed today: what the signatory signs in NCALayer."""
    if decision.status != DRAFTED:
        raise WrongStage()
    return decision_xml(as_issued(decision, today))


def sign(decision: Decision, signatory, signed: bytes, today: date | None = None) -> Decision:
    """Issue the decision the signatory signed with their own key (п.11), then deliver it to the cabinet.

    The signature must be the signatory's (IIN), for the provider (PROVIDER_BIN), with the right to sign,
    over the document the portal prepares for today; otherwise SignatureRefused and nothing changes.
    """
    if decision.status != DRAFTED:
        raise WrongStage()
    application = decision.application
    today = today or today_local()
    issued = as_issued(decision, today)
    report = signatures.verify_official(signed, signatory, body_bin=current_app.config["PROVIDER_BIN"],
                                        expected=decision_xml(issued))
    now = now_utc()
    decision.number, decision.issued_on, decision.valid_until = issued.number, issued.issued_on, issued.valid_until
    decision.document, decision.status = signed, SIGNED
    decision.signed_by_id, decision.signed_at = signatory.id, now
    decision.signer = signatures.signer_record(report, signatory, now)
    application.status = CERTIFICATE_ISSUED if decision.kind == CERTIFICATE else REFUSED
    for deadline in application.deadlines:
        if deadline.state == OPEN:
            met = deadline.code in ("service", "service_reissue")
            deadline.state, deadline.next_check_at = (MET if met else CLOSED), None
            deadline.met_at = now if met else None
    signatures.record(application, "decision", signed, report, signatory)
    events.record(application, "decision.signed", actor=signatory, kind=decision.kind, number=decision.number)
    notifications.decision_issued(decision)
    return decision


def find_by_number(number: str) -> Decision | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(Decision).filter_by(number=number, status=SIGNED))


def find_complaint_decision(number: str):
    """The authority's signed decision on a complaint (п.19) with this number, or None."""
    from portal.complaints.models import Complaint

    number = (number or "").strip().upper()
    if not number.startswith("QC-"):
        return None
    return db.session.scalar(select(Complaint).where(Complaint.decision_number == number,
                                                     Complaint.decision_document.is_not(None)))


def is_current(decision: Decision, today: date | None = None) -> bool:
    """A certificate is current from its issue to the end of its last valid day, unless a re-issued one replaced it."""
    from portal.register.queries import is_replaced

    today = today or today_local()
    return (decision.kind == CERTIFICATE and decision.issued_on <= today <= decision.valid_until
            and not is_replaced(decision))
