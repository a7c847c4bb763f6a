"""Drafting and signing the final decision (п.11), and finding a decision by its number."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from portal.applications.models import (AWAITING_DECISION, CERTIFICATE_ISSUED, DECISION_DRAFTED, GROUNDS_FOUND,
                                        HEARING_HELD, INCOMPLETE_REFUSED, PRELIMINARY_REFUSAL, REFUSED, REGISTERED,
                                        REISSUE, UNDER_REVIEW, Application)
from portal.applications.services import ReissueRefused
from portal.core.clock import ALMATY, now_utc, today_local
from portal.core.concurrency import check_version, lock_for_update
from portal.core.errors import WrongStage
from portal.decisions.documents import decision_xml
from portal.decisions.models import (CERTIFICATE, DRAFTED, REFUSAL, RETURN_COMMENT_MAX, RETURNED, SIGNED, Decision,
                                     DecisionReturn)
from portal.deadlines.models import CLOSED, MET, OPEN
from portal.events import services as events
from portal.extensions import db
from portal.core.i18n import cite, localized
from portal.core.i18n import lazy_gettext as _l
from portal.hearings.services import hearing_record, open_conditions, refusal_of
from portal.law.services import law_for
from portal.notifications import hooks as notifications
from portal.notifications import worker
from portal.review import services as review
from portal.decisions.certificates import (certificate_being_reissued, certificate_number, claim_holder, is_replaced,
                                     reissue_ground, reissue_obstacle)
from portal.signatures import services as signatures
from rules.deadlines import COMPLETENESS, REISSUE_REVIEW, SERVICE_TERMS, validity_end

# The service provider as Appendix 2 item 1 names it.
PROVIDER = {
    "ru": "Министерство цифрового развития, инноваций и аэрокосмической промышленности Республики Казахстан",
    "kk": "Қазақстан Республикасының Цифрлық даму, инновациялар және аэроғарыш өнеркәсібі министрлігі",
    "en": "Ministry of Digital Development, Innovations and Aerospace Industry of the Republic of Kazakhstan",
}


# The stages at which a re-issuance that cannot replace its certificate is refused under п.12 (second paragraph).
REISSUE_REFUSABLE = (REGISTERED, UNDER_REVIEW, GROUNDS_FOUND, AWAITING_DECISION, PRELIMINARY_REFUSAL, HEARING_HELD)


def reissue_refusal_due(application: Application) -> dict | None:
    """The obstacle (certificates.reissue_obstacle) for which this re-issuance is to be refused under п.12.

    A paper re-issuance is registered as received (п.7) even when the certificate it names is not the
    organisation's current one or another re-issuance holds it; the documents then do not allow the re-issuance,
    and the provider answers with a motivated refusal of further consideration (Appendix 4) citing п.12.
    """
    if application.kind != REISSUE or application.status not in REISSUE_REFUSABLE:
        return None
    return reissue_obstacle(application)


# п.12, second paragraph: a re-issuance is answered with a motivated refusal of further consideration of the
# application (Appendix 4), not with a refusal of the service; the document's title says so (content["refusal"]).
FURTHER_CONSIDERATION = "further_consideration"

# The ground of that refusal when the check of the re-issuance's documents finds them incomplete or expired.
REISSUE_INCOMPLETE_TEXT = {
    "kk": "Ұсынылған құжаттардың осы Қағидалардың талаптарына сәйкес келмеуі және (немесе) қолданылу мерзімі өткен "
          "құжаттардың ұсынылуы",
    "ru": "Несоответствие представленных документов требованиям настоящих Правил и (или) представление документов "
          "с истекшим сроком действия",
    "en": "The documents presented do not meet the requirements of the Rules and (or) documents whose term of "
          "validity has expired were presented",
}
_DOCUMENT_PROBLEM = {
    "missing": {"kk": "ұсынылмаған: {name}", "ru": "не представлен документ: {name}",
                "en": "not presented: {name}"},
    "expired": {"kk": "қолданылу мерзімі өткен: {name}", "ru": "истек срок действия документа: {name}",
                "en": "its term of validity has expired: {name}"},
}
_DOCUMENTS_FOUND = {
    "kk": "Қайта ресімдеуге ұсынылған құжаттарды тексеру нәтижесінде (Қағидалардың 12-тармағы) анықталды: {items}.",
    "ru": "По результатам проверки документов, представленных для переоформления (пункт 12 Правил): {items}.",
    "en": "The check of the documents presented for the re-issuance (para. 12 of the Rules) found: {items}.",
}
_CLERK_REASONS = {"kk": "Көрсетілетін қызметті берушінің дәлелдері: {note}",
                  "ru": "Обоснование услугодателя: {note}",
                  "en": "The provider's reasons: {note}"}


def reissue_incomplete_ground(application: Application, findings: list[dict], note: str) -> dict:
    """The ground of the п.12 refusal of a re-issuance whose documents are missing or expired, in kk/ru/en.

    The reasoning names each document and what is wrong with it, then the clerk's own reasons (written once,
    in the language the clerk used, and given as written in every language of the document).
    """
    names = {d.code: dict(d.name) for d in
             law_for(application).document_list(application.kind, application.route).documents}
    reasoning = {}
    for lang in ("kk", "ru", "en"):
        items = "; ".join(_DOCUMENT_PROBLEM[f["problem"]][lang].format(
            name=names.get(f["code"], {}).get(lang) or names.get(f["code"], {}).get("en") or f["code"])
            for f in findings)
        text = _DOCUMENTS_FOUND[lang].format(items=items)
        if note.strip():
            text += " " + _CLERK_REASONS[lang].format(note=note.strip())
        reasoning[lang] = text
    return {"number": 1, "paragraph": "п. 12", "text": dict(REISSUE_INCOMPLETE_TEXT), "reason": "",
            "reasoning": reasoning, "because": [f"reissue_{f['problem']}:{f['code']}" for f in findings]}


def kind_due(application: Application) -> str | None:
    """Which decision the case calls for: a certificate without grounds, else what the hearing left."""
    if reissue_refusal_due(application) is not None:
        return REFUSAL
    if application.status == AWAITING_DECISION:
        return CERTIFICATE
    if application.status == HEARING_HELD:
        record = hearing_record(application)
        return REFUSAL if record is None or record.outcome == "refusal_upheld" else CERTIFICATE
    return None


def decision_of(application: Application) -> Decision | None:
    return db.session.scalar(select(Decision).filter_by(application_id=application.id))


class CertificateRefused(Exception):
    """п.4: a certificate needs every mandatory condition met by a stated fact; `sentence` names those that are not."""

    def __init__(self, conditions: list[dict]):
        self.conditions = conditions
        self.sentence = _l("No certificate can be drafted while conditions of п.4 are not met by a stated fact: "
                           "%(names)s. Every mandatory condition must rest on a fact.",
                           names="; ".join(f"{localized(c['text'])} ({cite(c['paragraph'])})" for c in conditions))
        super().__init__(str(self.sentence))


def conditions_without_fact(application: Application) -> list[dict]:
    """The conditions of п.4 not met by a stated fact: the review's findings, less those the hearing met."""
    record = hearing_record(application)
    met_at_hearing = (record.data or {}).get("conditions", {}) if record is not None else {}
    return [c for c in open_conditions(application) if not met_at_hearing.get(c["code"])]


