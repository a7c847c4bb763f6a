"""The application of Appendix 1 as the XML document the applicant signs (schema: docs/application-xml.md).

build() writes a draft as XML; differences() checks a verified document's signed content against the
strict schema (schemas/application.xsd: nothing the portal cannot show) and compares it with the draft,
element by element, so nothing but what the portal holds can be signed in.
"""
from __future__ import annotations

from datetime import datetime, timezone

from lxml import etree

from portal.core.clock import ALMATY, now_utc
from portal.core.i18n import lazy_gettext as _l
from portal.core.xmltext import xml_text
from portal.law.services import law_for
from portal.signatures import schema
from rules import forms

NS = "urn:tyndau:application:1"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'  # double-quoted, as NCALayer writes it
ROOT = f"{{{NS}}}application"
# Informational only: when the portal wrote the document. Not compared.
IGNORED = {"preparedAt"}

# Where a difference lies -> the name the applicant knows; the first matching prefix wins.
SECTIONS = [
    ("@draft", _l("Draft number")),
    ("@kind", _l("What do you apply for")),
    ("applicant/bin", _l("BIN")),
    ("applicant/name", _l("Full name of the legal entity")),
    ("applicant/legalAddress", _l("Legal address")),
    ("pool/name", _l("Name of the digital mining pool")),
    ("pool/mainComplex", _l("Main hardware-software complex")),
    ("pool/backupComplex", _l("Backup hardware-software complexes")),
    ("conditions", _l("Conditions of accreditation")),
    ("consents", _l("Consents")),
    ("statements", _l("The request and the declaration of Appendix 1")),
    ("reissue", _l("Re-issuance of the accreditation certificate")),
]
OTHER = _l("other data")


def _bool(value) -> str:
    return "true" if value else "false"


def _add(parent, tag: str, text=None, **attrs):
    # The draft and the document compared with it (differences()) are both built here, so both are cleaned alike.
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _complex(parent, tag: str, complex_) -> None:
    element = _add(parent, tag, position=complex_.position)
    _add(element, "settlement", complex_.settlement)
    _add(element, "address", complex_.address)
    _add(element, "channel", complex_.provider_1, n=1)
    _add(element, "channel", complex_.provider_2, n=2)


# The languages in which the fixed sentences of Appendix 1 are signed, in the schema's order.
STATEMENT_LANGS = ("kk", "ru", "en")


def _law_code(application) -> str:
    return law_for(application).code


def statements(application, day) -> dict[str, dict[str, str]]:
    """Appendix 1's request and declaration in kk, ru and en as the portal words them for this draft.

    The texts are the form's own (rules/data/forms): the applicant signs them, and a document whose sentences
    differ from these is refused by the comparison with the draft. `day` is the declaration's date (the day the
    portal prepared the document, Almaty time).
    """
    code = _law_code(application)
    verb = "verb_reissue" if application.kind == "reissue" else "verb_accreditation"
    out: dict[str, dict[str, str]] = {"request": {}, "declaration": {}}
    for lang in STATEMENT_LANGS:
        applicant = forms.line("appendix_1", "applicant", lang, code, name=application.legal_name, bin=application.bin)
        out["request"][lang] = forms.line("appendix_1", "request", lang, code,
                                          verb=forms.line("appendix_1", verb, lang, code), applicant=applicant)
        out["declaration"][lang] = forms.line("appendix_1", "declaration", lang, code,
                                              date=forms.date("appendix_1", day, lang, code))
    return out


def _local_day(moment: datetime):
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(ALMATY).date()


