"""What was signed, in words: every element, attribute and text of a signed document, as the staff read it.

Generated from the verified content of the stored document (signature, comments and PIs removed, as in
xmlparse.signed_content), never from the portal's own copy of the data, so nothing that was signed is
hidden: a field the portal does not know is shown under its XML name, and text found between elements
(which the schemas refuse today, but a document kept from before may carry) is shown where it stands.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from babel import Locale, UnknownLocaleError
from flask_babel import get_locale
from lxml import etree
from sqlalchemy import select

from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import cite, official_date, official_datetime
from portal.core.labels import has_label, label
from portal.extensions import db
from portal.signatures.models import Signature
from portal.signatures.xmlparse import FormatError, parse, signed_content

APPLICATION = "urn:tyndau:application:1"
POSITION = "urn:tyndau:position:1"
COMPLAINT = "urn:tyndau:complaint:1"
LOGIN = "urn:tyndau:login:1"
DECISION = "urn:tyndau:decision:1"
COMPLAINT_DECISION = "urn:tyndau:complaint-decision:1"

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
    (DECISION, "decision"): _l("Final decision"),
    (DECISION, "@kind"): _l("Kind"),
    (DECISION, "@number"): _l("Registration number"),
    (DECISION, "@issued"): _l("Issued"),
    (DECISION, "@validUntil"): _l("Valid until"),
    (DECISION, "@case"): _l("Case number"),
    (DECISION, "@refusal"): _l("Refusal of further consideration of the application"),
    (DECISION, "bin"): _l("BIN"),
    (DECISION, "legal-name"): _l("Full name of the legal entity"),
    (DECISION, "legal-address"): _l("Legal address"),
    (DECISION, "pool-name"): _l("Name of the digital mining pool"),
    (DECISION, "location"): _l("Location of the main hardware-software complex"),
    (DECISION, "head"): _l("Head of the legal entity"),
    (DECISION, "replaces"): _l("Number of the certificate to re-issue"),
    (DECISION, "provider"): _l("Service provider"),
    (DECISION, "provider/name"): _l("Name"),
    (DECISION, "@lang"): _l("Language"),
    (DECISION, "ground"): _l("Ground for refusal"),
    (DECISION, "ground/@number"): _l("Number"),
    (DECISION, "ground/@paragraph"): _l("Paragraph of the Rules"),
    (DECISION, "ground/text"): _l("Text"),
    (DECISION, "reason"): _l("Reason:"),
    (DECISION, "reasoning"): _l("Reasoning"),
    (DECISION, "stands"): _l("Why the ground stands after the hearing:"),
    (DECISION, "hearing"): _l("Hearing"),
    (DECISION, "hearing/@waived"): _l("The applicant declined the hearing"),
    (DECISION, "hearing/@held_at"): _l("Held at"),
    (DECISION, "hearing/@attended"): _l("The applicant took part"),
    (DECISION, "hearing/position"): _l("The applicant's position:"),
    (COMPLAINT_DECISION, "complaintDecision"): _l("Decision on the complaint"),
    (COMPLAINT_DECISION, "@number"): _l("Registration number"),
    (COMPLAINT_DECISION, "@complaint"): _l("Complaint"),
    (COMPLAINT_DECISION, "@case"): _l("Case number"),
    (COMPLAINT_DECISION, "@decided"): _l("Date"),
    (COMPLAINT_DECISION, "@outcome"): _l("Outcome"),
    (COMPLAINT_DECISION, "applicant"): _l("Applicant"),
    (COMPLAINT_DECISION, "applicant/@bin"): _l("BIN"),
    (COMPLAINT_DECISION, "demands"): _l("What you ask for"),
    (COMPLAINT_DECISION, "reasons"): _l("Reasons"),
    (COMPLAINT_DECISION, "remedy"): _l("What the provider must do"),
    (COMPLAINT_DECISION, "remedy/@due"): _l("Date"),
    (COMPLAINT_DECISION, "court"): _l("Recourse to court"),
    (COMPLAINT_DECISION, "text"): _l("Text"),
    (COMPLAINT_DECISION, "@lang"): _l("Language"),
}
# Values that are codes of the portal, read by their labels (portal/core/labels.py): (namespace, key) -> kind.
NAMED_VALUES = {(APPLICATION, "@kind"): "application_kind", (DECISION, "@kind"): "decision_kind",
                (COMPLAINT, "addressee"): "addressee", (COMPLAINT_DECISION, "@outcome"): "complaint_outcome"}
CITATIONS = {(DECISION, "@paragraph")}  # citations of the Rules, written in the reader's language
LANGUAGE_KEYS = {"@lang", "language"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")


@dataclass
class Field:
    """One element of the signed document: its label, attributes, and its text and children in order."""

    name: str  # the XML name as written (namespace shown when it is not the document's)
    label: object  # a lazy translated label, or None for a name the portal does not know
    attributes: list = field(default_factory=list)  # [(label or None, name, value as signed, value as read)]
    items: list = field(default_factory=list)  # Field or str (text), in document order
    leaf: bool = True  # no child elements: items hold at most its text
    shown: str = ""  # a leaf's text as people read it (items[0] is the text as signed)
    lang: str | None = None  # the language the element says it is written in (its lang attribute)
    lang_name: str = ""  # that language's name in the reader's language


def _name(qname: etree.QName, namespace: str | None) -> str:
    return qname.localname if qname.namespace == namespace else f"{{{qname.namespace or ''}}}{qname.localname}"


def _label(namespace: str | None, parent: str | None, key: str):
    if parent:
        found = LABELS.get((namespace, f"{parent}/{key}"))
        if found is not None:
            return found
    return LABELS.get((namespace, key))


def readable(namespace: str | None, key: str, value: str) -> str:
    """A signed value as people read it: a code by its name, dates dd.MM.yyyy, true/false as yes/no, a language
    code as the language's name; anything else as signed. The page keeps the exact value beside it."""
    if (namespace, key) in CITATIONS:
        return cite(value)
    kind = NAMED_VALUES.get((namespace, key))
    if kind and has_label(value, kind):
        return str(label(value, kind))
    if ISO_DATETIME.fullmatch(value):
        try:
            return official_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if ISO_DATE.fullmatch(value):
        return official_date(value)
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    if key in LANGUAGE_KEYS:
        try:
            return Locale.parse(value).get_display_name(str(get_locale() or "kk")) or value
        except (ValueError, UnknownLocaleError):
            return value
    return value


