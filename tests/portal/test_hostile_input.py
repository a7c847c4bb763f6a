"""Hostile input: script, SQL and very long text in every text field, nonsense in every date and number,
and uploads that try to run or escape. Each gets a clear message, nothing is stored half-way, nothing runs.

- Text: every text field of every form has a length limit (no larger than its column); a longer value is
  refused with "At most N characters." and the database is left as it was. Script and SQL are stored as
  typed and shown escaped on every page of the portal (walked from the URL map, as every role).
- Dates and numbers: nonsense gets the field's own message (never "required", never a 500); ids and page
  numbers beyond what a column holds are a 404 or the first page.
- Uploads: typed by content; oversized, disguised, HTML and SVG files are refused; a name cannot leave the
  uploads folder; what is accepted is downloaded as an attachment in a CSP sandbox, never shown as a page.
"""
from __future__ import annotations

import io
import os
import re
from datetime import datetime, timedelta

import pytest
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, StringField, TextAreaField
from wtforms.fields import FieldList, FormField
from wtforms.validators import Length

from portal.applications.models import Application
from portal.core.clock import ALMATY
from portal.documents.models import Document
from portal.extensions import db
from tests.conftest import Auth, csrf_token, post_form
from tests.portal.factories import (PDF, PNG, case_with_grounds, complete, draft_and_sign, form_data,
                                    hearing_window_over, new_application, notified_case, offered_times,
                                    registered_case, required_codes, same_settlement_case, send_notice,
                                    upload)
from tests.portal.support import snapshot
from tests.support.html import Page, field_value

SCRIPT = "<script>alert(1)</script>"
SQL = "'; DROP TABLE application; --"
LONG = "A" * 100_000
NONSENSE_DATES = ["32.13.2026", "-1", "1e309", "٣", "٠١.١٠.٢٠٢٦", "29.02.2026", "01.01.0001", "9" * 5000, SCRIPT, SQL]
NONSENSE_NUMBERS = ["-1", "1e309", "٣", "²", "9" * 30, "9" * 5000, "NaN", SCRIPT, SQL, ""]
DATE_MESSAGES = ("Enter the date as dd.mm.yyyy.", "Enter a real date.")
DATETIME_MESSAGES = ("Enter the date and time as dd.mm.yyyy hh:mm.", "Enter a real date.")
# Text fields whose length is checked otherwise: a BIN must be 12 digits; a signed document its own size.
NOT_LENGTH_LIMITED = {("ApplicationForm", "bin"), ("PaperIntakeForm", "bin"), ("SignedDocumentForm", "signed_text")}


def page_of(response) -> str:
    return response.get_data(as_text=True)


def assert_no_raw_script(response, where: str) -> None:
    assert SCRIPT not in page_of(response), f"unescaped script on {where}"


def _xml_version(page: str) -> str:
    version = field_value(page, "version")
    assert version.isdigit(), version
    return version


# --- every form has its limits -----------------------------------------------------------------

def _all_forms():
    """Every form class of the portal (the `app` fixture has imported every view module, so every form)."""
    seen, stack = [], [FlaskForm, Form]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("portal.") and sub not in seen:
                seen.append(sub)
            stack.append(sub)
    return seen


def _text_fields(form_class, prefix=""):
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        field_class = getattr(unbound, "field_class", None)
        if field_class is None:
            continue
        if field_class in (FormField,):
            yield from _text_fields(unbound.args[0], f"{prefix}{name}-")
        elif field_class is FieldList:
            inner = unbound.args[0]
            if inner.field_class is FormField:
                yield from _text_fields(inner.args[0], f"{prefix}{name}-0-")
        elif issubclass(field_class, (StringField, TextAreaField)) and not issubclass(field_class, HiddenField):
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
            limits = [v.max for v in validators if isinstance(v, Length) and v.max and v.max > 0]
            yield f"{prefix}{name}", (min(limits) if limits else None)


def test_every_text_field_of_every_form_has_a_length_limit(app):
    forms = _all_forms()
    assert {"ApplicationForm", "PaperIntakeForm", "NoticeForm", "HearingRecordForm", "PositionForm",
            "ExceptionForm", "LoginForm", "DocumentUploadForm"} <= {f.__name__ for f in forms}
    unlimited = [(form.__name__, name) for form in forms for name, limit in _text_fields(form)
                 if limit is None and (form.__name__, name) not in NOT_LENGTH_LIMITED]
    assert unlimited == []


