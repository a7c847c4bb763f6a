"""The portal's use of signatures: checking uploads, one-time log-in challenges, signed applications.

Decisions (issue 5) plug in here: sign the decision's XML with signing.sign_xml and the
provider's key, check() it, then record(application, "decision", document, report, actor).
"""
from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import timedelta

from flask import current_app
from lxml import etree
from sqlalchemy import delete, update

from portal.core.clock import now_utc
from portal.extensions import db
from portal.signatures import application_xml
from portal.signatures.models import LoginChallenge, Signature
from portal.signatures.report import Indication, SubIndication, ValidationReport
from portal.signatures.truststore import TrustStore, TrustStoreError
from portal.signatures.verify import verify

log = logging.getLogger(__name__)

CHALLENGE_NS = "urn:tyndau:login:1"
CHALLENGE_ROOT = f"{{{CHALLENGE_NS}}}loginChallenge"
_NONCE = re.compile(r"^[0-9a-f]{64}$")


class SignatureRefused(Exception):
    """A signed document the portal does not accept; key is a messages.SENTENCES key."""

    def __init__(self, key: str, report: ValidationReport | None = None, **params):
        super().__init__(key)
        self.key, self.report, self.params = key, report, params


def check(data: bytes, *, purpose: str = "sign", expect_bin: str | None = None) -> ValidationReport:
    """Verify against the configured TRUST_STORE; an unreadable store is an INDETERMINATE report."""
    try:
        store = TrustStore.load(current_app.config["TRUST_STORE"])
    except TrustStoreError as exc:
        log.error("signatures cannot be checked: %s", exc)
        return ValidationReport(Indication.INDETERMINATE, SubIndication.GENERIC,
                                "signature.trust_store_unavailable", now_utc().isoformat())
    return verify(data, store, expect_bin=expect_bin, purpose=purpose)


class SigningUnavailable(RuntimeError):
    """The issuer's key is not configured, or its own signature does not verify."""


def sign_and_verify(xml: bytes, key_pair: tuple[bytes, bytes], issuer: str) -> tuple[bytes, ValidationReport]:
    """Sign an outgoing document with the issuer's key and verify it as anyone would before it leaves."""
    from portal.signatures.signing import sign_xml

    signed = sign_xml(xml, *key_pair)
    report = check(signed)
    if not report.passed:
        raise SigningUnavailable(f"the {issuer}'s own signature does not verify: {report.message_key}")
    return signed, report


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
    from portal.events import services as events

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
