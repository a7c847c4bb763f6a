"""Documents are readable on the case page as images: a PDF never reaches the browser as a PDF there."""
from __future__ import annotations

from portal.applications.models import Application
from portal.extensions import db
from tests.portal.factories import PNG, new_application, required_codes, upload

# A PDF that asks a viewer to run JavaScript when it is opened.
PDF_WITH_SCRIPT = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
4 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def test_pdf_pages_are_rendered_to_png_and_images_are_served_as_they_are(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    codes = required_codes(app, application_id)
    upload(client, application_id, codes[0], PDF_WITH_SCRIPT, "lease.pdf")
    upload(client, application_id, codes[1], PNG, "letter.png")
    with app.app_context():
        pdf_doc, png_doc = db.session.get(Application, application_id).documents
        pdf_id, png_id = pdf_doc.id, png_doc.id
    page = client.get(f"/applications/{application_id}/documents/{pdf_id}/preview/0")
    assert page.status_code == 200 and page.data.startswith(b"\x89PNG")
    assert page.headers["Content-Type"] == "image/png" and "sandbox" in page.headers["Content-Security-Policy"]
    assert client.get(f"/applications/{application_id}/documents/{pdf_id}/preview/1").status_code == 404
    image = client.get(f"/applications/{application_id}/documents/{png_id}/preview/0")
    assert image.data == PNG and image.headers["Content-Type"] == "image/png"
    download = client.get(f"/applications/{application_id}/documents/{pdf_id}")
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_case_page_offers_the_pages_to_read(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    upload(client, application_id, required_codes(app, application_id)[0], PDF_WITH_SCRIPT, "lease.pdf")
    auth.logout()
    auth.login("clerk")
    with app.app_context():  # a chancellery draft is visible to staff; make this one filed
        case = db.session.get(Application, application_id)
        case.status = "registered"
        db.session.commit()
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "/preview/0" in page and "lease.pdf, page 1" in page


def test_the_status_poll_renders_only_the_status_and_opens_no_document(app, client, auth, monkeypatch):
    auth.login("applicant")
    application_id = new_application(client)
    upload(client, application_id, required_codes(app, application_id)[0], PDF_WITH_SCRIPT, "lease.pdf")
    with app.app_context():
        case = db.session.get(Application, application_id)
        case.status = "registered"
        db.session.commit()

    def opened(*_args):
        raise AssertionError("the status poll must not open documents")

    monkeypatch.setattr("portal.documents.services.preview_page_count", opened)
    poll = client.get(f"/applications/{application_id}", headers={"HX-Request": "true"})
    body = poll.get_data(as_text=True)
    assert poll.status_code == 200 and "<html" not in body and "status-line" in body
    assert "HX-Request" in poll.headers["Vary"]
