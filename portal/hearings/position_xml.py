"""The applicant's position on a preliminary refusal as an XML document to sign (п.10).

<position xmlns="urn:tyndau:position:1" case="2026-000042"><text>…</text></position>

Schema: portal/signatures/schemas/position.xsd; a signed position that does not follow it is refused.
"""
from __future__ import annotations

from lxml import etree

from portal.core.xmltext import sub_element
from portal.signatures import schema

NS = "urn:tyndau:position:1"


def build(application, text: str) -> bytes:
    """The document to sign; `text` is the position as typed, so what XML cannot carry is left out."""
    root = etree.Element(f"{{{NS}}}position", nsmap={None: NS})
    root.set("case", application.number or "")
    sub_element(root, NS, "text", text or "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read(content, application) -> str | None:
    """The position's text from the signed content, or None if it is not this case's position.

    A position that does not follow the schema is refused before anything is read from it (SignatureRefused).
    """
    root = content.getroot() if hasattr(content, "getroot") else content
    if root is None or root.tag != f"{{{NS}}}position":
        return None
    schema.refuse_unless_valid("position", root)
    if root.get("case") != application.number:
        return None
    element = root.find(f"{{{NS}}}text")
    text = (element.text or "").strip() if element is not None else ""
    return text or None
