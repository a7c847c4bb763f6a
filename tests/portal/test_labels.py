"""No codes where people read (issue 16 item 2, issue 17 item 4): every code the portal produces has a name in
the registry of portal/core/labels.py, the names translated in kk and ru read translated, and the archive's event
log (events.pdf) and the staff pages name everything in words."""
from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pypdfium2
import pytest
from flask import render_template
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage

from portal.accounts.models import User
from portal.applications import models as application_models
from portal.applications import services as applications
from portal.complaints import models as complaint_models
from portal.complaints import labels as complaint_labels
from portal.complaints import services as complaints
from portal.core.clock import now_utc
from portal.core.labels import has_label, label
from portal.deadlines.services import NEAR
from portal.decisions.models import CERTIFICATE, REFUSAL
from portal.events import chain
from portal.extensions import db
from portal.hearings.models import METHODS
from portal.hearings.services import POSITION_DOCUMENT
from portal.notifications import rendering
from portal.notifications.models import FAILED, PENDING, SENT
from portal.review import labels as review_labels
from portal.review import services as review
from portal.signatures.messages import PURPOSES
from rules import grounds as rules_grounds
from rules.calendar import AFTER_HOURS, DECREE, HOLIDAY, WEEKEND
from rules.deadlines import CLOSED, MET, MISSED, OPEN, PROCEDURES
from rules.law import load_seed_versions
from tests.support.html import page_text

PORTAL = Path(__file__).resolve().parents[2] / "portal"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
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


def notification_kinds() -> set[str]:
    """Every kind of notification: each has a body (templates/notifications/<kind>.txt, or one it shares)."""
    bodies = {path.stem for path in (TEMPLATES / "notifications").glob("*.txt") if not path.stem.startswith("_")}
    return bodies | set(rendering.TEMPLATE_OF)


# The statuses the error pages answer: the ones portal/__init__.py configure_errors handles, and 409 (two writers).
HTTP_ERRORS = {"400", "403", "404", "405", "409", "413", "429", "500", "503"}


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
    # issue 17 item 4: the names the templates' elif chains chose (their msgids kept, so translated already)
    "notification_subject": (notification_kinds(), True),
    "skipped_day": ({WEEKEND, HOLIDAY, DECREE, AFTER_HOURS}, True),
    "deadline_state": ({OPEN, NEAR, MET, MISSED, CLOSED}, True),
    "term_start": ({spec.after for specs in PROCEDURES.values() for spec in specs} | {"authority_decision"}, True),
    "chain_break": (set(chain.REASONS), True),
    "http_error": (HTTP_ERRORS, True),
    "http_error_advice": (HTTP_ERRORS, True),
    "http_error_alert": ({"409", "413", "429"}, True),
    "complaint_act": (set(complaint_labels.SUBJECT_REFS), True),
    "outbox_status": ({SENT, FAILED, PENDING}, True),  # the cabinet shows no cancelled mail
    "condition_status": ({"met", "not_met", "unknown"}, True),  # rules/grounds.py's findings
    "review_heading": (set(review_labels.OUTCOMES), True),
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
            # "met", "weekend": an English name may be the code's word; then kk and ru show it is a name
            assert english and english != "Other" and (english != code or translated), (kind, code)
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
    """The words a reader sees (no script, no style), tags as word breaks."""
    return page_text(html)


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


# --- issue 17 item 4: the names the templates' elif chains chose, now labels ----------------

def _subject(kind: str, lang: str = "en", **context) -> str:
    return rendering.subject(SimpleNamespace(kind=kind, context=context, language=lang))