def _hearing_content(application: Application) -> dict | None:
    """What the hearing brought, for the final refusal: held or not, attended or not, the applicant's position."""
    refusal, record = refusal_of(application), hearing_record(application)
    if refusal is None:
        return None
    position = (refusal.position or "").strip() or ((record.arguments or "").strip() if record is not None else "")
    hearing = {"position": position, "waived": refusal.waived_at is not None}
    if record is not None:
        hearing.update(held_at=record.held_at.isoformat(), attended=record.applicant_attended)
    return hearing


def draft(application: Application, clerk, expected_version: int | None) -> Decision:
    check_version(application, expected_version)
    kind = kind_due(application)
    if kind is None:
        raise WrongStage()
    obstacle = reissue_refusal_due(application) if kind == REFUSAL else None
    content = _prepared(application, kind, obstacle)
    if kind == CERTIFICATE and application.kind == REISSUE:
        hold_certificate(application)  # drafted, the certificate is this case's: nobody claims it meanwhile
    return _drafted(application, clerk, kind, content)


def _prepared(application: Application, kind: str, obstacle: dict | None = None) -> dict:
    """The decision's content as the case's records give it now (drafting, and preparing again after a return)."""
    if kind == CERTIFICATE and (missing := conditions_without_fact(application)):
        raise CertificateRefused(missing)
    content = _content(application)
    if obstacle is not None:
        content["grounds"] = [reissue_ground(application, obstacle)]  # п.12: no hearing precedes this refusal
        content["refusal"] = FURTHER_CONSIDERATION
    elif kind == REFUSAL:
        refusal = refusal_of(application)
        record = hearing_record(application)
        stands = (record.data or {}).get("stands", {}) if record is not None else {}
        # Each ground with its reasoning in words and, after the hearing, why it stands (Appendix 4).
        content["grounds"] = [{**ground, "stands": stands.get(str(ground["number"]), "")}
                              for ground in (refusal.grounds if refusal else [])]
        hearing = _hearing_content(application)
        if hearing is not None:
            content["hearing"] = hearing
    return content


