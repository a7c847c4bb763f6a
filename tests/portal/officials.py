"""Signing as an official in tests: the demo people's own keys, and the acts signed with them (issue 13).

The development PKI of the tests keeps each demo person's keys in DIR/people/<username>/ (sign.*, auth.*);
issue() makes any other certificate under the same trusted CA (another role, another organisation).
"""
from __future__ import annotations

import functools
from pathlib import Path

from flask import current_app

from portal.signatures import oids
from portal.signatures.pki import cert_pem, issue_cert, key_pem, new_key, person_name
from portal.signatures.signing import sign_xml
from tests.conftest import csrf_token


def pki_dir() -> Path:
    return Path(current_app.config["TRUST_STORE"]).parent


def person(username: str) -> dict:
    """The demo person as the PKI knows them (portal.demo.data.people())."""
    from portal.demo.data import people

    return next(p for p in people() if p["username"] == username)


def keys_of(username: str, kind: str = "sign", algorithm: str = "rsa") -> tuple[bytes, bytes]:
    """(key PEM, certificate PEM) of the demo person's own key: kind "sign" or "auth", algorithm "rsa" or "gost"."""
    folder = pki_dir() / "people" / username
    if algorithm == "gost":
        folder = folder / "gost"
        return (folder / f"{kind}.key").read_bytes(), (folder / f"{kind}.pem").read_bytes()
    if (folder / f"{kind}.key").exists():
        return (folder / f"{kind}.key").read_bytes(), (folder / f"{kind}.pem").read_bytes()
    p = person(username)  # a PKI made without people=: the same certificate, issued here
    return issue(p["iin"], p["name"], p["bin"], p["organization"], p["role"], kind)


def issue(iin: str, name: str, bin: str | None, organization: str | None, role: str | None,
          kind: str = "sign") -> tuple[bytes, bytes]:
    """A certificate of the tests' trusted CA as НУЦ РК would issue it; role None = an individual."""
    return _issue(str(pki_dir()), iin, name, bin, organization, role, kind)


@functools.lru_cache(maxsize=None)
def _issue(directory: str, iin, name, bin, organization, role, kind) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    base = Path(directory)
    ca_key = load_pem_private_key((base / "ca" / "ca.key").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((base / "trust" / "ca.pem").read_bytes())
    if role is None:
        eku, policies = [oids.PURPOSE_EKU[kind], oids.ROLE_INDIVIDUAL], [oids.POLICY_INDIVIDUAL_SIGN]
    else:
        eku = [oids.PURPOSE_EKU[kind], oids.ROLE_LEGAL_ENTITY, oids.ROLE_OIDS[role]]
        policies = [oids.POLICY_LEGAL_SIGN if kind == "sign" else oids.POLICY_LEGAL_AUTH]
    key = new_key()
    cert = issue_cert(ca_key, ca_cert, person_name(iin, name, bin=bin, organization=organization), key.public_key(),
                      eku=eku, policies=policies, key_usage=kind)
    return key_pem(key), cert_pem(cert)


def signed_by(xml: bytes, username: str, kind: str = "sign") -> bytes:
    return sign_xml(xml, *keys_of(username, kind))


# --- the final decision (п.11) ---------------------------------------------------------------

def sign_decision(decision, signatory, keys: tuple[bytes, bytes] | None = None):
    """services.sign with the signatory's own key over the document of today (inside an app context)."""
    from portal.decisions import services as decisions
    from portal.extensions import db

    db.session.flush()  # a decision just drafted gets its id, which its number carries
    document = decisions.document_to_sign(decision)
    return decisions.sign(decision, signatory, sign_xml(document, *(keys or keys_of(signatory.username))))


def post_signed_decision(client, decision_id: int, signed: bytes):
    """What the page's button (or the upload) posts: the signed XML in signed_text."""
    token = csrf_token(client, f"/staff/decisions/{decision_id}")
    return client.post(f"/staff/decisions/{decision_id}", data={"csrf_token": token, "signed_text": signed.decode()})


def sign_decision_in_page(client, decision_id: int, keys: tuple[bytes, bytes] | None = None, username="signatory"):
    """Fetch the document to sign as NCALayer's button does, sign it with the key, post it."""
    xml = client.get(f"/staff/decisions/{decision_id}/document-to-sign.xml")
    assert xml.status_code == 200 and xml.headers["Content-Type"].startswith("application/xml")
    return post_signed_decision(client, decision_id, sign_xml(xml.data, *(keys or keys_of(username))))


# --- the authority's decision on a complaint (п.19) ------------------------------------------

def authority_document(client, complaint_id: int, values: dict):
    """POST the decision's fields to the XML endpoint, as the button does with xml_form."""
    token = csrf_token(client, f"/complaints/{complaint_id}")
    return client.post(f"/complaints/{complaint_id}/authority-decision.xml", data={**values, "csrf_token": token})


def post_authority_decision(client, complaint_id: int, values: dict, signed: bytes | None):
    token = csrf_token(client, f"/complaints/{complaint_id}")
    data = {**values, "csrf_token": token}
    if signed is not None:
        data["signed_text"] = signed.decode()
    return client.post(f"/complaints/{complaint_id}/authority-decision", data=data)


def decide_as_authority(client, complaint_id: int, values: dict, keys: tuple[bytes, bytes] | None = None,
                        username: str = "authority"):
    """Prepare the document from the fields, sign it with the official's key, post fields and signature."""
    document = authority_document(client, complaint_id, values)
    if document.status_code != 200:
        return document  # the page with the field errors
    return post_authority_decision(client, complaint_id, values, sign_xml(document.data, *(keys or keys_of(username))))
