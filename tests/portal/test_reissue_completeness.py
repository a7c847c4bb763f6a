"""п.12, second paragraph, and Appendix 1 (issue 14 items 4 and 10), through the pages.

A re-issuance whose documents are missing or expired is answered by a motivated refusal of further consideration
of the application in the form of Appendix 4, signed with the EDS of the authorised person: the clerk's finding is
drafted as that document, the signatory signs it with their own key, and only then does the applicant get it and
the certificate become free for another re-issuance. An accreditation's incomplete package keeps the clerk's п.7
refusal. The applicant signs the request and the declaration of Appendix 1 as the portal words them.
"""
from __future__ import annotations

import re

from portal.applications.models import Application
from portal.decisions.models import Decision
from portal.extensions import db
from portal.register.queries import claim_holder
from portal.review.models import ReviewDecision
from rules import forms
from tests.conftest import post_form
from tests.portal.eds import application_xml, draft, stored, submit_signed
from tests.portal.factories import (OVERRIDE, issued_certificate, registered_case, reissue_draft,
                                    sign_in_page_as_signatory, status_of, submit_in_page)
from tests.support.html import field_value

NOTE = "Договор аренды серверного помещения не приложен."
LEASE_EN = "server-room lease services contract"
LEASE_RU = "договора об оказании услуг по предоставлению в аренду серверного помещения"


def _version(page: str) -> str:
    return field_value(page, "version")


def _record_missing_lease(client, case_id: int):
    page = client.get(f"/staff/cases/{case_id}/completeness").get_data(as_text=True)
    return post_form(client, f"/staff/cases/{case_id}/completeness",
                     {"version": _version(page), "finding": ["server_room_lease:missing"], "note": NOTE,
                      "override_reason": OVERRIDE}, page=f"/staff/cases/{case_id}/completeness")


def _submitted_reissue(app, client, auth, number: str) -> int:
    case_id = reissue_draft(app, number)
    auth.login("applicant")
    assert submit_in_page(client, case_id).status_code == 302
    auth.logout()
    assert status_of(app, case_id) == "registered"
    return case_id


def test_a_reissuance_missing_a_document_gets_the_signed_appendix_4_refusal_of_further_consideration(
        app, client, auth):
    certificate = issued_certificate(app, client, auth)
    auth.logout()
    case_id = _submitted_reissue(app, client, auth, certificate.number)
    second = reissue_draft(app, certificate.number)

    # The clerk checks the documents (п.12) and finds the lease missing: the refusal is drafted, not sent.
    auth.login("clerk")
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Check the documents of the re-issuance (п.12)" in case_page
    form = client.get(f"/staff/cases/{case_id}/completeness").get_data(as_text=True)
    assert "Documents of the re-issuance (п.12)" in form and "Appendix 4" in form
    assert _record_missing_lease(client, case_id).status_code == 302
    auth.logout()
    assert status_of(app, case_id) == "decision_drafted"
    with app.app_context():
        case = db.session.get(Application, case_id)
        decision = db.session.scalar(db.select(Decision).filter_by(application_id=case_id))
        assert decision.kind == "refusal" and decision.status == "drafted"
        assert decision.content["refusal"] == "further_consideration"
        assert decision.content["completeness"] == [{"code": "server_room_lease", "problem": "missing"}]
        [ground] = decision.content["grounds"]
        assert ground["paragraph"] == "п. 12" and set(ground["reasoning"]) == {"kk", "ru", "en"}
        assert LEASE_RU in ground["reasoning"]["ru"] and NOTE in ground["reasoning"]["ru"]
        assert LEASE_EN in ground["reasoning"]["en"] and "пункт 12" in ground["reasoning"]["ru"]
        assert "hearing" not in decision.content
        review = db.session.scalar(db.select(ReviewDecision).filter_by(application_id=case_id))
        assert review.outcome == "incomplete"
        terms = {d.code: d.state for d in case.deadlines}
        assert terms["completeness"] == "open"  # met by the signed refusal, not by the draft
        assert claim_holder(certificate.number).id == case_id  # held until the refusal is signed
        decision_id = decision.id

    # Before the signature the applicant has nothing: no decision, no refusal on the case page.
    auth.login("applicant")
    assert client.get(f"/applications/{case_id}/decision").status_code == 404
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Motivated refusal of further consideration" not in page and NOTE not in page
    assert "is already being re-issued" in client.get(f"/applications/{second}/submit").get_data(as_text=True)
    auth.logout()

    # The signatory reads the Appendix 4 document titled as a refusal of further consideration, and signs it.
    auth.login("signatory")
    sign_page = client.get(f"/staff/decisions/{decision_id}").get_data(as_text=True)
    assert "Motivated refusal of further consideration of the application" in sign_page
    assert "para. 12" in sign_page and LEASE_EN in sign_page
    to_sign = client.get(f"/staff/decisions/{decision_id}/document-to-sign.xml").data
    assert b'refusal="further_consideration"' in to_sign and b'paragraph="\xd0\xbf. 12"' in to_sign
    auth.logout()
    assert sign_in_page_as_signatory(client, auth, decision_id).status_code == 302

    assert status_of(app, case_id) == "incomplete_refused"
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.status == "signed" and decision.number.startswith("DMP-R-")
        assert b'refusal="further_consideration"' in decision.document
        terms = {d.code: d.state for d in db.session.get(Application, case_id).deadlines}
        assert terms["completeness"] == terms["reissue_review"] == terms["service_reissue"] == "met"
        assert claim_holder(certificate.number) is None  # the certificate is released

    # The applicant sees the signed refusal, and may re-issue the same certificate again.
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Open the decision" in page
    shown = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert "Motivated refusal of further consideration of the application" in shown
    assert "para. 12" in shown and LEASE_EN in shown and NOTE in shown
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    shown_ru = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert forms.line("appendix_4", "title_further_consideration", "ru") in shown_ru and LEASE_RU in shown_ru
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert submit_in_page(client, second).status_code == 302
    assert status_of(app, second) == "registered"


