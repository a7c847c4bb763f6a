"""The final decision (п.11): drafted by the clerk, signed by the signatory, checked by anyone."""
from __future__ import annotations

import io

from portal.applications.models import Application
from portal.decisions.models import Decision
from portal.extensions import db
from tests.conftest import post_form
from tests.portal.factories import case_without_grounds, draft_and_sign, hearing_held
from tests.portal.officials import person, post_signed_decision
from tests.support.html import Page, field_value


def test_a_certificate_is_signed_by_the_signatory_and_verifiable_by_number_and_by_file(app, client, auth):
    case_id = case_without_grounds(app)
    decision_id = draft_and_sign(client, auth, case_id)
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        case = db.session.get(Application, case_id)
        number, document = decision.number, decision.document
        assert decision.kind == "certificate" and case.status == "certificate_issued"
        assert decision.valid_until.year == decision.issued_on.year + 1
        assert {d.code: d.state for d in case.deadlines}["service"] == "met"
        assert b"<ds:Signature" in document or b"Signature" in document
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert "Accreditation certificate of a digital mining pool" in page and number in page
    assert client.get(f"/applications/{case_id}/decision.xml").data == document
    auth.logout()
    # Anyone: by number, and by uploading the signed file.
    public = client.get(f"/verify/number?number={number}").get_data(as_text=True)
    # The signatory as the certificate names them, not the account's display name.
    assert "The document is genuine" in public and "current" in public and person("signatory")["name"] in public
    assert client.get("/verify/number?number=DMP-C-1999-000000").status_code == 404
    token = Page(client.get("/verify")).csrf()
    checked = client.post("/verify", data={"csrf_token": token, "signed_file": (io.BytesIO(document), "c.xml")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "The signature is genuine" in checked
    tampered = document.replace(b"BIN", b"BIM", 1) if b"BIN" in document else document.replace(b"bin>", b"bim>", 1)
    checked = client.post("/verify", data={"csrf_token": token, "signed_file": (io.BytesIO(tampered), "c.xml")},
                          content_type="multipart/form-data").get_data(as_text=True)
    assert "The signature is genuine" not in checked


def test_a_refusal_after_the_hearing_cites_each_ground_and_the_right_to_complain(app, client, auth):
    case_id = hearing_held(app, client, auth)
    draft_and_sign(client, auth, case_id)
    auth.login("applicant")
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "A motivated refusal has been issued" in case_page
    page = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert "Motivated refusal" in page and "Appendix 2 item 9 sub-item 2" in page and "п.16–п.19" in page
    auth.logout()
    # Anyone may check the number; nobody learns from it whom the provider refused (numbers run in sequence).
    with app.app_context():
        refusal = db.session.scalar(db.select(Decision).filter_by(application_id=case_id))
        number, bin_ = refusal.number, refusal.content["bin"]
    public = client.get(f"/verify/number?number={number}").get_data(as_text=True)
    assert "The document is genuine" in public and "Motivated refusal" in public
    assert bin_ not in public and "Holder" not in public
    with app.app_context():
        assert db.session.get(Application, case_id).status == "refused"


def test_only_the_signatory_signs_and_nobody_else_reads_a_draft(app, client, auth):
    case_id = case_without_grounds(app)
    auth.login("clerk")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    version = field_value(page, "version")
    post_form(client, f"/staff/cases/{case_id}/decision", {"version": version}, page=f"/applications/{case_id}")
    with app.app_context():
        decision_id = db.session.scalar(db.select(Decision.id).filter_by(application_id=case_id))
    assert client.get(f"/staff/decisions/{decision_id}").status_code == 403
    auth.logout()
    auth.login("applicant")
    assert client.get(f"/applications/{case_id}/decision").status_code == 404
    auth.logout()
    auth.login("applicant2")
    assert client.get(f"/applications/{case_id}/decision.xml").status_code == 404


def test_signing_twice_is_refused(app, client, auth):
    case_id = case_without_grounds(app)
    decision_id = draft_and_sign(client, auth, case_id)
    auth.login("signatory")
    with app.app_context():
        document = db.session.get(Decision, decision_id).document
    again = post_signed_decision(client, decision_id, document)
    assert again.status_code == 422 and "already been signed" in again.get_data(as_text=True)
    assert client.get(f"/staff/decisions/{decision_id}/document-to-sign.xml").status_code == 409
    with app.app_context():
        assert db.session.get(Decision, decision_id).document == document


def test_the_decision_has_a_pdf_rendition_in_the_readers_language(app, client, auth):
    from pypdf import PdfReader

    case_id = case_without_grounds(app)
    draft_and_sign(client, auth, case_id)
    client.get("/language/ru")
    auth.login("applicant")
    response = client.get(f"/applications/{case_id}/decision.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    with app.app_context():
        number = db.session.scalar(db.select(Decision.number).filter_by(application_id=case_id))
    assert number in text and "Свидетельство" in text
