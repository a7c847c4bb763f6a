"""A certificate's standing: in force, or replaced by a re-issued one; whether a re-issuance may take it (п.12).

The register (portal/register/) lists what these say; the final decision's domain reads them when it drafts a
re-issuance, and the application's first step asks them through the hook the register registers
(applications.services.register_certificates).
"""
from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from portal.applications.models import CLAIM_RELEASED, REISSUE, Application
from portal.applications.services import certificate_number  # noqa: F401  (the register's form of a number)
from portal.core.i18n import gettext as _
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


# --- one re-issuance per certificate (п.12) --------------------------------------------------

def claim_holder(number: str, excluding: int | None = None) -> Application | None:
    """The case that holds the certificate `number` for re-issuance: open, or the one that re-issued it."""
    query = select(Application).where(Application.reissue_claim == number, Application.status.not_in(CLAIM_RELEASED))
    if excluding is not None:
        query = query.where(Application.id != excluding)
    return db.session.scalar(query.order_by(Application.id).limit(1))


def reissue_obstacle(application: Application) -> dict | None:
    """Why this re-issuance cannot replace the certificate it names, or None when it holds it or may take it.

    {"code": "unknown"} — no signed certificate of this number was issued to the organisation;
    {"code": "replaced", "by": <number>} — it has already been re-issued (only the current one can be);
    {"code": "claimed", "case": <case number>} — another of the organisation's re-issuances holds it now.
    """
    if application.kind != REISSUE:
        return None
    number = certificate_number(application.reissue_certificate_number)
    if application.reissue_claim and application.reissue_claim == number:
        # Held: nobody else can hold it (the partial index), so only a legacy double can have replaced it.
        previous = certificate_being_reissued(application)
        return None if previous is not None else {"code": "replaced", "number": number, "by": _replacement(number)}
    certificate = number and db.session.scalar(
        select(Decision).join(Application, Application.id == Decision.application_id).where(
            Decision.number == number, Decision.kind == CERTIFICATE, Decision.status == SIGNED,
            Application.organization_id == application.organization_id))
    if not certificate:
        return {"code": "unknown", "number": number}
    if is_replaced(certificate):
        return {"code": "replaced", "number": number, "by": _replacement(number)}
    holder = claim_holder(number, excluding=application.id)
    if holder is not None:
        return {"code": "claimed", "number": number, "case": holder.number or ""}
    return None


def _replacement(number: str) -> str:
    """The number of the certificate issued in place of `number`, if one was."""
    return db.session.scalar(
        select(Decision.number).join(Application, Application.id == Decision.application_id).where(
            Application.kind == REISSUE, func.upper(func.trim(Application.reissue_certificate_number)) == number,
            Decision.kind == CERTIFICATE, Decision.status == SIGNED).order_by(Decision.signed_at).limit(1)) or ""


def obstacle_sentence(obstacle: dict) -> str:
    """The obstacle for the page, in the reader's language."""
    if obstacle["code"] == "replaced":
        return _("Certificate %(number)s has already been re-issued (the certificate in force is %(by)s): only the "
                 "organisation's current certificate can be re-issued.", number=obstacle["number"],
                 by=obstacle.get("by") or "—")
    if obstacle["code"] == "claimed":
        return _("Certificate %(number)s is already being re-issued on application %(case)s, which is still "
                 "under consideration: one certificate is re-issued by one application at a time. Wait for its "
                 "decision.", number=obstacle["number"], case=obstacle.get("case") or "—")
    return _("No signed certificate numbered %(number)s was issued to this organisation: only its own "
             "certificate can be re-issued.", number=obstacle["number"])


# The ground of the refusal of further consideration of a re-issuance (п.12, second paragraph): the documents
# presented do not meet the Rules, and why, in the three languages the decision is issued in.
REISSUE_GROUND_TEXT = {
    "kk": "Ұсынылған құжаттардың куәлікті қайта ресімдеу үшін осы Қағидалардың талаптарына сәйкес келмеуі",
    "ru": "Несоответствие представленных документов требованиям настоящих Правил для переоформления свидетельства",
    "en": "The documents presented do not meet the requirements of the Rules for re-issuing the certificate",
}
_REISSUE_REASONING = {
    "replaced": {
        "kk": "Өтініште № {number} куәлік көрсетілген, ол бұрын қайта ресімделген: оның орнына № {by} куәлік "
              "берілген. Ұйымның қолданыстағы куәлігін ғана қайта ресімдеуге болады.",
        "ru": "В заявлении указано свидетельство № {number}, которое уже переоформлено: взамен него выдано "
              "свидетельство № {by}. Переоформить можно только действующее свидетельство организации.",
        "en": "The application names certificate No. {number}, which has already been re-issued: certificate "
              "No. {by} was issued in its place. Only the organisation's current certificate can be re-issued.",
    },
    "claimed": {
        "kk": "Өтініште көрсетілген № {number} куәлік әлі қаралып жатқан № {case} өтініш бойынша қайта "
              "ресімделуде. Бір куәлік бір шешіммен қайта ресімделеді: екінші шешім ұйымға екі қолданыстағы "
              "куәлік қалдырар еді.",
        "ru": "Свидетельство № {number}, указанное в заявлении, уже переоформляется по заявлению № {case}, "
              "которое ещё рассматривается. Одно свидетельство переоформляется одним решением: второе оставило "
              "бы организации два действующих свидетельства.",
        "en": "Certificate No. {number}, named in the application, is already being re-issued on application "
              "No. {case}, which is still under consideration. One certificate is re-issued by one decision: a "
              "second would leave the organisation two certificates in force.",
    },
    "unknown": {
        "kk": "Өтініште көрсетілген № {number} куәлік {name} ұйымына (БСН {bin}) берілмеген: ұйымның өз "
              "қолданыстағы куәлігін ғана қайта ресімдеуге болады.",
        "ru": "Свидетельство № {number}, указанное в заявлении, организации {name} (БИН {bin}) не выдавалось: "
              "переоформить можно только собственное действующее свидетельство организации.",
        "en": "Certificate No. {number}, named in the application, was not issued to {name} (BIN {bin}): only "
              "the organisation's own current certificate can be re-issued.",
    },
}


def reissue_ground(application: Application, obstacle: dict) -> dict:
    """The ground of the motivated refusal (Appendix 4) of a re-issuance that cannot replace its certificate."""
    values = {"number": obstacle["number"] or "—", "by": obstacle.get("by") or "—", "case": obstacle.get("case") or "—",
              "name": application.legal_name, "bin": application.bin}
    return {"number": 1, "paragraph": "п. 12", "text": dict(REISSUE_GROUND_TEXT), "reason": "",
            "reasoning": {lang: text.format(**values) for lang, text in _REISSUE_REASONING[obstacle["code"]].items()},
            "because": [f"reissue_{obstacle['code']}"]}