def test_an_accreditation_missing_a_document_still_gets_the_clerks_refusal_of_further_consideration(
        app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    assert _record_missing_lease(client, case_id).status_code == 302
    auth.logout()
    assert status_of(app, case_id) == "incomplete_refused"  # п.7: at once, by the clerk
    with app.app_context():
        assert db.session.scalar(db.select(Decision).filter_by(application_id=case_id)) is None
        assert {d.code: d.state for d in db.session.get(Application, case_id).deadlines}["completeness"] == "met"
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Motivated refusal of further consideration of the application (п.7)" in page and NOTE in page


def test_the_signed_application_carries_the_request_and_the_declaration_of_appendix_1(app, client, auth, sign):
    application_id = draft(client, auth)
    document = application_xml(client, application_id).decode("utf-8")
    for lang in ("kk", "ru", "en"):
        assert f'<request lang="{lang}">' in document and f'<declaration lang="{lang}">' in document
    assert "Прошу аккредитовать" in document and "аккредиттеуді сұраймын" in document
    assert "являются достоверными и действительными" in document
    assert "сенімді және жарамды болып табылады" in document
    assert "true and valid as of" in document
    assert submit_signed(client, application_id, sign(document.encode("utf-8"))).status_code == 302
    status, signatures = stored(app, application_id)
    assert status == "registered" and "являются достоверными и действительными".encode() in signatures[0].document


def test_a_signed_application_whose_declaration_was_changed_is_refused(app, client, auth, sign):
    application_id = draft(client, auth)
    document = application_xml(client, application_id).decode("utf-8")
    altered = document.replace("являются достоверными и действительными", "являются, насколько мне известно, "
                               "достоверными", 1)
    assert altered != document
    response = submit_signed(client, application_id, sign(altered.encode("utf-8")))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "does not match the application" in page
    assert "The request and the declaration of Appendix 1" in page
    assert stored(app, application_id) == ("draft", [])


def test_a_signed_application_without_the_declaration_is_refused(app, client, auth, sign):
    application_id = draft(client, auth)
    document = application_xml(client, application_id).decode("utf-8")
    without = re.sub(r'\s*<declaration lang="ru">[^<]*</declaration>', "", document, count=1)
    assert without != document
    response = submit_signed(client, application_id, sign(without.encode("utf-8")))
    assert response.status_code == 422
    assert stored(app, application_id) == ("draft", [])