def tree(application, prepared_at: datetime | None = None) -> etree._Element:
    """The draft as an element tree in the schema's order (the declaration dated the day of `prepared_at`)."""
    root = etree.Element(ROOT, {"draft": str(application.id), "kind": application.kind}, nsmap={None: NS})
    applicant = _add(root, "applicant")
    _add(applicant, "bin", application.bin)
    _add(applicant, "name", application.legal_name)
    _add(applicant, "legalAddress", application.legal_address)
    pool = _add(root, "pool")
    _add(pool, "name", application.pool_name)
    if application.main_complex is not None:
        _complex(pool, "mainComplex", application.main_complex)
    for backup in application.backup_complexes:
        _complex(pool, "backupComplex", backup)
    conditions = _add(root, "conditions")
    _add(conditions, "support24x7", _bool(application.support_24_7))
    languages = _add(conditions, "uiLanguages")
    for code in ("kk", "ru", "en"):
        if code in application.ui_language_set:
            _add(languages, "language", code)
    _add(conditions, "securityTestAct", number=application.security_act_number,
         date=application.security_act_date.isoformat() if application.security_act_date else "")
    _add(conditions, "stateServiceIntegration", _bool(application.state_service_integration))
    consents = _add(root, "consents")
    _add(consents, "secretsProtectedByLaw", _bool(application.consent_secrets))
    _add(consents, "personalData", _bool(application.consent_personal_data))
    # Appendix 1: what the applicant asks for and the declaration that the information is true, as signed text.
    texts = statements(application, _local_day(prepared_at or now_utc()))
    fixed = _add(root, "statements")
    for tag in ("request", "declaration"):
        for lang in STATEMENT_LANGS:
            _add(fixed, tag, texts[tag][lang], lang=lang)
    if application.kind == "reissue":
        reissue = _add(root, "reissue")
        _add(reissue, "certificateNumber", application.reissue_certificate_number)
        _add(reissue, "reason", application.reissue_reason)
    if prepared_at is not None:
        _add(root, "preparedAt", prepared_at.isoformat())
    return root


def build(application, prepared_at: datetime) -> bytes:
    """The document to sign, UTF-8 with the declaration NCALayer expects."""
    return XML_DECLARATION + etree.tostring(tree(application, prepared_at), encoding="UTF-8",
                                            xml_declaration=False, pretty_print=True)


def _flatten(element, path: str, out: dict) -> None:
    for name, value in element.attrib.items():
        out[f"{path}@{name}" if not path else f"{path}/@{name}"] = value
    counts: dict[str, int] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        local = qname.localname if qname.namespace == NS else f"{{{qname.namespace}}}{qname.localname}"
        if not path and local in IGNORED:
            continue
        index = counts[local] = counts.get(local, 0) + 1
        _flatten(child, f"{path}/{local}[{index}]" if path else f"{local}[{index}]", out)
    if len(element) == 0:
        out[f"{path}#text"] = (element.text or "").strip()


def _data(root) -> dict[str, str]:
    out: dict[str, str] = {}
    _flatten(root, "", out)
    return out


def differences(signed, application) -> list[str] | None:
    """Paths where the signed content differs from the draft; None if it is not an application at all.

    signed: the report's content (an lxml tree with the signature, comments and PIs removed).
    An application that does not follow the schema is refused first (SignatureRefused "document.not_as_schema"):
    preparedAt, which is not compared, must hold a date and nothing else.
    """
    root = signed.getroot() if hasattr(signed, "getroot") else signed
    if root is None or root.tag != ROOT:
        return None
    schema.refuse_unless_valid("application", root)
    # The declaration is dated the day the portal prepared the document: the draft is written again for that day.
    got, want = _data(root), _data(tree(application, _prepared_at(root)))
    return sorted(key for key in got.keys() | want.keys() if got.get(key) != want.get(key))


def _prepared_at(root) -> datetime | None:
    """The document's preparedAt (the schema made it an xs:dateTime), or None if it cannot be read."""
    found = root.find(f"{{{NS}}}preparedAt")
    try:
        return datetime.fromisoformat((found.text or "").strip().replace("Z", "+00:00")) if found is not None else None
    except ValueError:
        return None


def section_names(paths: list[str]) -> list[str]:
    """The applicant's names of the parts where `paths` lie, each once, in the schema's order."""
    names = []
    for path in paths:
        label = next((label for prefix, label in SECTIONS if _under(path.split("#")[0], prefix)), OTHER)
        if label not in names:
            names.append(label)
    order = [label for _p, label in SECTIONS] + [OTHER]
    return [str(label) for label in sorted(names, key=order.index)]


def _under(path: str, prefix: str) -> bool:
    bare = "/".join(part.split("[")[0] for part in path.split("/"))
    return bare == prefix or bare.startswith(prefix + "/") or bare.startswith(prefix + "@")