def _content(application: Application) -> dict:
    """What every decision states of the applicant and the pool (Appendices 3 and 4)."""
    main = application.main_complex
    content = {"bin": application.bin, "legal_name": application.legal_name,
               "legal_address": application.legal_address, "pool_name": application.pool_name or application.legal_name,
               "location": f"{main.settlement}, {main.address}" if main else "", "provider": PROVIDER}
    if application.kind == "reissue":
        content["replaces"] = application.reissue_certificate_number
    return content


def _drafted(application: Application, clerk, kind: str, content: dict, **event) -> Decision:
    decision = Decision(application_id=application.id, kind=kind, content=content, drafted_by_id=clerk.id,
                        drafted_at=now_utc(), status=DRAFTED)
    db.session.add(decision)
    application.status = DECISION_DRAFTED
    events.record(application, "decision.drafted", actor=clerk, kind=kind, **event)
    return decision


def draft_reissue_incomplete(application: Application, clerk, findings: list[dict], note: str) -> Decision:
    """п.12, second paragraph: the clerk's finding that a re-issuance's documents are missing or expired, drafted as
    the motivated refusal of further consideration (Appendix 4) that the signatory signs with their own EDS.

    Called by review.services.decide_completeness; the case waits for the signature (DECISION_DRAFTED) and keeps
    its hold on the certificate until the refusal is signed (sign() ends it as INCOMPLETE_REFUSED, which frees it).
    """
    if application.kind != REISSUE or application.status != REGISTERED or not findings:
        raise WrongStage()
    content = _content(application)
    content["grounds"] = [reissue_incomplete_ground(application, findings, note)]
    content["refusal"] = FURTHER_CONSIDERATION
    content["completeness"] = [{"code": f["code"], "problem": f["problem"]} for f in findings]
    return _drafted(application, clerk, REFUSAL, content, paragraph="п. 12")


