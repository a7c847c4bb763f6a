"""The authority's decision on a complaint as the XML document it signs (п.19, п.20)."""
from __future__ import annotations

from lxml import etree

from portal.core.clock import ALMATY

NS = "urn:tyndau:complaint-decision:1"
# п.20: the decision says that the court is open after this pre-trial appeal.
COURT_NOTICE = {
    "ru": "Обжалование в суде допускается после обжалования в досудебном порядке (п.20 Правил), "
          "если иное не предусмотрено законом.",
    "kk": "Сотқа шағымдану сотқа дейінгі тәртіппен шағымданғаннан кейін жүргізіледі (Қағидалардың 20-тармағы), "
          "егер заңда өзгеше көзделмесе.",
    "en": "Recourse to court is possible after this pre-trial appeal (п.20 of the Rules), unless a law provides "
          "otherwise.",
}


def decision_xml(complaint) -> bytes:
    """Everything the decision says, so that the signature covers all of it."""
    root = etree.Element(f"{{{NS}}}complaintDecision", nsmap={None: NS})
    root.set("number", complaint.decision_number or "")
    root.set("complaint", complaint.number or "")
    root.set("case", complaint.application.number or "")
    root.set("decided", complaint.decided_at.astimezone(ALMATY).date().isoformat())
    root.set("outcome", complaint.outcome or "")
    etree.SubElement(root, f"{{{NS}}}applicant", bin=complaint.application.bin).text = complaint.application.legal_name
    etree.SubElement(root, f"{{{NS}}}demands").text = complaint.demands
    etree.SubElement(root, f"{{{NS}}}reasons").text = complaint.reasons
    if complaint.remedy:
        remedy = etree.SubElement(root, f"{{{NS}}}remedy")
        remedy.text = complaint.remedy
        if complaint.remedy_due:
            remedy.set("due", complaint.remedy_due.isoformat())
    court = etree.SubElement(root, f"{{{NS}}}court")
    for lang, text in COURT_NOTICE.items():
        etree.SubElement(court, f"{{{NS}}}text", lang=lang).text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
