"""The portal's use of signatures: checking uploads, one-time log-in challenges, signed applications,
and the acts an official signs with their own key (the final decision, the authority's decision).
"""
from __future__ import annotations

from copy import deepcopy
import logging
import os
import re
import secrets
from datetime import timedelta

from flask import current_app
from lxml import etree
from sqlalchemy import delete, update

from portal.core.clock import now_utc
from portal.events import services as events
from portal.extensions import db
from portal.signatures import application_xml, schema
from portal.signatures.models import LoginChallenge, Signature
from portal.signatures.report import Indication, SignatureRefused, SubIndication, ValidationReport
from portal.signatures.truststore import TrustStore, TrustStoreError
from portal.signatures.verify import verify
from portal.signatures.xmlparse import parse

log = logging.getLogger(__name__)

CHALLENGE_NS = "urn:tyndau:login:1"
CHALLENGE_ROOT = f"{{{CHALLENGE_NS}}}loginChallenge"
_NONCE = re.compile(r"^[0-9a-f]{64}$")


def check(data: bytes, *, purpose: str = "sign", expect_bin: str | None = None) -> ValidationReport:
    """Verify against the configured TRUST_STORE; an unreadable store is an INDETERMINATE report."""
    try:
        store = TrustStore.load(current_app.config["TRUST_STORE"])
    except TrustStoreError as exc:
        log.error("signatures cannot be checked: %s", exc)
        return ValidationReport(Indication.INDETERMINATE, SubIndication.GENERIC,
                                "signature.trust_store_unavailable", now_utc().isoformat())
    return verify(data, store, expect_bin=expect_bin, purpose=purpose)


def check_or_refuse(data: bytes, **kwargs) -> ValidationReport:
    """check(), raising SignatureRefused unless the verdict is TOTAL_PASSED."""
    report = check(data, **kwargs)
    if not report.passed:
        raise SignatureRefused(report.message_key, report)
    return report


def dev_pki_dir() -> str | None:
    """The development PKI's folder, for the "without NCALayer" hints; None in production."""
    if current_app.config["TYNDAU_ENV"] == "production":
        return None
    return os.path.dirname(os.path.normpath(current_app.config["TRUST_STORE"]))


def inspect(data: bytes) -> Signature:
    """The public check of any signed document: an unsaved Signature row carrying the report."""
    return Signature.from_report(check(data), data)


def record(application, purpose: str, document: bytes, report: ValidationReport, actor=None) -> Signature:
    """Keep a signed document of a case with its report (the caller commits)."""
    signature = Signature.from_report(report, document, purpose, application=application, uploaded_by=actor)
    db.session.add(signature)
    events.record(application, "signature.verified", actor=actor, purpose=purpose, indication=report.indication,
                  flagged=signature.flagged)
    return signature


# --- log-in with EDS: one-time challenges ----------------------------------------------------

def challenge_lifetime() -> timedelta:
    return timedelta(seconds=current_app.config.get("EDS_CHALLENGE_SECONDS", 300))


def issue_challenge() -> LoginChallenge:
    """A fresh nonce valid for a few minutes; long-expired ones are cleared on the way."""
    now = now_utc()
    db.session.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < now - timedelta(days=1)))
    challenge = LoginChallenge(nonce=secrets.token_hex(32), issued_at=now, expires_at=now + challenge_lifetime())
    db.session.add(challenge)
    db.session.flush()
    return challenge


def open_challenge(nonce: str | None) -> LoginChallenge | None:
    """The challenge with this nonce while it can still be signed (unused, a minute or more left)."""
    if not nonce or not _NONCE.match(nonce):
        return None
    challenge = db.session.scalar(db.select(LoginChallenge).filter_by(nonce=nonce))
    if challenge is None or challenge.used_at is not None or challenge.expires_at < now_utc() + timedelta(minutes=1):
        return None
    return challenge


def challenge_xml(challenge: LoginChallenge) -> bytes:
    """The document to sign with the authentication key."""
    root = etree.Element(CHALLENGE_ROOT, nsmap={None: CHALLENGE_NS})
    for tag, value in (("nonce", challenge.nonce), ("issuedAt", challenge.issued_at.isoformat()),
                       ("expiresAt", challenge.expires_at.isoformat()),
                       ("purpose", "Log in to the Tyndau portal")):
        etree.SubElement(root, f"{{{CHALLENGE_NS}}}{tag}").text = value
    return application_xml.XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False,
                                                            pretty_print=True)


