"""Signing in the browser through NCALayer (issue 13 item 1; templates/macros/ncalayer.html, static/js/ncalayer.js).

Each signing step of the applicant presses "Sign with NCALayer": the page fetches the exact XML the portal
prepared, the NCALayer stand-in (portal.signatures.standin, the `ncalayer` fixture) signs it with the picked
person's key, and the page posts the result to the endpoint that verifies it. In Kazakh and in Russian; then
what goes wrong: NCALayer not running, the person cancelling, a double click, fields with errors.
"""
from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import LANGUAGE_LINKS, demo_case_id, expect_language, log_in, t, to_preliminary_refusal

SIGN = "Sign with NCALayer"
POSITION = "Резервтік кешен басқа елді мекенде орналасқан: акт қоса беріледі."
UNAVAILABLE = "NCALayer is not running, or this page cannot reach it. Start NCALayer and press the button again."
CANCELED = "Signing cancelled. Nothing was sent."


def sign_button(page: Page, lang: str):
    return page.get_by_role("button", name=t(lang, SIGN), exact=True)


def sign_xml_requests(ncalayer) -> list[dict]:
    return [r for r in ncalayer.requests if isinstance(r, dict) and r.get("method") == "signXml"]


def watch_console(page: Page) -> list[str]:
    """The page's console errors (a CSP violation is one)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def csp_violations(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e]


def choose_language(page: Page, lang: str) -> None:
    page.get_by_role("link", name=LANGUAGE_LINKS[lang], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the database --------------------------------------------------------------------------------

def draft_application(app) -> int:
    """A draft of the demo applicant with Appendix 1 filled in (the documents left out: confirmed on the page)."""
    from tests.conftest import post_form
    from tests.portal.factories import form_data, new_application

    client = app.test_client()
    post_form(client, "/login", {"username": "applicant", "password": "demo-applicant"})
    application_id = new_application(client)
    assert post_form(client, f"/applications/{application_id}/edit", form_data()).status_code == 302
    return application_id


def signatures_of(app, application_id: int, purpose: str) -> list[tuple[str, bytes]]:
    """(the signer's IIN, the signed document) of each signature of that purpose kept on the case."""
    from portal.extensions import db
    from portal.signatures.models import Signature

    with app.app_context():
        return [(s.signer_iin, s.document) for s in db.session.scalars(
            db.select(Signature).filter_by(application_id=application_id, purpose=purpose))]


def applicant_iin() -> str:
    from portal.demo.data import iin_of

    return iin_of("applicant")


def status_of(app, application_id: int) -> str:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.get(Application, application_id).status


def position_of(app, application_id: int):
    from portal.extensions import db
    from portal.hearings.models import PreliminaryRefusal

    with app.app_context():
        return db.session.scalar(db.select(PreliminaryRefusal.position).filter_by(application_id=application_id))


def complaints_of(app, application_id: int) -> list[str]:
    from portal.complaints.models import Complaint
    from portal.extensions import db

    with app.app_context():
        return list(db.session.scalars(db.select(Complaint.number).filter_by(application_id=application_id)))


# --- the journeys ----------------------------------------------------------------------------------

def test_eds_log_in_through_ncalayer_in_russian(page, app, ncalayer, live_server, axe):
    lang = "ru"
    errors = watch_console(page)
    ncalayer.pick("applicant")
    response = page.goto("/login/eds")
    # The CSP lets the page reach exactly NCALayer's address, and nothing else outside the portal.
    assert f"connect-src 'self' {ncalayer.url};" in response.headers["content-security-policy"]
    choose_language(page, lang)
    expect_language(page, lang, "Sign in with an electronic signature")
    # The manual way stays, folded away; the button is the main path.
    expect(page.locator("details summary")).to_have_text(t(lang, "Without NCALayer: download, sign, upload"))
    expect(page.get_by_label(t(lang, "Or paste the signed XML"))).to_be_hidden()
    # In development the fallback also says where the stand-in's key-picking page is (NCALAYER_URL over http).
    expect(page.locator(f'details a[href="{ncalayer.page_url}"]')).to_have_text(ncalayer.page_url)
    axe.check(page, "EDS log-in with the NCALayer button")
    challenge = page.locator("#challenge-xml").input_value()
    sign_button(page, lang).click()
    expect(page.get_by_role("button", name=t(lang, "Sign out"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/cabinet$"))
    [request] = sign_xml_requests(ncalayer)
    assert request["module"] == "kz.gov.pki.knca.commonUtils"
    storage, key_type, xml, tbs, parent = request["args"]
    assert (storage, key_type, tbs, parent) == ("PKCS12", "AUTHENTICATION", "", "")
    assert xml == challenge  # the exact document the portal prepared for this browser
    assert [r["method"] for r in ncalayer.requests] == ["getActiveTokens", "signXml"]
    assert not csp_violations(errors), errors


def test_application_signed_through_ncalayer_in_kazakh(page, app, ncalayer, live_server, axe):
    lang = "kk"
    app.config["REQUIRE_EDS_FOR_PORTAL"] = True
    application_id = draft_application(app)
    ncalayer.pick("applicant")
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{application_id}/submit")
    expect(page.get_by_role("heading", level=1)).to_have_text(t(lang, "Submit the application"))
    expect(page.locator("details summary")).to_have_text(t(lang, "Without NCALayer: download, sign, upload"))
    axe.check(page, "submit with the NCALayer button")
    page.get_by_label(t(lang, "I understand that an incomplete package gets a motivated refusal of further "
                              "consideration (п.7), and I submit it as it is")).check()
    # A double click signs once and submits once.
    sign_button(page, lang).dblclick()
    expect(page.get_by_role("status").filter(has_text=t(lang, "Your application has been accepted and registered."))
           ).to_be_visible()
    assert status_of(app, application_id) == "registered"
    assert len(sign_xml_requests(ncalayer)) == 1
    [request] = sign_xml_requests(ncalayer)
    assert request["args"][:2] == ["PKCS12", "SIGNATURE"]
    [(iin, document)] = signatures_of(app, application_id, "application")
    assert iin == applicant_iin() and b"Signature" in document


def test_position_signed_through_ncalayer_in_kazakh(page, app, ncalayer, live_server, axe):
    lang = "kk"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    ncalayer.pick("applicant")
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    field = page.get_by_label(t(lang, "Your position on the preliminary decision"))

    # Nothing typed: the portal says so next to the field, as without JavaScript; nothing reaches NCALayer.
    sign_button(page, lang).click()
    expect(page.locator("#position-error")).to_be_visible()
    assert sign_xml_requests(ncalayer) == [] and not position_of(app, case_id)

    field.fill(POSITION)
    axe.check(page, "hearing page with the NCALayer button")
    sign_button(page, lang).click()
    expect(page.get_by_role("status").filter(has_text=t(lang, "Your position has been received."))).to_be_visible()
    assert position_of(app, case_id) == POSITION
    [request] = sign_xml_requests(ncalayer)
    assert f"<text>{POSITION}</text>" in request["args"][2]
    [(iin, _document)] = signatures_of(app, case_id, "position")
    assert iin == applicant_iin()


def test_complaint_signed_through_ncalayer_in_russian(page, app, ncalayer, live_server):
    from tests.portal.factories import late_case

    lang = "ru"
    case_id = late_case(app)
    ncalayer.pick("applicant")
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/complaints/new?subject=case")
    page.get_by_label(t(lang, "What you ask for")).fill("Рассмотреть заявление по существу.")
    page.get_by_label(t(lang, "Why: the facts and your arguments")).fill("Сроки истекли, решения нет.")
    sign_button(page, lang).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("C-")
    assert len(complaints_of(app, case_id)) == 1
    [request] = sign_xml_requests(ncalayer)
    assert "Рассмотреть заявление по существу." in request["args"][2]
    [(iin, _document)] = signatures_of(app, case_id, "complaint")
    assert iin == applicant_iin()


# --- when it goes wrong ----------------------------------------------------------------------------

def test_without_ncalayer_the_page_says_where_to_get_it_and_nothing_is_sent(page, app, live_server):
    lang = "ru"
    app.config["NCALAYER_URL"] = f"ws://127.0.0.1:{closed_port()}"
    app.config["REQUIRE_EDS_FOR_PORTAL"] = True
    application_id = draft_application(app)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{application_id}/submit")
    sign_button(page, lang).click()
    alert = page.get_by_role("alert").filter(has_text=t(lang, UNAVAILABLE))
    expect(alert).to_be_visible()
    expect(alert.get_by_role("link")).to_have_attribute("href", "https://pki.gov.kz/ncalayer/")
    expect(sign_button(page, lang)).to_be_enabled()  # press it again once NCALayer runs
    expect(page).to_have_url(re.compile(rf"/applications/{application_id}/submit$"))
    assert status_of(app, application_id) == "draft"


def test_cancelled_in_ncalayer_nothing_changes(page, app, ncalayer, live_server):
    lang = "kk"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    ncalayer.pick("applicant")
    ncalayer.cancel_next()
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    page.get_by_label(t(lang, "Your position on the preliminary decision")).fill("Позиция.")
    sign_button(page, lang).click()
    expect(page.get_by_role("alert").filter(has_text=t(lang, CANCELED))).to_be_visible()
    expect(page.get_by_label(t(lang, "Your position on the preliminary decision"))).to_have_value("Позиция.")
    assert not position_of(app, case_id) and signatures_of(app, case_id, "position") == []
    assert len(sign_xml_requests(ncalayer)) == 1
    # Pressed again, it signs.
    sign_button(page, lang).click()
    expect(page.get_by_role("status").filter(has_text=t(lang, "Your position has been received."))).to_be_visible()
    assert position_of(app, case_id) == "Позиция."


def test_without_javascript_the_upload_fallback_stays_and_no_button_shows(js_disabled_page, app):
    page = js_disabled_page
    page.goto("/login/eds")
    expect(page.get_by_role("button", name=SIGN)).to_have_count(0)  # hidden: nothing would happen
    page.locator("details summary").click()
    expect(page.get_by_label("Signed XML file")).to_be_visible()


@pytest.mark.parametrize("lang", ["kk"])
def test_the_complaint_with_errors_is_shown_by_the_portal_and_nothing_is_lost(page, app, ncalayer, live_server, lang):
    from tests.portal.factories import late_case

    case_id = late_case(app)
    ncalayer.pick("applicant")
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/complaints/new?subject=case")
    page.get_by_label(t(lang, "Why: the facts and your arguments")).fill("Сроки истекли.")
    sign_button(page, lang).click()
    expect(page.locator("#demands-error")).to_be_visible()
    expect(page.get_by_label(t(lang, "Why: the facts and your arguments"))).to_have_value("Сроки истекли.")
    assert sign_xml_requests(ncalayer) == [] and complaints_of(app, case_id) == []


def test_an_ncalayer_that_does_not_answer_get_active_tokens_still_signs_with_the_key_file(page, app, ncalayer,
                                                                                         live_server, monkeypatch):
    """getActiveTokens is optional (every NCALayer signs with a key file): an error there falls back to PKCS12."""
    from portal.signatures.standin import server as standin_server

    dispatch = standin_server.StandIn._dispatch

    async def without_tokens(self, request, ws, entry):
        if request.get("method") == "getActiveTokens":
            raise standin_server.RequestError("method not found: getActiveTokens")
        return await dispatch(self, request, ws, entry)

    monkeypatch.setattr(standin_server.StandIn, "_dispatch", without_tokens)
    ncalayer.pick("applicant")
    page.goto("/login/eds")
    sign_button(page, "en").click()
    expect(page).to_have_url(re.compile(r"/cabinet$"))
    [request] = sign_xml_requests(ncalayer)
    assert request["args"][0] == "PKCS12"