def _field(element, namespace: str | None, parent: str | None) -> Field:
    qname = etree.QName(element)
    known = qname.namespace == namespace
    node = Field(name=_name(qname, namespace),
                 label=_label(namespace, parent, qname.localname) if known else None)
    for attribute, value in element.attrib.items():
        aq = etree.QName(attribute)
        known_attribute = known and aq.namespace is None
        name = f"@{aq.localname}"
        node.attributes.append((_label(namespace, qname.localname, name) if known_attribute else None,
                                _name(aq, None), value, readable(namespace if known_attribute else None, name, value)))
        if name == "@lang" and aq.namespace is None:
            node.lang, node.lang_name = value, readable(None, name, value)
    children = [child for child in element if isinstance(child.tag, str)]
    node.leaf = not children
    if node.leaf:
        node.items.append(element.text or "")
        node.shown = readable(namespace if known else None, qname.localname, element.text or "")
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
    try:
        root = signed_content(parse(document)).getroot()
    except FormatError:
        return None
    return _field(root, etree.QName(root).namespace, None)


def of_case(application) -> dict[int, Field | None]:
    """The signed fields of each signature of a case, by signature id: one query for all the documents."""
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
        lines.append(f"{pad}{title}: {_indent(_both(node.shown, node.items[0] if node.items else ''), pad)}")
    else:
        lines.append(f"{pad}{title}")
    for name_label, name, value, shown in node.attributes:
        attribute = f"{name_label} [@{name}]" if name_label is not None else f"[@{name}]"
        lines.append(f"{pad}  {attribute}: {_indent(_both(shown, value), pad + '  ')}")
    if not node.leaf:
        for item in node.items:
            if isinstance(item, Field):
                lines.append(as_text(item, depth + 1).rstrip("\n"))
            else:
                lines.append(f"{pad}  ({_('text outside the fields')}): {_indent(item, pad + '  ')}")
    return "\n".join(lines) + "\n"


def _both(shown: str, signed: str) -> str:
    return signed if shown == signed else f"{shown} ({_('as signed')}: {signed})"


def _indent(text: str, pad: str) -> str:
    return text.replace("\n", "\n" + pad + "    ")