def test_each_notification_subject_is_its_label_after_the_case_number(app):
    with app.app_context():
        assert _subject("application.accepted", number="2025-000042") == \
            "[Tyndau 2025-000042] Application registered under number 2025-000042"
        assert _subject("hearing.cancelled", number="N-1") == "[Tyndau N-1] You have declined the hearing"
        assert _subject("hearing.reminder", number="N-1", starts_at="2026-03-02T05:00:00+00:00") == \
            "[Tyndau N-1] Reminder: your hearing is on 02.03.2026 10:00"  # Almaty time, the official format
        assert _subject("certificate.expiry_reminder", number="N-1", decision_number="DMP-C-1",
                        valid_until="2026-03-10") == \
            "[Tyndau N-1] Your accreditation certificate DMP-C-1 is valid until 10.03.2026"
        assert _subject("decision.issued", number="N-1", decision_number="DMP-R-7") == \
            "[Tyndau N-1] Final decision signed and issued: DMP-R-7"
        assert _subject("deadline.missed", number="N-1", code="hearing") == \
            "[Tyndau N-1] Deadline missed (Latest day to hold the hearing)"
        assert _subject("complaint.forwarded", number="N-1", complaint="Ш-3") == \
            "[Tyndau N-1] Complaint Ш-3 forwarded to the quality-control authority"
        assert _subject("complaint.received", complaint="Ш-3") == "[Tyndau] New complaint Ш-3"  # no case number
        russian = _subject("deadline.warning", "ru", number="N-1", code="service")
        with app.test_request_context(), force_locale("ru"):
            term = label("service", "deadline")
        assert russian.startswith("[Tyndau N-1] ") and "Warning" not in russian and term in russian


def _band(code: str, event: str, days, state: str = NEAR, backward: bool = False):
    deadline = SimpleNamespace(id=7, code=code, due_date=days[-1].day, term=2, paragraph="п. 10")
    return SimpleNamespace(deadline=deadline, state=state, backward=backward, event=event, days=tuple(days),
                           today="within", working_days_left=None, skipped=0, recounted=False)


def _day(day: int, counted: bool = False, number=None, reason=None, detail=None, is_event=False):
    return SimpleNamespace(day=date(2026, 3, day), counted=counted, number=number, reason=reason, detail=detail,
                           is_event=is_event, is_due=False, is_today=False, weekday="")


def test_a_band_of_days_says_why_each_day_is_skipped_and_what_counting_starts_from(app):
    days = [_day(5, reason="event", is_event=True), _day(6, True, 1), _day(7, reason=WEEKEND),
            _day(8, reason=HOLIDAY, detail="International <Women's> Day"), _day(9, reason=DECREE, detail="Decree 1"),
            _day(10, True, 2)]
    with app.test_request_context(), force_locale("en"):
        page = _visible(render_template("deadlines/_term_days.html", band=_band("hearing", "hearing_notice", days)))
        assert "notice sent: counting starts the next day" in page and "working day 1" in page
        assert "not counted: weekend" in page and "not counted: day off by decree: Decree 1" in page
        # Read as text: unescaped, the parser would have taken "<Women's>" for a tag and dropped it.
        assert "not counted: holiday: International <Women's> Day" in page
        assert "one working day left" in page
        other = _band("authority_order", "authority_decision", days, state=CLOSED)
        page = _visible(render_template("deadlines/_term_days.html", band=other))
        assert "the event the term counts from" in page and "no longer applies" in page
        received = [_day(5, reason=AFTER_HOURS, detail="18:31", is_event=True), _day(6, True)]
        page = _visible(render_template("deadlines/_term_days.html", band=_band("registration", "receipt", received,
                                                                                  state=MET)))
        assert "received; not counted: received after working hours (18:31)" in page and "met" in page
    with app.test_request_context(), force_locale("ru"):
        page = _visible(render_template("deadlines/_term_days.html", band=_band("hearing", "hearing_notice", days)))
        assert "weekend" not in page and "notice sent" not in page and "Decree 1" in page


