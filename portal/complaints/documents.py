"""The authority's decision on a complaint as the XML document it signs (п.19, п.20)."""
from __future__ import annotations

from lxml import etree

from portal.core.clock import ALMATY
from portal.core.xmltext import sub_element

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
    """Everything the decision says, so that the signature covers all of it.

    Stored text may hold characters XML cannot carry (typed before the forms dropped them): they are
    left out here, or the decision could never be signed.
    """
    root = etree.Element(f"{{{NS}}}complaintDecision", nsmap={None: NS})
    root.set("number", complaint.decision_number or "")
    root.set("complaint", complaint.number or "")
    root.set("case", complaint.application.number or "")
    root.set("decided", complaint.decided_at.astimezone(ALMATY).date().isoformat())
    root.set("outcome", complaint.outcome or "")
    sub_element(root, NS, "applicant", complaint.application.legal_name, bin=complaint.application.bin)
    sub_element(root, NS, "demands", complaint.demands)
    sub_element(root, NS, "reasons", complaint.reasons)
    if complaint.remedy:
        remedy = sub_element(root, NS, "remedy", complaint.remedy)
        if complaint.remedy_due:
            remedy.set("due", complaint.remedy_due.isoformat())
    court = sub_element(root, NS, "court")
    for lang, text in COURT_NOTICE.items():
        sub_element(court, NS, "text", text, lang=lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