def test_the_limits_fit_the_columns(app):
    """A limit larger than its String(n) column would let the database, not the form, refuse (a 500 on PostgreSQL)."""
    from portal.accounts.forms import LoginForm
    from portal.accounts.models import Organization, User
    from portal.applications.forms import ApplicationForm, ComplexForm, DocumentUploadForm, PaperIntakeForm
    from portal.applications.models import Complex
    from portal.calendar_admin.forms import ExceptionForm
    from portal.calendar.models import CalendarException
    from portal.hearings.forms import NoticeForm
    from portal.hearings.models import PreliminaryRefusal

    pairs = [(ApplicationForm, Application, {}), (ComplexForm, Complex, {}), (PaperIntakeForm, Organization,
             {"legal_name": "name"}), (NoticeForm, PreliminaryRefusal, {}), (ExceptionForm, CalendarException, {}),
             (LoginForm, User, {}), (DocumentUploadForm, Document, {})]
    too_large = []
    for form, model, renamed in pairs:
        for name, limit in _text_fields(form):
            column = model.__table__.columns.get(renamed.get(name, name))
            length = getattr(getattr(column, "type", None), "length", None)
            if limit and length and limit > length:
                too_large.append((form.__name__, name, limit, length))
    assert too_large == []


# --- the applicant's form ----------------------------------------------------------------------

APPLICATION_TEXT = ["legal_name", "legal_address", "pool_name", "main-settlement", "main-address",
                    "main-provider_1", "main-provider_2", "backups-0-settlement", "backups-0-address",
                    "backups-0-provider_1", "backups-0-provider_2", "security_act_number"]
REISSUE_TEXT = ["reissue_certificate_number", "reissue_reason"]


def _limits(form_class) -> dict[str, int]:
    return dict(_text_fields(form_class))


def test_the_application_form_lists_every_text_field_here():
    from portal.applications.forms import ApplicationForm

    assert set(_limits(ApplicationForm)) - {"bin"} == set(APPLICATION_TEXT + REISSUE_TEXT)


@pytest.mark.parametrize("kind,fields", [("accreditation", APPLICATION_TEXT), ("reissue", REISSUE_TEXT)])
def test_very_long_text_in_any_field_of_the_application_is_refused_and_nothing_is_saved(app, client, auth, kind,
                                                                                        fields):
    from portal.applications.forms import ApplicationForm

    limits = _limits(ApplicationForm)
    auth.login("applicant")
    application_id = new_application(client, kind)
    path = f"/applications/{application_id}/edit"
    assert post_form(client, path, form_data(kind=kind)).status_code == 302
    token = csrf_token(client, path)
    before = snapshot(app)
    for name in fields:
        response = client.post(path, data={**form_data(kind=kind), name: LONG, "csrf_token": token})
        assert response.status_code == 422, name
        assert f"At most {limits[name]} characters." in page_of(response), name
        assert snapshot(app) == before, f"{name}: something was saved"


@pytest.mark.parametrize("payload", [SCRIPT, SQL])
def test_script_and_sql_in_every_field_are_kept_as_typed_and_shown_escaped(app, client, auth, payload):
    auth.login("applicant")
    application_id = new_application(client, "reissue")
    path = f"/applications/{application_id}/edit"
    data = form_data(kind="reissue", **{name: payload for name in APPLICATION_TEXT + REISSUE_TEXT})
    assert post_form(client, path, data).status_code == 302
    with app.app_context():
        case = db.session.get(Application, application_id)
        values = {"legal_name": case.legal_name, "legal_address": case.legal_address, "pool_name": case.pool_name,
                  "security_act_number": case.security_act_number, "reissue_reason": case.reissue_reason,
                  "reissue_certificate_number": case.reissue_certificate_number,
                  **{f"main-{f}": getattr(case.main_complex, f) for f in ("settlement", "address", "provider_1")},
                  **{f"backups-0-{f}": getattr(case.backup_complexes[0], f) for f in ("address", "provider_2")}}
        assert set(values.values()) == {payload}
        assert db.session.scalar(db.select(db.func.count(Application.id))) >= 3  # the table is still there
    page = client.get(path)
    assert_no_raw_script(page, "the edit page")
    if payload == SCRIPT:
        assert page_of(page).count("&lt;script&gt;alert(1)&lt;/script&gt;") >= len(APPLICATION_TEXT)
    assert_no_raw_script(client.get("/cabinet"), "the cabinet")
    assert_no_raw_script(client.get(f"/applications/{application_id}/submit"), "the submit page")
    xml = client.get(f"/applications/{application_id}/application.xml").get_data(as_text=True)
    assert SCRIPT not in xml and (payload != SCRIPT or "&lt;script&gt;" in xml)


