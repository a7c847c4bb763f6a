"""The applicant's intake through the real forms: draft, documents, submission, the cabinet."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portal.applications.models import Application
from portal.extensions import db
from tests.conftest import csrf_token, post_form
from tests.portal.factories import PDF, PNG, VALID_BIN, form_data, new_application, required_codes, upload


def test_an_applicant_files_an_accreditation_application_end_to_end(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    edit = f"/applications/{application_id}/edit"
    response = post_form(client, edit, {**form_data(), "next": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/documents")
    codes = required_codes(app, application_id)
    assert codes, "the portal list of Appendix 2 item 8 asks for attachments"
    for code in codes:
        assert upload(client, application_id, code, PDF, f"{code}.pdf").status_code == 302
    assert required_codes(app, application_id) == []
    page = client.get(f"/applications/{application_id}/submit").get_data(as_text=True)
    assert "Submit the application" in page
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1"})
    assert response.status_code == 302
    case_page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.status == "registered"
        assert application.number and application.registered_on is not None
        service = application.service_deadline
        assert service is not None and service.code == "service"
        due = service.due_at
    assert application.number in case_page
    # The cabinet shows the request was accepted and when the result is due (п.6).
    cabinet = client.get("/cabinet").get_data(as_text=True)
    assert "Accepted and registered" in cabinet
    assert service.due_date.strftime("%d.%m.%Y") in cabinet
    assert due.astimezone(timezone.utc) > datetime.now(timezone.utc)


def test_a_wrong_bin_check_digit_is_explained_next_to_the_field_and_nothing_typed_is_lost(client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    response = post_form(client, f"/applications/{application_id}/edit",
                         {**form_data(bin="210640005551", pool_name="Мой пул"), "save": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "check digit does not match" in page
    assert 'id="bin-error"' in page and 'aria-describedby="bin-hint bin-error bin-feedback"' in page
    assert 'value="Мой пул"' in page and 'value="210640005551"' in page
    assert 'value="Караганда"' in page


def test_the_bin_is_checked_inline_over_htmx(client, auth):
    auth.login("applicant")
    bad = client.get("/applications/check-bin?bin=210640005551", headers={"HX-Request": "true"})
    assert "check digit does not match" in bad.get_data(as_text=True)
    good = client.get(f"/applications/check-bin?bin={VALID_BIN}", headers={"HX-Request": "true"})
    assert "check digit is correct" in good.get_data(as_text=True)
    short = client.get("/applications/check-bin?bin=12345", headers={"HX-Request": "true"})
    assert "exactly 12 digits" in short.get_data(as_text=True)


def test_continuing_without_the_required_fields_names_each_of_them(client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    response = post_form(client, f"/applications/{application_id}/edit",
                         {**form_data(legal_name="", **{"main-address": ""}), "next": "1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#legal_name"' in page and 'href="#main-address"' in page


def test_a_draft_is_saved_and_resumed(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(pool_name="Resumed pool"), "save": "1"})
    page = client.get(f"/applications/{application_id}/edit").get_data(as_text=True)
    assert 'value="Resumed pool"' in page and 'value="Караганда"' in page


def test_a_backup_complex_can_be_added_without_javascript(client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    response = post_form(client, f"/applications/{application_id}/edit", {**form_data(), "add_backup": "1"})
    page = response.get_data(as_text=True)
    assert 'name="backups-1-settlement"' in page and 'value="Караганда"' in page


@pytest.mark.parametrize("content,name,message", [
    (b"MZ\x90\x00" + b"\x00" * 200, "contract.pdf", "content is not one of them"),
    (PNG, "contract.pdf", "does not match its content"),
    (b"", "empty.pdf", "empty"),
    (b"%PDF-1.4\n" + b"0" * (210 * 1024), "big.pdf", "larger than"),
])
def test_bad_uploads_are_refused_with_a_reason_next_to_the_item(app, client, auth, content, name, message):
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    for headers in ({}, {"HX-Request": "true"}):
        response = upload(client, application_id, code, content, name, headers=headers)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert message in page and f'id="file-{code}-error"' in page
    assert required_codes(app, application_id)[0] == code
    assert not list((app.config["UPLOADS_DIR"] and __import__("pathlib").Path(app.config["UPLOADS_DIR"])).rglob("*.*"))


def test_a_request_larger_than_the_server_limit_still_answers_on_the_page(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    response = upload(client, application_id, code, b"%PDF-1.4\n" + b"0" * (800 * 1024), "huge.pdf")
    assert response.status_code in (413, 422)
    assert "too large" in response.get_data(as_text=True)


def test_uploads_are_hashed_stored_outside_static_and_served_only_to_the_case_owner(app, client, auth):
    import hashlib

    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    upload(client, application_id, code, PDF, "../../etc/passwd.pdf")
    with app.app_context():
        document = db.session.get(Application, application_id).documents[0]
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
        assert document.original_name == "passwd.pdf"
        path = f"/applications/{application_id}/documents/{document.id}"
    assert "static" not in app.config["UPLOADS_DIR"]
    served = client.get(path)
    assert served.data == PDF and "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Content-Disposition"].startswith("attachment")
    auth.logout()
    auth.login("applicant2")
    assert client.get(path).status_code == 404


def test_htmx_upload_swaps_the_checklist_and_plain_post_redirects(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    response = upload(client, application_id, code, PDF, "a.pdf", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'class="checklist"' in body
    assert "HX-Request" in response.headers.get("Vary", "")
    full = client.get(f"/applications/{application_id}/documents")
    assert "<html" in full.get_data(as_text=True)


def test_a_double_submit_creates_one_submission(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(), "next": "1"})
    token = csrf_token(client, f"/applications/{application_id}/submit")
    data = {"csrf_token": token, "submit": "1", "confirm_incomplete": "y"}
    first = client.post(f"/applications/{application_id}/submit", data=data)
    second = client.post(f"/applications/{application_id}/submit", data=data)
    assert first.status_code == second.status_code == 302
    with app.app_context():
        from portal.deadlines.models import Deadline
        from portal.events.models import Event

        kinds = [e.kind for e in db.session.scalars(db.select(Event).filter_by(application_id=application_id))]
        assert kinds.count("application.registered") == 1
        assert db.session.scalar(db.select(db.func.count(Deadline.id)).filter_by(
            application_id=application_id, code="service")) == 1


def test_an_incomplete_package_needs_an_explicit_confirmation(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(), "next": "1"})
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1"})
    assert response.status_code == 422
    assert "Confirm that you submit an incomplete package" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).status == "draft"


def test_submission_without_the_appendix_1_fields_is_not_possible(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    page = client.get(f"/applications/{application_id}/submit").get_data(as_text=True)
    assert "Correct the application before submitting it" in page and 'name="submit"' not in page
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Application, application_id).status == "draft"


def test_a_submitted_application_can_no_longer_be_edited(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(), "next": "1"})
    post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    response = client.get(f"/applications/{application_id}/edit")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/applications/{application_id}")


def test_two_people_saving_the_same_draft_do_not_overwrite_each_other(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    edit = f"/applications/{application_id}/edit"
    token = csrf_token(client, edit)
    stale = {**form_data(pool_name="Second"), "version": "1", "csrf_token": token, "save": "1"}
    client.post(edit, data={**form_data(pool_name="First"), "version": "1", "csrf_token": token, "save": "1"})
    response = client.post(edit, data=stale, follow_redirects=True)
    assert "Someone else changed this draft" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, application_id).pool_name == "First"


@pytest.mark.parametrize("lang,accepted,bin_error", [
    ("kk", "өтінішіңіз қабылданды", "бақылау цифры сәйкес келмейді"),
    ("ru", "заявление принято", "контрольная цифра"),
    ("en", "accepted and registered", "check digit does not match"),
])
def test_filing_in_each_language(app, client, auth, lang, accepted, bin_error):
    client.get(f"/language/{lang}")
    auth.login("applicant")
    application_id = new_application(client)
    bad = post_form(client, f"/applications/{application_id}/edit", {**form_data(bin="210640005551"), "save": "1"})
    assert f'<html lang="{lang}">' in bad.get_data(as_text=True)
    assert bin_error in bad.get_data(as_text=True)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(), "next": "1"})
    for code in required_codes(app, application_id):
        upload(client, application_id, code, PDF, f"{code}.pdf")
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1"}, )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert accepted.lower() in page.lower()