class InvalidReturn(ValueError):
    """The signatory's comment (or the clerk's answer) is missing or too long: {field: message}."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(", ".join(errors))


def _text(value: str | None, required: bool):
    """The text stripped, and the message (lazy) if it is missing when required or too long."""
    text = (value or "").strip()
    if required and not text:
        return text, _l("Say what the clerk should change.")
    if len(text) > RETURN_COMMENT_MAX:
        return text, _l("At most %(max)d characters.", max=RETURN_COMMENT_MAX)
    return text, None


def _move(decision: Decision, from_status: str, to_status: str) -> None:
    """Change the decision's status only if it still is from_status, in one statement; else WrongStage.

    Of a signature, a return and a resend posted at once (two tabs, a double click), one wins and the others
    find the decision moved on: the UPDATE waits for a concurrent writer of the row and reads its status afresh.
    """
    moved = db.session.execute(update(Decision).where(Decision.id == decision.id, Decision.status == from_status)
                               .values(status=to_status).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        raise WrongStage()
    set_committed_value(decision, "status", to_status)


def return_to_clerk(decision: Decision, signatory, comment: str | None) -> DecisionReturn:
    """The signatory sends the unsigned draft back to the clerk with a comment (required).

    The case stays where it is for the applicant (decision drafted, awaiting signature) and every term keeps
    running: a return is the provider's own work, not an act of the procedure.
    """
    comment, error = _text(comment, required=True)
    if error is not None:
        raise InvalidReturn({"comment": error})
    _move(decision, DRAFTED, RETURNED)
    returned = DecisionReturn(decision=decision, returned_by_id=signatory.id, returned_at=now_utc(), comment=comment,
                              reply="")
    db.session.add(returned)
    db.session.flush()  # the event names the return; its comment stays in decision_return (not in the monitoring feed)
    events.record(decision.application, "decision.returned", actor=signatory, kind=decision.kind, returned=returned.id)
    return returned


def open_return(decision: Decision | None) -> DecisionReturn | None:
    """The return the clerk has not answered yet, while the decision is back with the clerk."""
    if decision is None or decision.status != RETURNED or not decision.returns:
        return None
    last = decision.returns[-1]
    return last if last.resent_at is None else None


def last_return(decision: Decision | None) -> DecisionReturn | None:
    return decision.returns[-1] if decision is not None and decision.returns else None


def resend(decision: Decision, clerk, reply: str | None) -> Decision:
    """The clerk prepares the returned decision again from the case's records and sends it for signature.

    The п.12 refusals keep the content they were drafted with: their ground is the finding made at that stage
    (the completeness check or the obstacle), which the case's later status no longer shows.
    """
    reply, error = _text(reply, required=False)
    if error is not None:
        raise InvalidReturn({"reply": error})
    returned = open_return(decision)
    _move(decision, RETURNED, DRAFTED)
    content = decision.content or {}
    if not content.get("completeness") and content.get("refusal") != FURTHER_CONSIDERATION:
        decision.content = _prepared(decision.application, decision.kind)
    decision.drafted_by_id, decision.drafted_at = clerk.id, now_utc()
    if returned is not None:
        returned.resent_by_id, returned.resent_at, returned.reply = clerk.id, decision.drafted_at, reply
    events.record(decision.application, "decision.resent", actor=clerk, kind=decision.kind)
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
    if decision.kind == CERTIFICATE and application.kind == REISSUE:
        hold_certificate(application, lock=True)
        if decision.status != DRAFTED:  # read afresh under the lock: signed by someone else meanwhile
            raise WrongStage()
    today = today or today_local()
    issued = as_issued(decision, today)
    report = signatures.verify_official(signed, signatory, body_bin=current_app.config["PROVIDER_BIN"],
                                        expected=decision_xml(issued))
    _move(decision, DRAFTED, SIGNED)  # a return posted meanwhile wins or loses here, never both
    now = now_utc()
    decision.number, decision.issued_on, decision.valid_until = issued.number, issued.issued_on, issued.valid_until
    decision.document, decision.status = signed, SIGNED
    decision.signed_by_id, decision.signed_at = signatory.id, now
    decision.signer = signatures.signer_record(report, signatory, now)
    if decision.kind == CERTIFICATE:
        application.status = CERTIFICATE_ISSUED
    else:
        # п.12: the refusal of a re-issuance's incomplete or expired documents ends the case as a refusal of further
        # consideration, like п.7's; either way the hold on the certificate is released (CLAIM_RELEASED).
        application.status = INCOMPLETE_REFUSED if (decision.content or {}).get("completeness") else REFUSED
    # A refusal under п.12 is also the act the check of the re-issuance's documents ends in (its 2 days).
    met_codes = SERVICE_TERMS + (
        (COMPLETENESS, REISSUE_REVIEW) if any(g.get("paragraph") == "п. 12"
                                                  for g in (decision.content or {}).get("grounds", [])) else ())
    for deadline in application.deadlines:
        if deadline.state == OPEN:
            met = deadline.code in met_codes
            deadline.state, deadline.next_check_at = (MET if met else CLOSED), None
            deadline.met_at = now if met else None
    signatures.record(application, "decision", signed, report, signatory)
    events.record(application, "decision.signed", actor=signatory, kind=decision.kind, number=decision.number)
    notifications.decision_issued(decision)
    return decision


def hold_certificate(application: Application, lock: bool = False) -> Decision:
    """Make this re-issuance the one that replaces its certificate (п.12), or raise ReissueRefused.

    The certificate must be the organisation's current one, replaced by no signed decision and held by no other
    case; the hold (Application.reissue_claim) is unique in the database among open and issued cases. With
    `lock` (signing), the certificate's row is locked first, so of two signatories replacing it the second
    waits and then finds it replaced.
    """
    previous = certificate_being_reissued(application)
    if previous is None:
        raise ReissueRefused(reissue_obstacle(application) or {"code": "unknown", "number": certificate_number(
            application.reissue_certificate_number)})
    number = previous.number
    if lock:
        lock_for_update(previous)  # SQLite: may begin the transaction afresh; everything is read again below
    if is_replaced(previous) or claim_holder(number, excluding=application.id) is not None:
        raise ReissueRefused(reissue_obstacle(application) or {"code": "replaced", "number": number, "by": ""})
    if application.reissue_claim != number:
        application.reissue_claim = number
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:  # another case took it between the check and now (uq_application_reissue_claim)
            db.session.rollback()
            raise ReissueRefused({"code": "claimed", "number": number, "case": ""}) from None
    return previous


def find_by_number(number: str) -> Decision | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(Decision).filter_by(number=number, status=SIGNED))


def find_complaint_decision(number: str):
    """The authority's signed decision on a complaint (п.19) with this number, or None (complaints, above this
    domain, registers the finder: register_complaint_decisions)."""
    number = (number or "").strip().upper()
    if not number.startswith("QC-") or not _complaint_decisions:
        return None
    return _complaint_decisions[0](number)


_complaint_decisions: list = []


def register_complaint_decisions(finder) -> None:
    """`finder(number)` gives the complaint whose signed decision has this (upper-case, "QC-…") number, or None."""
    _complaint_decisions[:] = [finder]


def is_current(decision: Decision, today: date | None = None) -> bool:
    """A certificate is current from its issue to the end of its last valid day, unless a re-issued one replaced it."""
    today = today or today_local()
    return (decision.kind == CERTIFICATE and decision.issued_on <= today <= decision.valid_until
            and not is_replaced(decision))


# --- the outbox's re-check of a certificate's expiry reminder -----------------------------

def expiry_reminder_gone(message, now: datetime) -> str | None:
    """Why a certificate's expiry reminder due now is no longer sent (None: it is); registered with the outbox."""
    decision = db.session.get(Decision, message.context.get("decision_id"))
    if decision is None or decision.status != SIGNED or decision.application.status != CERTIFICATE_ISSUED:
        return "the certificate is no longer in force"
    if decision.valid_until is None or decision.valid_until < now.astimezone(ALMATY).date():
        return "the certificate has expired"
    later, holder = aliased(Decision), aliased(Application)
    replaced = db.session.scalar(select(exists().where(
        later.application_id == holder.id, holder.bin == decision.application.bin, later.kind == CERTIFICATE,
        later.status == SIGNED, later.id != decision.id, later.signed_at > decision.signed_at)))
    return "a later certificate replaced it" if replaced else None


worker.register_recheck("certificate.expiry_reminder", expiry_reminder_gone)

review.register_reissue_incomplete(draft_reissue_incomplete)