def test_script_in_the_bin_and_the_choices_is_refused_with_a_message(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    path = f"/applications/{application_id}/edit"
    before = snapshot(app)
    for override, message in [({"bin": SCRIPT}, "A BIN has exactly 12 digits."),
                              ({"bin": "٢١٠٦٤٠٠٠٥٥٥٠"}, "A BIN has exactly 12 digits."),
                              ({"ui_languages": [SCRIPT]}, "is not a valid choice"),
                              ({"kind": SCRIPT}, "Not a valid choice")]:
        response = post_form(client, path, form_data(**override))
        assert response.status_code == 422 and message in page_of(response), override
        assert_no_raw_script(response, f"the edit page with {override}")
    assert snapshot(app) == before
    bin_check = client.get("/applications/check-bin", query_string={"bin": SCRIPT})
    assert "A BIN has exactly 12 digits." in page_of(bin_check)
    assert_no_raw_script(bin_check, "the BIN check")


@pytest.mark.parametrize("value", NONSENSE_DATES)
def test_a_nonsense_date_gets_the_date_message_and_nothing_is_saved(app, client, auth, value):
    auth.login("applicant")
    application_id = new_application(client)
    path = f"/applications/{application_id}/edit"
    token = csrf_token(client, path)
    before = snapshot(app)
    response = client.post(path, data={**form_data(security_act_date=value), "csrf_token": token})
    assert response.status_code == 422
    assert any(message in page_of(response) for message in DATE_MESSAGES)
    assert_no_raw_script(response, "the edit page")
    assert snapshot(app) == before


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "1e309", "٣", SCRIPT])
def test_a_nonsense_version_is_not_a_crash(app, client, auth, value):
    """The hidden version field (optimistic locking) is read, not trusted: anything odd counts as absent."""
    auth.login("applicant")
    application_id = new_application(client)
    response = post_form(client, f"/applications/{application_id}/edit", {**form_data(), "version": value})
    assert response.status_code == 302


# --- the applicant's documents -----------------------------------------------------------------

def _upload_ok(response) -> bool:
    return response.status_code == 302


@pytest.fixture
def draft(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    return application_id, required_codes(app, application_id)[0]


def _refused(app, client, draft, content, name, message, status=422, **extra):
    application_id, code = draft
    before = snapshot(app)
    path = f"/applications/{application_id}/documents"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "code": code,
                                       "file": (io.BytesIO(content), name), **extra},
                           content_type="multipart/form-data")
    assert response.status_code == status, (name, response.status_code)
    assert message in page_of(response), (name, message)
    assert_no_raw_script(response, "the documents page")
    assert snapshot(app) == before, f"{name}: something was stored"


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(1)</script></svg>")
NOT_A_TYPE = "Only PDF, PNG and JPEG files are accepted"


@pytest.mark.parametrize("content,name", [
    (HTML, "lease.pdf"), (HTML, "scan.png"), (SVG, "scan.png"), (SVG, "lease.pdf"), (b"MZ\x90\x00" + b"\x00" * 64, "a.pdf"),
    (b"just text, not a PDF", "lease.pdf"), (b"GIF89a" + b"\x00" * 32, "scan.png"),
])
def test_a_file_whose_content_is_not_a_pdf_png_or_jpeg_is_refused_whatever_its_name(app, client, draft, content, name):
    _refused(app, client, draft, content, name, NOT_A_TYPE)


@pytest.mark.parametrize("content,name", [(PNG, "scan.pdf"), (PDF, "lease.png"), (PDF, "lease.html"),
                                          (PDF, "lease.svg"), (PDF, "lease")])
def test_a_right_content_behind_a_wrong_name_is_refused(app, client, draft, content, name):
    _refused(app, client, draft, content, name, "does not match its content")


def test_an_oversized_file_is_refused_with_its_limit(app, client, draft):
    content = PDF + b"0" * app.config["MAX_UPLOAD_BYTES"]
    _refused(app, client, draft, content, "big.pdf", "The file is larger than")


def test_a_request_larger_than_any_upload_is_refused_with_a_message(app, client, draft):
    """Refused before anything reads it (the CSRF check reads the form first): the portal's 413 page."""
    content = PDF + b"0" * app.config["MAX_CONTENT_LENGTH"]
    _refused(app, client, draft, content, "huge.pdf", "The upload is too large", status=413)


def test_an_empty_file_and_an_unknown_document_code_are_refused(app, client, draft):
    _refused(app, client, draft, b"", "empty.pdf", "The file is empty.")
    # The code comes from the checklist, never typed: a forged one is refused (there is no item to show it at).
    application_id, _code = draft
    _refused(app, client, (application_id, SCRIPT), PDF, "lease.pdf", "")
    _refused(app, client, (application_id, LONG), PDF, "lease.pdf", "")


