"""A complaint as an XML document to sign with the organisation's EDS (issue 4, п.16).

<complaint xmlns="urn:tyndau:complaint:1" case="2026-000042">
  <subject ref="deadline:12"/>
  <addressee>provider</addressee>
  <demands>…</demands>
  <arguments>…</arguments>
</complaint>

What the portal files is read from the signed content only (see signatures.verify), and only from a
document that follows the schema (portal/signatures/schemas/complaint.xsd): one of each field, no text
or element outside them, so what staff are shown is all that was signed.
"""
from __future__ import annotations

from lxml import etree

from portal.core.xmltext import sub_element
from portal.signatures import schema

NS = "urn:tyndau:complaint:1"
FIELDS = ("addressee", "demands", "arguments")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def build(application, values: dict) -> bytes:
    """The document to sign; `values` are the form's as typed, so what XML cannot carry is left out."""
    root = etree.Element(_q("complaint"), nsmap={None: NS})
    root.set("case", application.number or "")
    sub_element(root, NS, "subject", ref=values.get("subject"))
    for name in FIELDS:
        sub_element(root, NS, name, values.get(name) or "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read(content, application) -> dict | None:
    """The complaint's values from the signed content, or None if it is not a complaint on this case.

    A complaint that does not follow the schema is refused before anything is read from it (SignatureRefused).
    """
    root = content.getroot() if hasattr(content, "getroot") else content
    if root is None or root.tag != _q("complaint"):
        return None
    schema.refuse_unless_valid("complaint", root)
    if root.get("case") != application.number:
        return None
    subject = root.find(_q("subject"))
    values = {"subject": subject.get("ref", "") if subject is not None else ""}
    for name in FIELDS:
        element = root.find(_q(name))
        values[name] = (element.text or "").strip() if element is not None else ""
    return values
