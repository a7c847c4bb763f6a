"""Signatures in the portal through the test client: log-in with EDS, a signed application, /verify."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from portal.accounts.models import Organization, User
from portal.core.clock import now_utc
from portal.extensions import db
from portal.signatures.models import LoginChallenge
from tests.conftest import NEW_ORGANIZATION, csrf_token, post_form
from tests.portal.eds import (DEMO_BIN, OTHER_BIN, application_xml, draft, eds_login, signed_challenge, stored,
                              submit_signed, upload)
from tests.portal.factories import form_data, new_application


# --- log-in with EDS -------------------------------------------------------------------------


def test_the_login_page_offers_eds_and_the_eds_page_the_challenge(client):
    assert "/login/eds" in client.get("/login").get_data(as_text=True)
    page = client.get("/login/eds").get_data(as_text=True)
    assert "loginChallenge" in page and "pki sign" in page and "auth.key" in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page


def test_first_eds_log_in_creates_the_organisation_and_the_person_and_the_next_reuses_them(app, client, sign):
    response = eds_login(client, signed_challenge(client, sign))
    assert response.status_code == 302 and response.headers["Location"] == "/cabinet"
    assert NEW_ORGANIZATION["name"] in client.get("/cabinet").get_data(as_text=True)
    with app.app_context():
        organization = db.session.scalar(db.select(Organization).filter_by(bin=NEW_ORGANIZATION["bin"]))
        assert organization.name == NEW_ORGANIZATION["name"]
        user = db.session.scalar(db.select(User).filter_by(iin=NEW_ORGANIZATION["head_iin"]))
        assert user.username == f"eds-{NEW_ORGANIZATION['head_iin']}-{NEW_ORGANIZATION['bin']}"
        assert user.role == "applicant" and user.organization_id == organization.id
        assert user.full_name == "НҰРЛАНОВ ДӘУЛЕТ СЕРІКҰЛЫ" and user.password_hash == ""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cabinet")})
    response = eds_login(client, signed_challenge(client, sign), as_text=True)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Organization.id)).filter_by(bin=NEW_ORGANIZATION["bin"])) == 1
        assert db.session.scalar(db.select(db.func.count(User.id)).filter_by(iin=NEW_ORGANIZATION["head_iin"])) == 1


def test_an_existing_organisation_gets_its_head_as_a_new_person(app, client, sign):
    response = eds_login(client, signed_challenge(client, sign, DEMO_BIN))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(iin="880425400128"))
        assert user.organization.bin == DEMO_BIN
        assert db.session.scalar(db.select(db.func.count(Organization.id)).filter_by(bin=DEMO_BIN)) == 1


def test_a_replayed_challenge_is_refused(client, sign):
    signed = signed_challenge(client, sign)
    assert eds_login(client, signed).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cabinet")})
    response = eds_login(client, signed)
    assert response.status_code == 422
    assert "already been used" in response.get_data(as_text=True)


def test_an_expired_challenge_is_refused(app, client, sign):
    signed = signed_challenge(client, sign)
    with app.app_context():
        db.session.execute(db.update(LoginChallenge).values(expires_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
    response = eds_login(client, signed)
    assert response.status_code == 422 and "has expired" in response.get_data(as_text=True)


def test_a_challenge_shown_to_another_browser_is_refused(app, client, sign):
    signed = signed_challenge(client, sign)
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = eds_login(other, signed)
    assert response.status_code == 422 and "issued to another browser" in response.get_data(as_text=True)
    assert eds_login(client, signed).status_code == 302  # still usable where it was shown


@pytest.mark.parametrize("kind,message", [
    ("sign", "signed with the wrong key"),
    ("revoked", "has been revoked"),
    ("expired", "has expired"),
])
def test_a_wrong_certificate_cannot_log_in(client, sign, kind, message):
    response = eds_login(client, signed_challenge(client, sign, kind=kind))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page and 'class="error-message"' in page


@pytest.mark.parametrize("data,message", [
    (b"hello <not xml", "not a signed XML document"),
    (b"", "Choose the signed XML file or paste its text."),
])
def test_garbage_gets_a_sentence(client, data, message):
    response = eds_login(client, data, as_text=True)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_a_document_that_is_not_the_challenge_cannot_log_in(client, sign):
    signed = sign(b"<loginChallenge><nonce>x</nonce></loginChallenge>", NEW_ORGANIZATION["bin"], "auth")
    response = eds_login(client, signed)
    assert response.status_code == 422 and "not the sign-in document" in response.get_data(as_text=True)


# --- a signed application --------------------------------------------------------------------


def test_a_signed_application_is_registered_with_its_report(app, client, auth, sign):
    application_id = draft(client, auth)
    signed = sign(application_xml(client, application_id))
    response = submit_signed(client, application_id, signed)
    assert response.status_code == 302
    status, signatures = stored(app, application_id)
    assert status == "registered" and len(signatures) == 1
    signature = signatures[0]
    assert signature.purpose == "application" and signature.indication == "TOTAL_PASSED"
    assert signature.document == signed and signature.signer_bin == DEMO_BIN
    assert signature.signer_iin == "880425400128" and signature.signer_role == "first_head" and not signature.flagged
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "The signature is genuine" in page and "СЕЙІТОВА АЙГЕРІМ НҰРЛАНҚЫЗЫ" in page and "first head" in page
    report = client.get(f"/applications/{application_id}/signatures/{signature.id}/report.json")
    assert report.status_code == 200 and json.loads(report.data)["indication"] == "TOTAL_PASSED"
    assert client.get(f"/applications/{application_id}/signatures/{signature.id}/document.xml").data == signed
    auth.logout()
    auth.login("applicant2")
    assert client.get(f"/applications/{application_id}/signatures/{signature.id}/report.json").status_code == 404
    assert client.get(f"/applications/{application_id}/application.xml").status_code == 404


def test_another_organisations_signature_is_refused(app, client, auth, sign):
    application_id = draft(client, auth)
    response = submit_signed(client, application_id, sign(application_xml(client, application_id), OTHER_BIN))
    assert response.status_code == 422
    assert "belongs to another organisation (BIN)" in response.get_data(as_text=True)
    assert stored(app, application_id) == ("draft", [])


@pytest.mark.parametrize("old,new,section", [
    ("ул. Сығанақ, 10", "ул. Сығанақ, 12", "Main hardware-software complex"),
    ("210640005550", "180540007773", "BIN"),
    ('draft="', 'draft="9', "Draft number"),
])
def test_a_signed_document_that_says_something_else_is_refused(app, client, auth, sign, old, new, section):
    application_id = draft(client, auth)
    document = application_xml(client, application_id).decode("utf-8")
    assert old in document
    response = submit_signed(client, application_id, sign(document.replace(old, new, 1).encode("utf-8")))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "does not match the application" in page and section in page
    assert stored(app, application_id) == ("draft", [])


def test_a_draft_changed_after_signing_is_refused(app, client, auth, sign):
    application_id = draft(client, auth)
    signed = sign(application_xml(client, application_id))
    post_form(client, f"/applications/{application_id}/edit", form_data(legal_name='ТОО "Altyn Hash Pool" (new)'))
    response = submit_signed(client, application_id, signed)
    assert response.status_code == 422 and "Full name of the legal entity" in response.get_data(as_text=True)


def test_a_tampered_application_is_refused(app, client, auth, sign):
    application_id = draft(client, auth)
    signed = sign(application_xml(client, application_id))
    tampered = signed.replace("ул. Сығанақ, 10".encode(), "ул. Сығанақ, 11".encode())
    response = submit_signed(client, application_id, tampered)
    assert response.status_code == 422 and "changed after it was signed" in response.get_data(as_text=True)
    assert stored(app, application_id) == ("draft", [])


def test_a_signed_document_that_is_not_an_application_is_refused(client, auth, sign):
    application_id = draft(client, auth)
    response = submit_signed(client, application_id, sign(b"<letter>Please accredit us</letter>"))
    assert response.status_code == 422 and "not the application document" in response.get_data(as_text=True)


def test_an_employees_signature_is_accepted_and_flagged_to_the_clerk(app, client, auth, sign):
    application_id = draft(client, auth)
    response = submit_signed(client, application_id, sign(application_xml(client, application_id), kind="employee"))
    assert response.status_code == 302
    _status, signatures = stored(app, application_id)
    assert signatures[0].flagged and signatures[0].signer_role == "employee"
    auth.logout()
    auth.login("clerk")
    page = client.get(f"/applications/{application_id}").get_data(as_text=True)
    assert "neither the first head nor a person with signing right (employee)" in page
    assert "ОМАРОВ ЕРЛАН БОЛАТҰЛЫ" in page and "911103300230" in page
    assert client.get(f"/applications/{application_id}/signatures/{signatures[0].id}/report.json").status_code == 200


def test_a_portal_application_must_be_signed_unless_configured_otherwise(monkeypatch, tmp_path):
    """App. 2 item 10: the default is the law's; only an explicit REQUIRE_EDS_FOR_PORTAL=false turns it off."""
    from portal.config import load_config

    monkeypatch.delenv("REQUIRE_EDS_FOR_PORTAL", raising=False)
    assert load_config(str(tmp_path))["REQUIRE_EDS_FOR_PORTAL"] is True
    monkeypatch.setenv("REQUIRE_EDS_FOR_PORTAL", "false")
    assert load_config(str(tmp_path))["REQUIRE_EDS_FOR_PORTAL"] is False


