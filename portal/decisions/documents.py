"""The decision as the XML document the provider signs (Appendix 3 or 4 in three languages)."""
from __future__ import annotations

from lxml import etree

from portal.core.xmltext import sub_element

NS = "urn:tyndau:decision:1"


def decision_xml(decision) -> bytes:
    """Everything the printed form says, so the signature covers all of it.

    Stored text may hold characters XML cannot carry (typed before the forms dropped them): they are
    left out here, or the decision could never be signed.
    """
    root = etree.Element(f"{{{NS}}}decision", nsmap={None: NS})
    root.set("kind", decision.kind)
    root.set("number", decision.number)
    root.set("issued", decision.issued_on.isoformat())
    if decision.valid_until:
        root.set("validUntil", decision.valid_until.isoformat())
    root.set("case", decision.application.number or "")
    content = decision.content
    if content.get("refusal"):  # п.12: "further_consideration", the title of the Appendix 4 document
        root.set("refusal", content["refusal"])
    for name in ("bin", "legal_name", "legal_address", "pool_name", "location", "head", "replaces"):
        if content.get(name):
            sub_element(root, NS, name.replace("_", "-"), content[name])
    provider = sub_element(root, NS, "provider")
    for lang, text in content["provider"].items():
        sub_element(provider, NS, "name", text, lang=lang)
    for ground in content.get("grounds", []):
        element = sub_element(root, NS, "ground", number=ground["number"], paragraph=ground["paragraph"])
        for lang, text in ground["text"].items():
            sub_element(element, NS, "text", text, lang=lang)
        if ground.get("reason"):
            sub_element(element, NS, "reason", ground["reason"])
        for lang, text in (ground.get("reasoning") or {}).items():
            sub_element(element, NS, "reasoning", text, lang=lang)
        if ground.get("stands"):
            sub_element(element, NS, "stands", ground["stands"])
    if content.get("hearing"):
        hearing = dict(content["hearing"])
        position = hearing.pop("position", None)
        element = sub_element(root, NS, "hearing", **{k: str(v).lower() if isinstance(v, bool) else v
                                                     for k, v in hearing.items()})
        if position:
            sub_element(element, NS, "position", position)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
