"""What was signed, in words: every element, attribute and text of a signed document, as the staff read it.

Generated from the verified content of the stored document (signature, comments and PIs removed, as in
xmlparse.signed_content), never from the portal's own copy of the data, so nothing that was signed is
hidden: a field the portal does not know is shown under its XML name, and text found between elements
(which the schemas refuse today, but a document kept from before may carry) is shown where it stands.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select

from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l

APPLICATION = "urn:tyndau:application:1"
POSITION = "urn:tyndau:position:1"
COMPLAINT = "urn:tyndau:complaint:1"
LOGIN = "urn:tyndau:login:1"

# (namespace, "parent/name" or "name" or "@attribute") -> label; the most specific key wins.
LABELS = {
    (APPLICATION, "application"): _l("Application"),
    (APPLICATION, "@draft"): _l("Draft number"),
    (APPLICATION, "@kind"): _l("What do you apply for"),
    (APPLICATION, "applicant"): _l("Applicant"),
    (APPLICATION, "bin"): _l("BIN"),
    (APPLICATION, "applicant/name"): _l("Full name of the legal entity"),
    (APPLICATION, "legalAddress"): _l("Legal address"),
    (APPLICATION, "pool"): _l("Digital mining pool"),
    (APPLICATION, "pool/name"): _l("Name of the digital mining pool"),
    (APPLICATION, "mainComplex"): _l("Main hardware-software complex"),
    (APPLICATION, "backupComplex"): _l("Backup hardware-software complex"),
    (APPLICATION, "@position"): _l("Position in the list"),
    (APPLICATION, "settlement"): _l("Settlement"),
    (APPLICATION, "address"): _l("Address"),
    (APPLICATION, "channel"): _l("Communication provider of a dedicated channel"),
    (APPLICATION, "@n"): _l("Channel"),
    (APPLICATION, "conditions"): _l("Conditions of accreditation"),
    (APPLICATION, "support24x7"): _l("The pool's information system has 24/7 technical support and client requests"),
    (APPLICATION, "uiLanguages"): _l("Languages of the pool's user interface"),
    (APPLICATION, "language"): _l("Language"),
    (APPLICATION, "securityTestAct"): _l("Information-security test act"),
    (APPLICATION, "@number"): _l("Number"),
    (APPLICATION, "@date"): _l("Date"),
    (APPLICATION, "stateServiceIntegration"): _l("The pool is integrated with the state service for control of "
                                                 "access to personal data"),
    (APPLICATION, "consents"): _l("Consents"),
    (APPLICATION, "secretsProtectedByLaw"): _l("Consent to the use of information constituting secrets protected "
                                               "by law"),
    (APPLICATION, "personalData"): _l("Consent to the collection and processing of personal data"),
    (APPLICATION, "statements"): _l("The request and the declaration of Appendix 1"),
    (APPLICATION, "request"): _l("The request"),
    (APPLICATION, "declaration"): _l("The declaration that the information and the documents are true and valid"),
    (APPLICATION, "@lang"): _l("Language"),
    (APPLICATION, "reissue"): _l("Re-issuance of the accreditation certificate"),
    (APPLICATION, "certificateNumber"): _l("Number of the certificate to re-issue"),
    (APPLICATION, "reason"): _l("Reason for re-issuance"),
    (APPLICATION, "preparedAt"): _l("Prepared by the portal at"),
    (POSITION, "position"): _l("Position on the preliminary decision"),
    (POSITION, "@case"): _l("Case number"),
    (POSITION, "text"): _l("Text of the position"),
    (COMPLAINT, "complaint"): _l("Complaint"),
    (COMPLAINT, "@case"): _l("Case number"),
    (COMPLAINT, "subject"): _l("Subject of the complaint"),
    (COMPLAINT, "@ref"): _l("What it is about (reference)"),
    (COMPLAINT, "addressee"): _l("Addressee"),
    (COMPLAINT, "demands"): _l("What you ask for"),
    (COMPLAINT, "arguments"): _l("Why: the facts and your arguments"),
    (LOGIN, "loginChallenge"): _l("Sign-in document"),
    (LOGIN, "nonce"): _l("One-time code"),
    (LOGIN, "issuedAt"): _l("Issued at"),
    (LOGIN, "expiresAt"): _l("Valid until"),
    (LOGIN, "purpose"): _l("Purpose"),
}
# Fields holding true/false: shown as yes/no (the exact value stays in the signed XML).
FLAGS = {(APPLICATION, name) for name in ("support24x7", "stateServiceIntegration", "secretsProtectedByLaw",
                                          "personalData")}


@dataclass
class Field:
    """One element of the signed document: its label, attributes, and its text and children in order."""

    name: str  # the XML name as written (namespace shown when it is not the document's)
    label: object  # a lazy translated label, or None for a name the portal does not know
    attributes: list = field(default_factory=list)  # [(label or None, name, value)]
    items: list = field(default_factory=list)  # Field or str (text), in document order
    leaf: bool = True  # no child elements: items hold at most its text


def _name(qname: etree.QName, namespace: str | None) -> str:
    return qname.localname if qname.namespace == namespace else f"{{{qname.namespace or ''}}}{qname.localname}"


def _label(namespace: str | None, parent: str | None, key: str):
    if parent:
        found = LABELS.get((namespace, f"{parent}/{key}"))
        if found is not None:
            return found
    return LABELS.get((namespace, key))


def _value(namespace, qname: etree.QName, text: str) -> str:
    if (qname.namespace, qname.localname) in FLAGS and text in ("true", "false"):
        return _("yes") if text == "true" else _("no")
    return text


def _field(element, namespace: str | None, parent: str | None) -> Field:
    qname = etree.QName(element)
    known = qname.namespace == namespace
    node = Field(name=_name(qname, namespace),
                 label=_label(namespace, parent, qname.localname) if known else None)
    for attribute, value in element.attrib.items():
        aq = etree.QName(attribute)
        label = _label(namespace, None, f"@{aq.localname}") if aq.namespace is None else None
        node.attributes.append((label, _name(aq, None), value))
    children = [child for child in element if isinstance(child.tag, str)]
    node.leaf = not children
    if node.leaf:
        node.items.append(_value(namespace, qname, element.text or ""))
        return node
    if element.text and element.text.strip():
        node.items.append(element.text)
    for child in children:
        node.items.append(_field(child, namespace, qname.localname if known else None))
        if child.tail and child.tail.strip():
            node.items.append(child.tail)
    return node


def fields(document: bytes) -> Field | None:
    """Every field of a stored signed document, from its signed content; None if it cannot be read."""
    from portal.signatures.xmlparse import FormatError, parse, signed_content

    try:
        root = signed_content(parse(document)).getroot()
    except FormatError:
        return None
    return _field(root, etree.QName(root).namespace, None)


def of_case(application) -> dict[int, Field | None]:
    """The signed fields of each signature of a case, by signature id: one query for all the documents."""
    from portal.extensions import db
    from portal.signatures.models import Signature

    rows = db.session.execute(select(Signature.id, Signature.document)
                              .where(Signature.application_id == application.id)).all()
    return {signature_id: fields(document) for signature_id, document in rows}


def as_text(node: Field | None, depth: int = 0) -> str:
    """The fields as indented plain text (the readable rendering kept in the archive)."""
    if node is None:
        return _("The signed document cannot be read.") + "\n"
    pad = "  " * depth
    title = f"{node.label} [{node.name}]" if node.label is not None else f"[{node.name}]"
    lines = []
    if node.leaf:
        lines.append(f"{pad}{title}: {_indent(node.items[0] if node.items else '', pad)}")
    else:
        lines.append(f"{pad}{title}")
    for label, name, value in node.attributes:
        attribute = f"{label} [@{name}]" if label is not None else f"[@{name}]"
        lines.append(f"{pad}  {attribute}: {_indent(value, pad + '  ')}")
    if not node.leaf:
        for item in node.items:
            if isinstance(item, Field):
                lines.append(as_text(item, depth + 1).rstrip("\n"))
            else:
                lines.append(f"{pad}  ({_('text outside the fields')}): {_indent(item, pad + '  ')}")
    return "\n".join(lines) + "\n"


def _indent(text: str, pad: str) -> str:
    return text.replace("\n", "\n" + pad + "    ")