def test_the_signature_is_required_when_configured(app, client, auth, sign):
    app.config["REQUIRE_EDS_FOR_PORTAL"] = True
    application_id = draft(client, auth)
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 422 and "Sign the application" in response.get_data(as_text=True)
    assert stored(app, application_id) == ("draft", [])
    assert submit_signed(client, application_id, sign(application_xml(client, application_id))).status_code == 302


def test_without_the_setting_the_password_flow_still_submits(app, client, auth):
    application_id = draft(client, auth)
    page = client.get(f"/applications/{application_id}/submit").get_data(as_text=True)
    assert "Download the application XML" in page and "sign.key" in page
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 302 and stored(app, application_id) == ("registered", [])


# --- public verification ---------------------------------------------------------------------

def test_anyone_checks_a_genuine_document(client, sign):
    signed = sign("<application><name>ТОО «Tengri» &amp; Co</name></application>".encode("utf-8"))
    response = upload(client, "/verify", signed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The signature is genuine" in page
    assert "СЕЙІТОВА АЙГЕРІМ" in page and DEMO_BIN in page and "first head" in page
    assert "880425400128" not in page.split("<details>")[0]  # the IIN only in the raw report
    assert '"indication": "TOTAL_PASSED"' in page.replace("&#34;", '"')


def test_anyone_sees_that_a_tampered_document_is_not_genuine(client, sign):
    signed = sign(b"<application><name>Tengri</name></application>")
    response = upload(client, "/verify", signed.replace(b"Tengri", b"Tengr1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "changed after it was signed" in page
    assert "The signature is genuine" not in page


def test_the_verify_page_is_public_and_escapes_what_it_shows(client, sign):
    assert client.get("/verify").status_code == 200
    response = upload(client, "/verify", b"<script>alert(1)</script>", as_text=True)
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "not a signed XML document" in page


# --- the pieces ------------------------------------------------------------------------------

def test_every_verdict_has_a_sentence():
    from portal.signatures import messages, report

    assert set(report.MESSAGES) <= set(messages.SENTENCES)


def test_demo_seed_makes_the_pki_of_the_demo_organisations_once(tmp_path):
    from portal.demo.cli import ensure_pki

    assert ensure_pki(tmp_path / "pki") is True
    manifest = json.loads((tmp_path / "pki" / "manifest.json").read_text(encoding="utf-8"))
    assert {org["bin"] for org in manifest["organizations"]} == {DEMO_BIN, OTHER_BIN}
    assert ensure_pki(tmp_path / "pki") is False


def test_without_a_trust_store_the_portal_says_it_cannot_check(app, client, sign, tmp_path):
    app.config["TRUST_STORE"] = str(tmp_path / "missing")
    response = upload(client, "/verify", sign(b"<a>x</a>"))
    assert response.status_code == 200 and "cannot be checked right now" in response.get_data(as_text=True)


def test_a_signed_document_larger_than_any_the_portal_prepares_is_refused_unread(client, monkeypatch):
    """A GOST digest is computed in Python: an oversized upload must not cost seconds of CPU (256 KB at most)."""
    from portal.signatures import services

    calls = []
    monkeypatch.setattr(services, "verify", lambda *a, **k: calls.append(a))
    huge = b"<a>" + b"x" * (256 * 1024) + b"</a>"
    response = eds_login(client, huge)
    assert response.status_code == 422 and "too large for a signed XML document (at most 256 KB)" in \
        response.get_data(as_text=True)
    assert calls == []


def test_a_pdf_printout_uploaded_to_verify_points_to_the_check_by_number(client):
    """People hold the PDF: it is not refused as 'not XML' but sent to the check by number (issue 16 item 7)."""
    from tests.pdfs import assemble_pdf

    pdf = assemble_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    response = upload(client, "/verify", pdf)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "This is a PDF printout" in page
    assert 'href="/verify/number"' in page
