"""No codes where people read (issue 16 item 2, issue 17 item 4): every code the portal produces has a name in
the registry of portal/core/labels.py, the names translated in kk and ru read translated, and the archive's event
log (events.pdf) and the staff pages name everything in words."""
from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from portal.accounts.models import User
from portal.applications import models as application_models
from portal.applications import services as applications
from portal.complaints import models as complaint_models
from portal.complaints import services as complaints
from portal.core.clock import now_utc
from portal.core.labels import has_label, label
from portal.decisions.models import CERTIFICATE, REFUSAL
from portal.extensions import db
from portal.hearings.models import METHODS
from portal.hearings.services import POSITION_DOCUMENT
from portal.review import services as review
from portal.signatures.messages import PURPOSES
from rules import grounds as rules_grounds
from rules.deadlines import PROCEDURES
from rules.law import load_seed_versions

PORTAL = Path(__file__).resolve().parents[2] / "portal"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def recorded_event_kinds() -> set[str]:
    """Every event kind a module of portal/ records: the literals of events.record()/pending() and the sweeper's."""
    kinds = set()
    for path in PORTAL.rglob("*.py"):
        if "demo" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"(?:events\.record|events\.pending|_event)\((.*?)\)", text, re.S):
            kinds.update(re.findall(r"\"([a-z_]+\.[a-z_]+)\"", call.group(1)))
    return kinds


def document_codes() -> set[str]:
    return {doc.code for law in load_seed_versions() for routes in law.documents.values()
            for documents in routes.values() for doc in documents.documents}


# kind -> the codes of the enum it names; "translated": the names were in the catalogs before this change.
ENUMS = {
    "status": (set(application_models.STATUSES), True),
    "application_kind": (set(application_models.KINDS), True),
    "route": (set(application_models.ROUTES), False),
    "deadline": ({spec.id for specs in PROCEDURES.values() for spec in specs} | {complaint_models.AUTHORITY_ORDER},
                 True),
    "event": (recorded_event_kinds(), False),
    "document": (document_codes() | {POSITION_DOCUMENT, "complaint:7"}, False),
    "condition": ({c.code for law in load_seed_versions() for c in law.conditions}, False),
    "complaint_status": (set(complaint_models.STATUSES), False),
    "complaint_outcome": (set(complaint_models.OUTCOMES), True),
    "complaint_subject": (set(complaint_models.SUBJECTS), False),
    "addressee": (set(complaint_models.ADDRESSEES), True),
    "hearing_method": (set(METHODS), True),
    "hearing_outcome": ({"refusal_upheld", "refusal_withdrawn"}, True),
    "fact": (set(rules_grounds._APPLICATION_FLAGS + rules_grounds._STATE_FLAGS), False),
    "decision_kind": ({CERTIFICATE, REFUSAL}, True),
    "signature_purpose": (set(PURPOSES), True),
}


def test_the_scan_finds_the_events_of_every_step():
    kinds = recorded_event_kinds()
    assert {"application.registered", "deadline.warning", "deadline.missed", "complaint.filed", "hearing.booked",
            "hearing.rescheduled", "decision.signed", "signature.verified"} <= kinds


@pytest.mark.parametrize("kind", sorted(ENUMS))
def test_every_code_of_each_enum_has_a_label_in_every_language(app, kind):
    codes, translated = ENUMS[kind]
    assert codes
    with app.test_request_context():
        for code in sorted(codes):
            assert has_label(code, kind), f"{kind} {code!r} has no label"
            with force_locale("en"):
                english = label(code, kind)
            assert english and english != code and english != "Other", (kind, code)
            for language in ("kk", "ru"):
                with force_locale(language):
                    text = label(code, kind)
                assert text and text != code and text != "Other", (kind, code, language)
                if translated:
                    assert text != english, f"{kind} {code!r} is not translated into {language}"


def test_the_names_that_were_translated_still_are(app):
    """The English msgids were kept as they were: the catalogs' kk and ru texts still answer them."""
    with app.test_request_context():
        with force_locale("en"):
            service = label("service", "deadline")
        with force_locale("ru"):
            assert label("registered", "status") != "Accepted and registered"
            warning = label("deadline.warning", "event", {"code": "service"})
            assert not warning.startswith("Warning") and "service" not in warning
            assert label("service", "deadline") in warning and label("service", "deadline") != service


def test_an_unknown_code_reads_other_and_is_logged(app, caplog):
    with app.test_request_context(), force_locale("en"), caplog.at_level(logging.WARNING, "portal.core.labels"):
        assert label("no_such_status", "status") == "Other"
        assert app.jinja_env.from_string('{{ "x.y"|label("event") }}').render() == "Other"
    assert "no_such_status" in caplog.text


def test_the_filter_fills_the_event_data_in_escaped_and_names_the_term(app):
    with app.test_request_context(), force_locale("en"):
        render = app.jinja_env.from_string('{{ kind|label("event", data) }}').render
        assert render(kind="document.attached", data={"name": "<b>x</b>"}) == "Document attached: &lt;b&gt;x&lt;/b&gt;"
        assert render(kind="deadline.missed", data={"code": "hearing"}) == \
            "Deadline missed (Latest day to hold the hearing)"
        late = render(kind="preliminary_refusal.sent", data={"late": True, "late_reason": "sick"})
        assert late.startswith("Preliminary decision to refuse and hearing notice sent — late") and "sick" in late
        assert render(kind="complaint.order_opened", data={"complaint": "C-1", "due": "2026-03-02"}) == \
            "The authority's order on complaint C-1 is due by 02.03.2026"


