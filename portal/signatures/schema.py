"""The strict schema of every document an applicant signs: what was signed is what the portal can show.

One XSD 1.0 per kind (schemas/*.xsd): no unknown or repeated elements, no text mixed among elements,
no text where the schema has none, no attribute the portal does not write. A signed document is checked
against its schema on the verified content (signature, comments and PIs already removed) before anything
is read from it or stored; a document the portal cannot show in full is refused (issue 13, item 4).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from portal.core.i18n import gettext as _
from portal.signatures.report import SignatureRefused

SCHEMAS = Path(__file__).with_name("schemas")
FILES = {
    "application": "application.xsd",
    "position": "position.xsd",
    "complaint": "complaint.xsd",
    "challenge": "login-challenge.xsd",
}
# xsi:type, xsi:nil, xsi:schemaLocation steer the validator itself: never part of a document the portal writes.
XSI = "http://www.w3.org/2001/XMLSchema-instance"
REFUSAL = "document.not_as_schema"

_loaded: dict[str, etree.XMLSchema] = {}
# One validator per kind for the whole process; lxml keeps its error log on the validator, so calls are serialised.
_lock = threading.Lock()


class NotAsSchema(ValueError):
    """The document has something its schema does not: where (line, element, attribute) and what, in words."""

    def __init__(self, kind: str, line: int | None, element: str, attribute: str, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.kind, self.line, self.element, self.attribute, self.reason = kind, line, element, attribute, reason

    def where(self) -> str:
        """The place and the fault as a translated phrase, e.g. 'line 7, element “demands”: ...'."""
        parts = []
        if self.line:
            parts.append(_("line %(line)d", line=self.line))
        if self.element:
            parts.append(_("element “%(name)s”", name=self.element))
        if self.attribute:
            parts.append(_("attribute “%(name)s”", name=self.attribute))
        place = ", ".join(parts)
        return f"{place}: {self.reason}" if place else self.reason


def _parser() -> etree.XMLParser:
    # The schema files are the portal's own, but read as strictly as anything else.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def schema(kind: str) -> etree.XMLSchema:
    """The compiled schema of a document kind, loaded once per process."""
    with _lock:
        if kind not in _loaded:
            document = etree.parse(str(SCHEMAS / FILES[kind]), _parser())
            _loaded[kind] = etree.XMLSchema(document)
        return _loaded[kind]


# libxml2's messages: "Element '{ns}name', attribute 'a': ..." / "Element '{ns}name': ...".
_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")
_ATTRIBUTE = re.compile(r"attribute '(?:\{[^}]*\})?([^']+)'")


def _reason(error) -> str:
    """What is wrong, in the reader's language, from libxml2's error type (its messages are English only)."""
    name, message = error.type_name, error.message
    if name == "SCHEMAV_ELEMENT_CONTENT":
        if "Missing child" in message:
            return _("a field of the document is missing")
        return _("an element the document does not have here (unknown, repeated or out of place)")
    if name == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
        return _("text mixed among the elements, where the document has none")
    if name in ("SCHEMAV_CVC_COMPLEX_TYPE_2_1", "SCHEMAV_CVC_ELT_3_2_1"):
        return _("content in an element that must be empty")
    if name == "SCHEMAV_CVC_TYPE_3_1_2" or "Element content is not allowed" in message:
        return _("elements inside a field that holds only text")
    if name.startswith("SCHEMAV_CVC_COMPLEX_TYPE_3_2"):
        return _("an attribute the document does not have")
    if name == "SCHEMAV_CVC_COMPLEX_TYPE_4":
        return _("a required attribute is missing")
    if name == "SCHEMAV_CVC_ELT_1":
        return _("not the document the portal prepared")
    if name in ("SCHEMAV_CVC_MAXLENGTH_VALID", "SCHEMAV_CVC_LENGTH_VALID"):
        return _("the text is longer than the form allows")
    return _("a value the document cannot hold")


def validate(kind: str, tree) -> None:
    """Check a document (tree or root element) against the schema of `kind`; NotAsSchema names the first fault."""
    root = tree.getroot() if hasattr(tree, "getroot") else tree
    for element in root.iter(tag=etree.Element):
        for name in element.attrib:
            if name.startswith(f"{{{XSI}}}"):
                raise NotAsSchema(kind, element.sourceline, etree.QName(element).localname,
                                  etree.QName(name).localname, _("an attribute the document does not have"))
    validator = schema(kind)
    with _lock:
        if validator.validate(root):
            return
        errors = list(validator.error_log)
    first = errors[0] if errors else None
    if first is None:
        raise NotAsSchema(kind, None, etree.QName(root).localname, "", _("a value the document cannot hold"))
    element = _ELEMENT.search(first.message)
    attribute = _ATTRIBUTE.search(first.message)
    raise NotAsSchema(kind, first.line or None, element.group(1) if element else "",
                      attribute.group(1) if attribute else "", _reason(first), first.message)


def refuse_unless_valid(kind: str, content, report=None) -> None:
    """validate(), as the refusal the upload field shows (SignatureRefused "document.not_as_schema")."""
    try:
        validate(kind, content)
    except NotAsSchema as exc:
        raise SignatureRefused(REFUSAL, report, where=exc.where()) from None