@pytest.mark.parametrize("value", NONSENSE_DATES)
def test_a_nonsense_expiry_date_refuses_the_upload(app, client, draft, value):
    _refused(app, client, draft, PDF, "lease.pdf", "Enter ", expires_on=value)
    application_id, code = draft
    response = upload(client, application_id, code, PDF, "lease.pdf")
    assert _upload_ok(response)


# As the multipart parser hands them over (browsers escape quotes and line breaks in the part's header).
HOSTILE_NAMES = ["../../etc/passwd.pdf", "/etc/cron.d/x.pdf", "..%2F..%2Fetc%2Fpasswd.pdf", "%22><img src=x onerror=alert(1)>.pdf",
                 "%0D%0ASet-Cookie: stolen=1.pdf", "\x00evil.pdf", "C:\\Windows\\win.pdf", "\u202egnp.pdf", "a" * 300 + ".pdf"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_name_never_leaves_the_uploads_folder(app, client, draft, tmp_path, name):
    application_id, code = draft
    uploads = app.config["UPLOADS_DIR"]
    outside_before = sorted(p for p in os.listdir(tmp_path) if p != "uploads")
    assert _upload_ok(upload(client, application_id, code, PDF, name))
    with app.app_context():
        document = db.session.scalar(db.select(Document).filter_by(application_id=application_id))
        kept = document.original_name
        stored = os.path.realpath(os.path.join(uploads, document.storage_key[:2], document.storage_key))
        assert stored.startswith(os.path.realpath(uploads) + os.sep) and os.path.exists(stored)
        document_id = document.id
    assert "/" not in kept and "\\" not in kept and not set(kept) & set('<>"\r\n\x00') and len(kept) <= 200, kept
    assert sorted(p for p in os.listdir(tmp_path) if p != "uploads") == outside_before
    download = client.get(f"/applications/{application_id}/documents/{document_id}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert_no_raw_script(client.get(f"/applications/{application_id}/documents"), "the documents page")


@pytest.mark.parametrize("name,kept", [
    ("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\windows\\win.pdf", "win.pdf"), ("/etc/cron.d/x.pdf", "x.pdf"),
    ('"><img src=x onerror=alert(1)>.pdf', "img src=x onerror=alert(1).pdf"),
    ("a\r\nSet-Cookie: stolen=1.pdf", "aSet-Cookie stolen=1.pdf"), ("\x00evil.pdf", "evil.pdf"), ("..", ".."),
    ("", "document"), ("/", "document"), ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
])
def test_the_kept_name_is_the_last_component_without_control_or_markup_characters(name, kept):
    from portal.documents.services import _clean_name

    assert _clean_name(name) == kept


@pytest.mark.parametrize("name", ['lease; filename=evil.html.pdf', "lease\u00a0ë'ü.pdf", "lease%0d%0aX: y.pdf"])
def test_a_kept_name_cannot_change_the_download_header(app, client, draft, name):
    from werkzeug.http import parse_options_header

    application_id, code = draft
    assert _upload_ok(upload(client, application_id, code, PDF, name))
    with app.app_context():
        document = db.session.scalar(db.select(Document).filter_by(application_id=application_id))
        kept, document_id = document.original_name, document.id
    download = client.get(f"/applications/{application_id}/documents/{document_id}")
    disposition, params = parse_options_header(download.headers["Content-Disposition"])
    assert disposition == "attachment" and params["filename"] == kept and "X" not in download.headers


PDF_WITH_JAVASCRIPT = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /Names << /JavaScript 5 0 R >> >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /AA << /O 4 0 R >> >> endobj
4 0 obj << /S /JavaScript /JS (app.alert\\(document.cookie\\)) >> endobj
5 0 obj << /Names [(x) 4 0 R] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""
# Starts as a PDF (so it is typed as one) but is HTML to anything that sniffs.
PDF_HTML_POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"
PNG_HTML_POLYGLOT = PNG + b"<html><script>alert(1)</script></html>"


@pytest.mark.parametrize("content,name", [(PDF_WITH_JAVASCRIPT, "lease.pdf"), (PDF_HTML_POLYGLOT, "lease.pdf"),
                                          (PNG_HTML_POLYGLOT, "scan.png")])
def test_an_accepted_file_that_carries_script_is_served_so_that_it_cannot_run(app, client, draft, content, name):
    """Typed by its bytes it is a PDF or a PNG; it is only ever downloaded, or shown as a rendered image."""
    application_id, code = draft
    assert _upload_ok(upload(client, application_id, code, content, name))
    with app.app_context():
        document = db.session.scalar(db.select(Document).filter_by(application_id=application_id))
        document_id, content_type = document.id, document.content_type
    assert content_type in ("application/pdf", "image/png")
    download = client.get(f"/applications/{application_id}/documents/{document_id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"].split(";")[0] == content_type  # never text/html
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    csp = download.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp and "allow-scripts" not in csp
    preview = client.get(f"/applications/{application_id}/documents/{document_id}/preview/0")
    if preview.status_code == 200:
        assert preview.headers["Content-Type"] == "image/png"
        assert preview.headers["X-Content-Type-Options"] == "nosniff"
        assert preview.headers["Content-Security-Policy"].startswith("sandbox")
        if content_type == "application/pdf":
            assert preview.data.startswith(b"\x89PNG") and b"alert" not in preview.data  # rendered, not passed on
    else:
        assert preview.status_code == 404  # a PDF that cannot be rendered is not previewed at all


# --- the clerk's forms ---------------------------------------------------------------------------

def test_the_paper_intake_refuses_long_text_and_nonsense_moments(app, client, auth):
    auth.login("clerk")
    token = csrf_token(client, "/staff/paper")
    received = (datetime.now(ALMATY) - timedelta(days=2)).strftime("%d.%m.%Y 10:00")  # within the last 30 days
    good = {"kind": "accreditation", "bin": "210640005550", "legal_name": "ТОО «Тест»",
            "received_at": received, "csrf_token": token}
    before = snapshot(app)
    response = client.post("/staff/paper", data={**good, "legal_name": LONG})
    assert response.status_code == 422 and "At most 300 characters." in page_of(response)
    for value in NONSENSE_DATES + ["31.12.9999 23:59", "01.01.0001 00:00"]:
        response = client.post("/staff/paper", data={**good, "received_at": value})
        assert response.status_code == 422, value
        assert any(m in page_of(response) for m in DATETIME_MESSAGES + ("cannot be in the future",
                                                                      "can be at most 30 days ago")), value
        assert "This field is required." not in page_of(response), value
        assert_no_raw_script(response, "the paper intake")
    response = client.post("/staff/paper", data={**good, "bin": SCRIPT})
    assert response.status_code == 422 and "A BIN has exactly 12 digits." in page_of(response)
    assert snapshot(app) == before
    created = client.post("/staff/paper", data={**good, "legal_name": SCRIPT})
    assert created.status_code == 302
    assert_no_raw_script(client.get(created.headers["Location"]), "the clerk's draft")


def test_the_completeness_note_is_limited_and_findings_must_be_of_the_list(app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    path = f"/staff/cases/{case_id}/completeness"
    version = _xml_version(page_of(client.get(path)))
    token = csrf_token(client, path)
    before = snapshot(app)
    response = client.post(path, data={"version": version, "note": LONG, "csrf_token": token})
    assert response.status_code == 422 and "At most 10000 characters." in page_of(response)
    response = client.post(path, data={"version": version, "finding": [f"{SCRIPT}:missing", SQL],
                                       "note": "x", "csrf_token": token})
    assert response.status_code == 422 and "Choose only documents of the list." in page_of(response)
    assert_no_raw_script(response, "the completeness page")
    assert snapshot(app) == before


def test_the_review_texts_are_limited(app, client, auth):
    case_id = same_settlement_case(app)  # a backup complex in the same settlement: the rules propose ground 2
    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    complete(client, case_id)
    path = f"/staff/cases/{case_id}/review"
    page = page_of(client.get(path))
    version, token = _xml_version(page), csrf_token(client, path)
    before = snapshot(app)
    for data, message in [({"ground-2": "accept", "note": LONG}, "At most 10000 characters."),
                          ({"ground-2": "reject", "ground-2-reason": LONG}, "At most 2000 characters."),
                          ({"ground-2": "accept", "add-3": "y", "add-3-reason": LONG}, "At most 2000 characters."),
                          ({"ground-2": SCRIPT}, "Accept or reject this ground."),
                          ({"ground-2": "accept", "documents_unreliable": SCRIPT, "add-9": "y",
                            "add-9-reason": "x"}, "")]:
        response = client.post(path, data={"version": version, "csrf_token": token, **data})
        if message:
            assert response.status_code == 422 and message in page_of(response), data
        assert_no_raw_script(response, "the review page")
    # The last one is valid (an unknown ground number and a nonsense answer are ignored): it was recorded.
    assert snapshot(app) != before


def test_the_notice_and_the_record_refuse_long_text_and_nonsense_moments(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    path = f"/staff/cases/{case_id}/preliminary-refusal"
    version, token = _xml_version(page_of(client.get(path))), csrf_token(client, path)
    before = snapshot(app)
    for data, message in [({"method": "in_person", "place": LONG}, "At most 500 characters."),
                          ({"method": SCRIPT, "place": "x"}, "Not a valid choice")]:
        response = client.post(path, data={"version": version, "csrf_token": token, **data})
        assert response.status_code == 422 and message in page_of(response), data
        assert_no_raw_script(response, "the notice page")
    assert snapshot(app) == before
    assert send_notice(client, case_id).status_code == 302
    hearing_window_over(app, case_id)

    path = f"/staff/cases/{case_id}/hearing-record"
    version, token = _xml_version(page_of(client.get(path))), csrf_token(client, path)
    good = {"version": version, "csrf_token": token, "held_at": datetime.now(ALMATY).strftime("%d.%m.%Y %H:%M"),
            "outcome": "refusal_upheld"}
    before = snapshot(app)
    for name, limit in [("participants", 2000), ("arguments", 10000), ("examined", 10000)]:
        response = client.post(path, data={**good, name: LONG})
        assert response.status_code == 422 and f"At most {limit} characters." in page_of(response), name
    for value in NONSENSE_DATES:
        response = client.post(path, data={**good, "held_at": value})
        assert response.status_code == 422, value
        assert any(m in page_of(response) for m in DATETIME_MESSAGES), value
        assert_no_raw_script(response, "the record page")
    response = client.post(path, data={**good, "outcome": SCRIPT})
    assert response.status_code == 422 and "Not a valid choice" in page_of(response)
    assert snapshot(app) == before


def test_the_calendar_decree_and_day_are_checked(app, client, auth):
    auth.login("admin")
    token = csrf_token(client, "/admin/calendar/")
    before = snapshot(app)
    response = client.post("/admin/calendar/", data={"day": "05.01.2026", "kind": "dayoff", "decree": LONG,
                                                     "csrf_token": token})
    assert response.status_code == 422 and "At most 500 characters." in page_of(response)
    for value in NONSENSE_DATES:
        response = client.post("/admin/calendar/", data={"day": value, "kind": "dayoff", "decree": "x",
                                                         "csrf_token": token})
        assert response.status_code == 422 and any(m in page_of(response) for m in DATE_MESSAGES), value
        assert "This field is required." not in page_of(response), value
        assert_no_raw_script(response, "the calendar page")
    for day in ["32.13.2026", "9" * 5000, "2026-02-30", "٢٠٢٦-٠١-٠٥", "..%2F..%2Fetc"]:
        assert client.post(f"/admin/calendar/{day}/delete", data={"csrf_token": token}).status_code == 404, day
    assert snapshot(app) == before


def test_the_log_in_refuses_long_input_with_a_message(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "100 per minute"
    token = csrf_token(client, "/login")
    for data, message in [({"username": LONG, "password": "x"}, "At most 80 characters."),
                          ({"username": "applicant", "password": LONG}, "At most 200 characters."),
                          ({"username": SCRIPT, "password": SQL}, "Wrong username or password."),
                          ({"username": SQL, "password": SQL}, "Wrong username or password."),
                          ({"username": "applicant' --", "password": "x"}, "Wrong username or password.")]:
        response = client.post("/login", data={**data, "csrf_token": token})
        assert response.status_code == 422 and message in page_of(response), data
        assert_no_raw_script(response, "the log-in page")
    assert client.get("/cabinet").status_code == 302


# --- the hearing: position, slot --------------------------------------------------------------

def test_the_position_and_the_slot_refuse_hostile_input(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    token = csrf_token(client, hearing)
    before = snapshot(app)
    response = client.post(f"{hearing}/position", data={"position": LONG, "csrf_token": token})
    assert response.status_code == 422 and "At most 10000 characters." in page_of(response)
    for value in NONSENSE_NUMBERS:
        response = client.post(f"{hearing}/book", data={"slot": value, "csrf_token": token})
        assert response.status_code == 409 and "Choose a time." in page_of(response) or (
            "This time is no longer available." in page_of(response)), value
        assert_no_raw_script(response, "the hearing page")
    for text in [SCRIPT, "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>"]:
        response = client.post(f"{hearing}/position", data={"signed_text": text, "csrf_token": token})
        assert response.status_code == 422 and "root:" not in page_of(response)
        assert_no_raw_script(response, "the hearing page")
    assert snapshot(app) == before
    xml = client.post(f"{hearing}/position.xml", data={"position": SCRIPT + "]]>&", "csrf_token": token})
    assert xml.headers["Content-Disposition"].startswith("attachment") and SCRIPT.encode() not in xml.data


# --- ids and numbers in addresses --------------------------------------------------------------

@pytest.mark.parametrize("who", ["applicant", "clerk", "supervisor"])
def test_ids_and_page_numbers_beyond_any_column_are_a_404_or_the_first_page(app, client, auth, who):
    auth.login(who)
    huge = "9" * 30
    for path in [f"/applications/{huge}", f"/applications/{huge}/edit", f"/applications/1/documents/{huge}",
                 f"/applications/1/documents/1/preview/{huge}", f"/staff/cases/{huge}/review",
                 f"/applications/{'9' * 5000}", f"/staff/decisions/{huge}", "/applications/-1"]:
        assert client.get(path).status_code in (403, 404), path
    for path in [f"/register?page={huge}", "/register?page=-5", "/register?page=%C2%B2", f"/staff/cases?page={huge}",
                 f"/staff/deadlines?page={huge}", f"/api/monitoring/events?since={huge}&limit={huge}",
                 "/api/monitoring/events?since=1e309&limit=-1", f"/staff/cases?page={'9' * 5000}"]:
        assert client.get(path).status_code in (200, 403), path


def test_reflected_text_in_addresses_is_escaped(app, client, auth):
    for path in [f"/register?q={SCRIPT}", f"/verify/number?number={SCRIPT}", f"/login?next={SCRIPT}",
                 f"/login/eds?next={SCRIPT}", f"/register?q={LONG}"]:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert_no_raw_script(response, path)
    for target in ["javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil.example"]:
        location = client.get("/language/en", query_string={"next": target}).headers["Location"]
        assert not location.startswith(("javascript:", "//", "https://evil", "/\\")), target
    auth.login("clerk")
    for path in [f"/staff/cases?stage={SCRIPT}&kind={SCRIPT}&deadline={SCRIPT}", f"/staff/cases?page={SCRIPT}"]:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            assert response.status_code == 200 and SCRIPT not in page_of(response), path


def test_public_signature_check_refuses_hostile_xml_with_a_message(client):
    token = csrf_token(client, "/verify")
    for text in [SCRIPT, SQL, LONG, "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
                 "<?xml version='1.0'?><!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
                 "<l>&b;&b;&b;&b;&b;&b;&b;&b;&b;</l>"]:
        response = client.post("/verify", data={"signed_text": text, "csrf_token": token})
        assert response.status_code in (200, 422)
        page = page_of(response)
        assert "This is not a signed XML document in the accepted format" in page and "root:" not in page
        assert_no_raw_script(response, "the verify page")


# --- a hostile case through the whole procedure: nothing unescaped, anywhere, for anyone --------

ROLES = ("applicant", "clerk", "signatory", "supervisor", "authority", "admin")


def _hostile_case(app, client, auth) -> dict:
    """An application with script in every text, taken through review, hearing and refusal; and a certified one."""
    auth.login("applicant")
    case_id = new_application(client)
    edit = f"/applications/{case_id}/edit"
    data = form_data(**{name: SCRIPT for name in APPLICATION_TEXT})
    data["backups-0-settlement"] = SCRIPT + " "  # another settlement (the rules propose a ground anyway)
    assert post_form(client, edit, data).status_code == 302
    for code in required_codes(app, case_id):
        assert _upload_ok(upload(client, case_id, code, PDF, f"{SCRIPT}{code}.pdf"))
    assert post_form(client, f"/applications/{case_id}/submit", {"submit": "1", "confirm_incomplete": "y"}
                     ).status_code == 302
    auth.logout()

    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    path = f"/staff/cases/{case_id}/completeness"
    assert post_form(client, path, {"version": _xml_version(page_of(client.get(path))), "note": SCRIPT}
                     ).status_code == 302
    path = f"/staff/cases/{case_id}/review"
    page = page_of(client.get(path))
    proposed = [int(name.removeprefix("ground-")) for name in Page(page).names("ground-")
                if re.fullmatch(r"ground-\d", name)]
    extra = next(n for n in range(1, 6) if n not in proposed)
    decision = {f"ground-{n}": "accept" for n in proposed}
    assert post_form(client, path, {"version": _xml_version(page), **decision, f"add-{extra}": "y",
                                    f"add-{extra}-reason": SCRIPT, "note": SCRIPT}).status_code == 302
    path = f"/staff/cases/{case_id}/preliminary-refusal"
    notice = page_of(client.get(path))
    assert post_form(client, path, {"version": _xml_version(notice), "method": "in_person", "place": SCRIPT,
                                    "slot": offered_times(notice, "slot")[0]}).status_code == 302
    auth.logout()

    auth.login("applicant")
    hearing = f"/applications/{case_id}/hearing"
    # The notice's proposed time is held: the hearing is recorded once the window is over (below).
    assert post_form(client, f"{hearing}/position", {"position": SCRIPT}, page=hearing).status_code == 302
    response = client.post(f"{hearing}/documents", data={"csrf_token": csrf_token(client, hearing),
                                                         "file": (io.BytesIO(PDF), f"{SCRIPT}.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    auth.logout()

    hearing_window_over(app, case_id)
    auth.login("clerk")
    path = f"/staff/cases/{case_id}/hearing-record"
    record_page = page_of(client.get(path))
    # Issue 14 item 3: after the stated position, why each ground stands (printed in the final refusal, escaped).
    stands = {name: SCRIPT for name in Page(record_page).names("stands-")}
    assert post_form(client, path, {"version": _xml_version(record_page),
                                    "held_at": datetime.now(ALMATY).strftime("%d.%m.%Y %H:%M"), "attended": "y",
                                    "participants": SCRIPT, "arguments": SCRIPT, "examined": SCRIPT,
                                    "outcome": "refusal_upheld", **stands}).status_code == 302
    auth.logout()
    draft_and_sign(client, auth, case_id)

    # A certified pool with a script for a name, in the public register.
    from tests.portal.factories import case_without_grounds

    certified = registered_case(app)
    with app.app_context():
        case = db.session.get(Application, certified)
        case.pool_name = case.legal_name = SCRIPT
        db.session.commit()
    case_without_grounds(app)
    draft_and_sign(client, auth, certified)

    auth.login("admin")
    assert post_form(client, "/admin/calendar/", {"day": "31.12.2026", "kind": "dayoff", "decree": SCRIPT}
                     ).status_code == 302
    auth.logout()
    with app.app_context():
        from portal.deadlines.models import Deadline
        from portal.decisions.models import Decision
        from portal.signatures.models import Signature

        refused = db.session.get(Application, case_id)
        assert refused.status == "refused"
        return {
            "cases": [case_id, certified],
            "documents": {case_id: refused.documents[0].id},
            "deadlines": {c: db.session.scalar(db.select(Deadline.id).filter_by(application_id=c, complaint_id=None)
                                               .order_by(Deadline.due_date.desc()).limit(1))
                          for c in (case_id, certified)},
            "decisions": list(db.session.scalars(db.select(Decision.id))),
            "signatures": list(db.session.scalars(db.select(Signature.id))) or [1],
        }


def _urls(app, hostile: dict):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for case_id in hostile["cases"] if "application_id" in rule.arguments else [None]:
            values = {"application_id": case_id, "document_id": hostile["documents"].get(case_id, 1),
                      "decision_id": hostile["decisions"][0], "deadline_id": hostile["deadlines"].get(case_id, 1),
                      "signature_id": hostile["signatures"][0], "page": 0,
                      "day": "2026-12-31", "code": "en", "complaint_id": 1}
            path = rule.rule
            for name in rule.arguments:
                assert name in values, f"add a value for <{name}> of {rule.rule}"
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
            yield path
    yield "/register?q=script"
    yield "/staff/cases?stage=refused"


def test_a_hostile_case_is_shown_escaped_on_every_page_to_everyone(app, client, auth):
    hostile = _hostile_case(app, client, auth)
    urls = sorted(set(_urls(app, hostile)))
    shown_on, unescaped = set(), []
    for who in ("anonymous", *ROLES):
        visitor = app.test_client()
        visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if who != "anonymous":
            Auth(visitor).login(who)
        for url in urls:
            for headers in ({}, {"HX-Request": "true"}):
                response = visitor.get(url, headers=headers)
                kind = response.headers.get("Content-Type", "")
                body = response.get_data()
                if SCRIPT.encode() in body and (kind.startswith(("text/html", "application/xml", "text/xml",
                                                                 "image/svg")) or not kind):
                    unescaped.append((who, url, headers, kind))
                if b"&lt;script&gt;alert(1)&lt;/script&gt;" in body:
                    shown_on.add(url.split("?")[0])
    assert unescaped == []
    case_id, certified = hostile["cases"]
    # The texts were really shown (so the check above means something): the case, the hearing, the register...
    assert {f"/applications/{case_id}", f"/applications/{case_id}/hearing", f"/staff/cases/{case_id}/hearing-record",
            f"/applications/{case_id}/decision", "/staff/cases", "/register", "/admin/calendar/"} <= shown_on, shown_on