def test_the_error_pages_and_alerts_say_the_title_and_the_advice_of_their_status(app):
    with app.test_request_context("/applications"), force_locale("en"):
        page = _visible(render_template("errors.html", code=404))
        assert "Page not found" in page and "Go back to the previous page" in page
        page = _visible(render_template("errors.html", code=500))
        assert "Something went wrong on our side" in page
        paused = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        page = _visible(render_template("errors.html", code=429, paused_until=paused))
        assert "Try again after 02.03.2026 10:00 (Almaty time)" in page
        page = _visible(render_template("errors.html", code=429))
        assert "signing in is paused for a while" in page and "many checks" not in page
        assert render_template("errors_alert.html", code=429).split(">", 1)[1].strip() == \
            "Too many attempts. Wait a little and try again.</p>"
        assert "Nothing was saved. Choose a smaller file" in render_template("errors_alert.html", code=413)
    for path in ("/verify", "/verify/number"):  # the public checks: signatures.verify, decisions.by_number
        with app.test_request_context(path), force_locale("en"):
            assert "You have made many checks" in render_template("errors.html", code=429)
            assert "Too many attempts. You have made many checks" in render_template("errors_alert.html", code=429)
    with app.test_request_context("/applications"), force_locale("kk"):
        page = _visible(render_template("errors.html", code=409))
        assert "Someone else changed" not in page and "Nothing of yours" not in page


def test_a_broken_log_says_where_and_how_it_broke(app):
    def broken(reason):
        report = chain.ChainReport(1, False, 4, 9, 4, reason, 6)
        return _visible(render_template("events/_chain_status.html", report=report))

    with app.test_request_context(), force_locale("en"):
        assert "Events recorded before event no. 4 have been removed." in broken(chain.MISSING)
        assert "Event no. 4 was not recorded by the portal" in broken(chain.EXTRA)
        assert "Events from no. 4 to no. 6 have been removed from the end of the log." in \
            broken(chain.HEAD_MISMATCH)
        assert "Event no. 4, or its link to the event before it, has been changed" in broken(chain.CHANGED)


def test_a_complaint_names_the_very_act_it_is_about(app):
    application = SimpleNamespace(id=3, number="2026-000003")
    moment = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)

    def said(ref, obj):
        subject = complaints.Subject(ref, "decision", obj)
        return _visible(render_template("complaints/_subject.html", s=subject, application=application)).strip()

    with app.test_request_context(), force_locale("en"):
        assert said("decision:1", SimpleNamespace(kind=CERTIFICATE, number="DMP-C-1")) == \
            "The certificate No. DMP-C-1 ( View )"
        assert said("decision:1", SimpleNamespace(kind=REFUSAL, number="DMP-R-1")).startswith(
            "The motivated refusal No. DMP-R-1")
        assert said("review:1", SimpleNamespace(stage="completeness", decided_at=moment)) == \
            "The motivated refusal of further consideration of 02.03.2026"
        assert said("review:1", SimpleNamespace(stage="review", decided_at=moment)) == \
            "The finding of grounds for refusal of 02.03.2026"
        assert said("preliminary_refusal:1", SimpleNamespace(sent_at=moment)) == \
            "The preliminary decision to refuse of 02.03.2026 ( View )"
        assert said("hearing:1", SimpleNamespace(held_at=moment)) == "The conduct of the hearing of 02.03.2026"
        term = SimpleNamespace(due_date=date(2026, 3, 2), code="hearing", paragraph="<п. 10>")
        assert said("deadline:1", term) == ("Inaction: the term ended on 02.03.2026 without its step — "
                                            "Latest day to hold the hearing (<п. 10>)")  # text, not a tag
        assert said("case", application) == "Another action of the provider on case 2026-000003"
        assert said("hearing:1", application) == "Another action of the provider on case 2026-000003"
    with app.test_request_context(), force_locale("ru"):
        assert "certificate" not in said("decision:1", SimpleNamespace(kind=CERTIFICATE, number="DMP-C-1"))


def test_a_review_decision_is_headed_by_its_outcome_and_paragraph(app):
    with app.test_request_context(), force_locale("en"):
        assert label("incomplete", "review_heading", {"kind": "reissue"}).endswith("(п.12)")
        assert label("incomplete", "review_heading", {"kind": "accreditation"}).endswith("(п.7)")
        assert label("no_grounds", "review_heading") == "No grounds for refusal found (п.8)"
        assert label("not_met", "condition_status") == "not met"
        assert label(SENT, "outbox_status", {"email": "a@b.kz"}) == "sent by e-mail to a@b.kz"
