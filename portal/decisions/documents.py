"""The decision as the XML document the provider signs (Appendix 3 or 4 in three languages)."""
from __future__ import annotations

from lxml import etree

NS = "urn:tyndau:decision:1"


def decision_xml(decision) -> bytes:
    """Everything the printed form says, so the signature covers all of it."""
    root = etree.Element(f"{{{NS}}}decision", nsmap={None: NS})
    root.set("kind", decision.kind)
    root.set("number", decision.number)
    root.set("issued", decision.issued_on.isoformat())
    if decision.valid_until:
        root.set("validUntil", decision.valid_until.isoformat())
    root.set("case", decision.application.number or "")
    content = decision.content
    for name in ("bin", "legal_name", "legal_address", "pool_name", "location", "head", "replaces"):
        if content.get(name):
            etree.SubElement(root, f"{{{NS}}}{name.replace('_', '-')}").text = content[name]
    provider = etree.SubElement(root, f"{{{NS}}}provider")
    for lang, text in content["provider"].items():
        etree.SubElement(provider, f"{{{NS}}}name", lang=lang).text = text
    for ground in content.get("grounds", []):
        element = etree.SubElement(root, f"{{{NS}}}ground", number=str(ground["number"]), paragraph=ground["paragraph"])
        for lang, text in ground["text"].items():
            etree.SubElement(element, f"{{{NS}}}text", lang=lang).text = text
        if ground.get("reason"):
            etree.SubElement(element, f"{{{NS}}}reason").text = ground["reason"]
    if content.get("hearing"):
        etree.SubElement(root, f"{{{NS}}}hearing", **{k: str(v) for k, v in content["hearing"].items()})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