def test_the_facts_the_rules_weigh_all_have_names(app):
    """Every key of the facts the review assembles reads as a name (the review page, the decisions)."""
    with app.app_context():
        case = _case_with_a_complaint(app, forward=False)[0]
        application = db.session.get(application_models.Application, case)
        keys = set(review.application_facts(application)) | set(review.state_facts(application, True))
    with app.test_request_context(), force_locale("en"):
        assert all(has_label(key, "fact") for key in keys), sorted(k for k in keys if not has_label(k, "fact"))


# --- the archive and the pages ---------------------------------------------------------------

def _case_with_a_complaint(app, forward: bool = True) -> tuple[int, str]:
    """A case with a document and grounds found, a complaint with an attachment, forwarded to the authority."""
    with app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        supervisor = db.session.scalar(db.select(User).filter_by(username="supervisor"))
        case = applications.start_draft(owner, "accreditation", owner.organization)
        applications.save_draft(case, {"legal_name": owner.organization.name, "bin": owner.organization.bin,
                                       "main": {"settlement": "Астана", "address": "a"}}, owner)
        db.session.flush()
        applications.attach(case, "backup_complex_letter",
                            FileStorage(io.BytesIO(PDF), "letter.pdf", content_type="application/pdf"), owner)
        applications.submit(case, owner, received_at=now_utc() - timedelta(minutes=5))
        review.decide_completeness(case, clerk, [], "", None, override_reason="The letter is in the package.")
        proposal = review.propose_review(case, documents_unreliable=True)
        verdicts = {g["number"]: {"accept": True, "reason": ""} for g in proposal["grounds"]}
        because = "The letter of the backup complex names a lease that ended in 2020."
        review.decide_review(case, clerk, verdicts, {}, "", True, None,
                             reasonings={1: {"ru": because, "kk": because, "en": because}})
        complaint, _created = complaints.file_complaint(
            case, owner, {"subject": "case", "addressee": "provider", "demands": "Выдать свидетельство",
                          "arguments": "Акт приложен."},
            attachments=[FileStorage(io.BytesIO(PDF), "act.pdf", content_type="application/pdf")])
        if forward:
            complaints.forward(complaint, supervisor)
        db.session.commit()
        return case.id, complaint.number


RAW = re.compile(r"=True|=False|complaint:\d|[{}]|\b[a-z]+_[a-z_]+\b|\b[a-z]+\.[a-z_]+\b")


def _raw_codes(text: str) -> list[str]:
    return [m for m in RAW.findall(text) if not m.endswith(".pdf")]  # the files' own names are words


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_the_archive_event_log_is_a_table_in_words(app, client, auth):
    case_id, number = _case_with_a_complaint(app)
    auth.login("authority")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/authority/cases/{case_id}/archive.zip").data))
    text = _pdf_text(archive.read("events.pdf"))
    compact = re.sub(r"\s+", " ", text)
    for words in ("Application registered under number", "Document attached: letter.pdf",
                  f"Complaint {number} filed and registered",
                  f"Complaint {number} forwarded with the case to the quality-control authority",
                  "Review against the Rules completed", "Attachment to a complaint", "An action of the provider",
                  "The service provider", "Registration of the application"):
        assert words in compact, words
    # no event type codes, no flags, no JSON, no document codes (the hashes are hexadecimal, on their own lines)
    without_hashes = re.sub(r"SHA-256\s+[0-9a-f\s]{64,}", " ", text)
    assert not _raw_codes(without_hashes), _raw_codes(without_hashes)
    assert "backup_complex_letter" not in compact and "complaint.filed" not in compact


def test_the_log_for_the_pdf_names_the_events_in_kazakh(app, client, auth):
    case_id, number = _case_with_a_complaint(app)
    auth.login("authority")
    client.set_cookie("lang", "kk")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/authority/cases/{case_id}/archive.zip").data))
    compact = re.sub(r"\s+", " ", _pdf_text(archive.read("events.pdf")))
    assert "Application registered" not in compact and "complaint.filed" not in compact and number in compact


def _visible(html: str) -> str:
    """The text a person reads: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_administrative_case_page_names_the_documents_and_events(app, client, auth):
    case_id, number = _case_with_a_complaint(app)
    auth.login("authority")
    text = _visible(client.get(f"/authority/cases/{case_id}").get_data(as_text=True))
    assert "Attachment to a complaint" in text and f"Complaint {number} filed and registered" in text
    assert "complaint:" not in text and "backup_complex_letter" not in text and "=True" not in text
    for code in ("complaint.filed", "application.registered", "at_authority", "grounds_found", "refusal_upheld"):
        assert code not in text


@pytest.mark.parametrize("username,path", [
    ("applicant", "/applications/{case}"), ("supervisor", "/applications/{case}"), ("clerk", "/applications/{case}"),
    ("applicant", "/cabinet"), ("clerk", "/staff/cases"), ("supervisor", "/staff/complaints"),
    ("supervisor", "/complaints/{complaint}"), ("authority", "/authority/complaints"),
])
def test_the_case_page_and_staff_pages_show_no_codes(app, client, auth, username, path):
    case_id, number = _case_with_a_complaint(app)
    with app.app_context():
        complaint_id = db.session.scalar(db.select(complaint_models.Complaint.id).filter_by(number=number))
    auth.login(username)
    response = client.get(path.format(case=case_id, complaint=complaint_id), follow_redirects=True)
    assert response.status_code == 200
    text = _visible(response.get_data(as_text=True))
    for code in ("complaint:", "=True", "grounds_found", "at_authority", "at_provider", "complaint.filed",
                 "deadline.warning", "backup_complex_letter", "documents_unreliable", "complaint_forward"):
        assert code not in text, (path, code)