def consume_challenge(report: ValidationReport, session_nonce: str | None) -> LoginChallenge:
    """Use the challenge a verified log-in document carries, once; SignatureRefused otherwise."""
    root = report.content.getroot() if report.content is not None else None
    if root is not None and root.tag == CHALLENGE_ROOT:
        # Nothing outside the challenge's four fields is signed in (issue 13, item 4).
        schema.refuse_unless_valid("challenge", root, report)
    nonces = root.findall(f"{{{CHALLENGE_NS}}}nonce") if root is not None and root.tag == CHALLENGE_ROOT else []
    nonce = (nonces[0].text or "").strip() if len(nonces) == 1 else ""
    if not _NONCE.match(nonce):
        raise SignatureRefused("challenge.not_a_challenge", report)
    now = now_utc()
    used = db.session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.nonce == nonce, LoginChallenge.used_at.is_(None), LoginChallenge.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    challenge = db.session.scalar(db.select(LoginChallenge).filter_by(nonce=nonce)
                                  .execution_options(populate_existing=True))
    if used != 1:
        if challenge is None:
            raise SignatureRefused("challenge.unknown", report)
        raise SignatureRefused("challenge.used" if challenge.used_at is not None else "challenge.expired", report)
    if nonce != session_nonce:
        raise SignatureRefused("challenge.other_session", report)
    return challenge


# --- a signed application --------------------------------------------------------------------

def application_document(application) -> bytes:
    """The Appendix 1 data of the draft as the XML to sign."""
    return application_xml.build(application, now_utc())


def verify_application(application, data: bytes) -> ValidationReport:
    """The report of a signed application that is the applicant's and says what the draft says."""
    report = check_or_refuse(data, purpose="sign", expect_bin=application.organization.bin)
    paths = application_xml.differences(report.content, application)
    if paths is None:
        raise SignatureRefused("application.not_application", report)
    if paths:
        raise SignatureRefused("application.mismatch", report,
                               fields=", ".join(application_xml.section_names(paths)))
    return report


# --- an act signed by an official with their own key (п.11, п.19) ---------------------------

# Who may sign an act for the body: the first head or a person with the right to sign; an employee,
# an HR or a financial officer's certificate does not carry that right.
OFFICIAL_ROLES = ("first_head", "signing_right")


def verify_official(data: bytes, official, *, body_bin: str | None, expected: bytes) -> ValidationReport:
    """The report of an act signed by `official` themselves, for their body, over exactly `expected`.

    In order: the signature and the certificate (a signing key: an authentication key is refused); the
    certificate is the official's (IIN of the account); it is their body's (BIN); it carries the right to
    sign; and what was signed is, canonically, the document the portal prepares now. Raises SignatureRefused.
    """
    if not official.iin:
        raise SignatureRefused("official.no_iin")
    report = check_or_refuse(data, purpose="sign")
    signer = report.signer
    if signer.iin != official.iin:
        raise SignatureRefused("official.not_yours", report)
    if not body_bin or signer.bin != body_bin:
        raise SignatureRefused("official.other_body", report)
    if signer.role not in OFFICIAL_ROLES:
        raise SignatureRefused("official.no_signing_right", report)
    if not same_document(report.content, expected):
        raise SignatureRefused("official.document_changed", report)
    return report


def _canonical(tree) -> bytes:
    """C14N of a document, without the white space between elements (the portal's acts have no mixed content,
    so only NCALayer's or an editor's line breaks could be there)."""
    root = deepcopy(tree.getroot() if hasattr(tree, "getroot") else tree)
    for element in root.iter():
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(root, method="c14n")


def same_document(content, expected: bytes) -> bool:
    """Whether the signed content (signature stripped) is the document the portal built."""
    return content is not None and _canonical(content) == _canonical(parse(expected))


def signer_record(report: ValidationReport, official, signed_at) -> dict:
    """Who signed, as the certificate says (plus the position the account holds), kept with the act."""
    signer = report.signer
    return {
        "name": " ".join(part for part in (signer.common_name, signer.given_name) if part),
        "iin": signer.iin, "bin": signer.bin, "organization": signer.organization, "role": signer.role,
        # НУЦ РК certificates carry no title: the position is the one the account holds at signing.
        "position": getattr(official, "position", "") or "",
        "serial": signer.certificate_serial, "issuer": signer.issuer,
        "valid_from": signer.not_before, "valid_until": signer.not_after,
        "signed_at": signed_at.isoformat(),
    }
