"""Decisions signed by the official from the page, through NCALayer (issue 13 items 1 and 2).

The signatory signs the final decision (п.11) and the authority's official its decision on a complaint (п.19)
with their own signing key: "Sign with NCALayer" sends the XML the portal prepared to NCALayer's signXml (here the
stand-in, the `ncalayer` fixture), and the form posts what NCALayer returns. Then what officials get wrong, with
JavaScript on: the wrong key picked in NCALayer, a field left empty, the NCALayer dialog closed, a double click.
In Kazakh and in Russian.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    LANGUAGE_LINKS,
    certificate_name,
    demo_case_id,
    expect_language,
    log_in,
    ncalayer_button,
    sign_with_ncalayer,
    sign_xml_requests,
    t,
    to_drafted_certificate,
)

SIGNED = "The decision is signed and delivered to the applicant's cabinet."
AUTHORITY_SIGNED = "The decision was signed and sent to the applicant."
NOT_YOURS = ("The document was signed with another person's certificate. Sign it with your own signing key; "
             "nothing was signed.")
CANCELED = "Signing cancelled. Nothing was sent."
REASONS = "Өтініш Қағидаларда белгіленген мерзімде қаралмаған."
REMEDY = "Өтінішті 5 жұмыс күні ішінде мәні бойынша қарау."


def iin_of(username: str) -> str:
    from portal.demo.data import iin_of

    return iin_of(username)


def choose_language(page: Page, lang: str) -> None:
    page.get_by_role("link", name=LANGUAGE_LINKS[lang], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


# --- the database ----------------------------------------------------------------------------------

def decision_row(app, decision_id: int) -> dict:
    from portal.decisions.models import Decision
    from portal.extensions import db
    from portal.signatures.models import Signature

    with app.app_context():
        row = db.session.get(Decision, decision_id)
        signatures = db.session.scalars(db.select(Signature.signer_iin).filter_by(
            application_id=row.application_id, purpose="decision")).all()
        return {"status": row.status, "number": row.number, "signer": row.signer, "kind": row.kind,
                "case_status": row.application.status, "case_number": row.application.number,
                "signatures": list(signatures)}


def complaint_at_authority(app) -> tuple[int, str]:
    """A complaint about the provider's inaction on a late case, addressed to the authority (п.19); id, number."""
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.complaints import services as complaints
    from portal.extensions import db
    from tests.portal.factories import late_case

    case_id = late_case(app)
    with app.app_context(), app.test_request_context():
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        complaint, _created = complaints.file_complaint(
            db.session.get(Application, case_id), owner,
            {"subject": "case", "addressee": "authority", "demands": "Рассмотреть заявление по существу.",
             "arguments": "Срок истёк, решения нет."})
        db.session.commit()
        assert complaint.status == "at_authority", complaint.status
        return complaint.id, complaint.number


def complaint_row(app, complaint_id: int) -> dict:
    from portal.complaints.models import Complaint
    from portal.extensions import db
    from portal.signatures.models import Signature

    with app.app_context():
        row = db.session.get(Complaint, complaint_id)
        signatures = db.session.scalars(db.select(Signature.signer_iin).filter_by(
            application_id=row.application_id, purpose="complaint_decision")).all()
        return {"status": row.status, "outcome": row.outcome, "reasons": row.reasons, "remedy": row.remedy,
                "remedy_due": row.remedy_due, "number": row.decision_number, "signer": row.decision_signer,
                "document": row.decision_document, "signatures": list(signatures)}


def assert_not_decided(app, complaint_id: int) -> None:
    row = complaint_row(app, complaint_id)
    assert row["status"] == "at_authority" and row["outcome"] is None and row["number"] is None, row
    assert row["document"] is None and row["signer"] is None and row["signatures"] == [], row


def assert_nothing_issued(app, decision_id: int) -> None:
    row = decision_row(app, decision_id)
    assert row["status"] == "drafted" and row["signer"] is None and row["signatures"] == [], row
    assert row["case_status"] != "certificate_issued", row


# --- the pages -------------------------------------------------------------------------------------

def open_decision_to_sign(page: Page, lang: str, case_number: str) -> None:
    """From the menu: the decisions waiting for the signature, then the case's one."""
    page.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Decisions to sign")).click()
    expect_language(page, lang, "Decisions to sign")
    page.get_by_role("link", name=case_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t(lang, "Sign the decision"))


def open_complaint(page: Page, lang: str, complaint_number: str) -> None:
    page.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Complaints"),
                                                                       exact=True).click()
    page.get_by_role("link", name=complaint_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(complaint_number)
    expect(page.get_by_role("heading", name=t(lang, "Decision of the quality-control authority (п.19)"))
           ).to_be_visible()


def fill_authority_decision(page: Page, lang: str, outcome: str | None, reasons: str = REASONS,
                            remedy: str | None = None, due: date | None = None) -> None:
    """The authority's form (id="authority-decision"); outcome is the label of the choice, None = left out."""
    form = page.locator("form#authority-decision")
    if outcome:
        form.get_by_label(t(lang, outcome), exact=True).check()
    form.get_by_label(t(lang, "Reasons (for a complaint left without consideration: why)")).fill(reasons)
    if remedy is not None:
        form.get_by_label(t(lang, "What the provider must do")).fill(remedy)
    if due is not None:
        form.get_by_label(t(lang, "By when")).fill(due.isoformat())  # a date picker


def refusal_shown(page: Page, lang: str, message: str) -> None:
    """The portal's refusal, announced at the top and written next to the signed-document field below the button."""
    expect(page.get_by_role("alert").filter(has_text=t(lang, message)).first).to_be_visible()
    beside = page.locator("#signed_text-error")
    expect(beside).to_be_visible()
    expect(beside).to_contain_text(t(lang, message))
    expect(ncalayer_button(page, lang)).to_be_enabled()  # press it again with the right key


# --- the signatory: the final decision (п.11) ------------------------------------------------------

def test_the_signatory_signs_the_certificate_from_the_page_and_the_public_check_names_them(new_page, app, ncalayer,
                                                                                            axe):
    case_id = demo_case_id(app)
    decision_id = to_drafted_certificate(app, case_id)
    case_number = decision_row(app, decision_id)["case_number"]

    lang = "kk"
    page = new_page()
    log_in(page, lang, "signatory", "demo-signatory")
    open_decision_to_sign(page, lang, case_number)
    expect(page.locator("details summary")).to_have_text(t(lang, "Without NCALayer: download, sign, upload"))
    axe.check(page, "sign the certificate, with the NCALayer button")
    prepared = page.request.get(f"/staff/decisions/{decision_id}/document-to-sign.xml").text()

    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("status").filter(has_text=t(lang, SIGNED))).to_be_visible()
    expect(page.get_by_role("cell", name=t(lang, "Nothing waits for your signature."))).to_be_visible()
    # NCALayer was asked to sign, with the signing key, exactly the document the portal prepared for today.
    [request] = sign_xml_requests(ncalayer)
    assert request["module"] == "kz.gov.pki.knca.commonUtils"
    assert request["args"] == ["PKCS12", "SIGNATURE", prepared, "", ""]
    row = decision_row(app, decision_id)
    assert row["status"] == "signed" and row["kind"] == "certificate" and row["case_status"] == "certificate_issued"
    assert row["signer"]["iin"] == iin_of("signatory") and row["signer"]["name"] == certificate_name("signatory")
    assert row["signatures"] == [iin_of("signatory")]
    number, serial, body_bin = row["number"], row["signer"]["serial"], row["signer"]["bin"]
    assert body_bin == app.config["PROVIDER_BIN"]

    # The case says the certificate is issued; the decision carries the EDS stamp of the person who signed.
    page.goto(f"/applications/{case_id}")
    expect(page.locator("#case-status")).to_contain_text(t(lang, "The accreditation certificate has been issued."))
    page.locator("#case-status").get_by_role("link", name=t(lang, "Open the decision")).click()
    stamp = page.locator(".eds-stamp")
    expect(stamp).to_contain_text(certificate_name("signatory"))
    expect(stamp).to_contain_text(iin_of("signatory"))
    expect(stamp).to_contain_text(serial)
    axe.check(page, "the signed certificate with its EDS stamp")

    # Anyone, in Russian, without an account: the public check by the number names the signatory from the
    # certificate (name, body and BIN, certificate number); the official's IIN is not published.
    lang = "ru"
    public = new_page()
    public.goto("/verify/number")
    choose_language(public, lang)
    expect_language(public, lang, "Check a decision by its number")
    public.get_by_label(t(lang, "Registration number")).fill(number)
    public.get_by_role("button", name=t(lang, "Check"), exact=True).click()
    expect(public).to_have_url(re.compile(r"/verify/number\?number=" + re.escape(number)))
    expect(public.get_by_role("heading", name=t(lang, "The document is genuine"))).to_be_visible()
    found = public.locator("dl.summary")
    expect(found).to_contain_text(t(lang, "Accreditation certificate") + " № " + number)
    expect(found).to_contain_text(certificate_name("signatory"))
    expect(found).to_contain_text(t(lang, "certificate № %(serial)s", serial=serial))
    expect(found).to_contain_text(body_bin)
    expect(found).not_to_contain_text(iin_of("signatory"))
    axe.check(public, "public check of the certificate")


def test_the_clerks_key_is_refused_beside_the_button_and_the_signatorys_own_key_then_signs(page, app, ncalayer,
                                                                                             axe):
    lang = "ru"
    case_id = demo_case_id(app)
    decision_id = to_drafted_certificate(app, case_id)
    log_in(page, lang, "signatory", "demo-signatory")
    open_decision_to_sign(page, lang, decision_row(app, decision_id)["case_number"])

    # NCALayer holds the clerk's key (another person of the same body): it signs, the portal refuses.
    sign_with_ncalayer(page, lang, ncalayer, "clerk")
    refusal_shown(page, lang, NOT_YOURS)
    expect(page).to_have_url(re.compile(rf"/staff/decisions/{decision_id}$"))
    assert len(sign_xml_requests(ncalayer)) == 1
    assert_nothing_issued(app, decision_id)
    axe.check(page, "decision refused: another person's key")

    # The signatory's own key: issued.
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("status").filter(has_text=t(lang, SIGNED))).to_be_visible()
    assert len(sign_xml_requests(ncalayer)) == 2
    row = decision_row(app, decision_id)
    assert row["status"] == "signed" and row["case_status"] == "certificate_issued"
    assert row["signer"]["iin"] == iin_of("signatory") and row["signatures"] == [iin_of("signatory")]


def test_the_signatory_cancels_in_ncalayer_and_nothing_changes(page, app, ncalayer):
    lang = "kk"
    case_id = demo_case_id(app)
    decision_id = to_drafted_certificate(app, case_id)
    log_in(page, lang, "signatory", "demo-signatory")
    open_decision_to_sign(page, lang, decision_row(app, decision_id)["case_number"])

    ncalayer.cancel_next()  # the signatory closes NCALayer's dialog
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("alert").filter(has_text=t(lang, CANCELED))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/staff/decisions/{decision_id}$"))
    expect(ncalayer_button(page, lang)).to_be_enabled()
    assert len(sign_xml_requests(ncalayer)) == 1
    assert_nothing_issued(app, decision_id)

    # Pressed again, it signs.
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("status").filter(has_text=t(lang, SIGNED))).to_be_visible()
    assert decision_row(app, decision_id)["status"] == "signed"


# --- the authority's official: the decision on a complaint (п.19) ----------------------------------

def test_the_authoritys_official_satisfies_the_complaint_and_signs_once_on_a_double_click(page, app, ncalayer,
                                                                                          axe):
    lang = "ru"
    complaint_id, complaint_number = complaint_at_authority(app)
    log_in(page, lang, "authority", "demo-authority")
    open_complaint(page, lang, complaint_number)
    axe.check(page, "the authority's decision form, with the NCALayer button")
    due = date.today() + timedelta(days=14)
    fill_authority_decision(page, lang, "Satisfied", REASONS, REMEDY, due)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/authority-decision")
            else None)

    # An impatient double click: one signature, one decision.
    sign_with_ncalayer(page, lang, ncalayer, "authority", double_click=True)
    expect(page.get_by_role("status").filter(has_text=t(lang, AUTHORITY_SIGNED))).to_be_visible()
    assert len(sign_xml_requests(ncalayer)) == 1 and len(posts) == 1, posts
    [request] = sign_xml_requests(ncalayer)
    assert request["args"][:2] == ["PKCS12", "SIGNATURE"] and request["args"][3:] == ["", ""]
    assert REASONS in request["args"][2] and REMEDY in request["args"][2]  # the fields, as typed, are what is signed

    row = complaint_row(app, complaint_id)
    assert row["status"] == "decided" and row["outcome"] == "satisfied", row
    assert row["reasons"] == REASONS and row["remedy"] == REMEDY and row["remedy_due"] == due
    assert row["number"].startswith("QC-") and row["signatures"] == [iin_of("authority")]
    assert row["signer"]["iin"] == iin_of("authority") and row["signer"]["bin"] == app.config["AUTHORITY_BIN"]

    # The complaint shows the decision and the EDS stamp of the official, from the certificate.
    decision = page.locator("section.decision")
    expect(decision).to_contain_text(t(lang, "Satisfied"))
    expect(decision).to_contain_text(REMEDY)
    expect(decision).to_contain_text(row["number"])
    stamp = decision.locator(".eds-stamp")
    expect(stamp).to_contain_text(certificate_name("authority"))
    expect(stamp).to_contain_text(iin_of("authority"))
    expect(stamp).to_contain_text(app.config["AUTHORITY_BIN"])
    expect(stamp).to_contain_text(row["signer"]["serial"])
    expect(page.locator("form#authority-decision")).to_have_count(0)  # decided: nothing more to sign
    axe.check(page, "the authority's decision signed, with its EDS stamp")


def test_the_signatorys_key_is_refused_for_the_authority_and_the_officials_own_key_then_signs(page, app, ncalayer,
                                                                                                axe):
    lang = "kk"
    complaint_id, complaint_number = complaint_at_authority(app)
    log_in(page, lang, "authority", "demo-authority")
    open_complaint(page, lang, complaint_number)
    fill_authority_decision(page, lang, "Not satisfied", REASONS)

    # NCALayer holds the provider's signatory's key: the portal refuses it, keeps what was typed.
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    refusal_shown(page, lang, NOT_YOURS)
    form = page.locator("form#authority-decision")
    expect(form.get_by_label(t(lang, "Not satisfied"), exact=True)).to_be_checked()
    expect(form.get_by_label(t(lang, "Reasons (for a complaint left without consideration: why)"))
           ).to_have_value(REASONS)
    assert_not_decided(app, complaint_id)
    axe.check(page, "the authority's decision refused: another person's key")

    # The official's own key: decided, refused with the reasons, no remedy.
    sign_with_ncalayer(page, lang, ncalayer, "authority")
    expect(page.get_by_role("status").filter(has_text=t(lang, AUTHORITY_SIGNED))).to_be_visible()
    row = complaint_row(app, complaint_id)
    assert row["outcome"] == "refused" and row["reasons"] == REASONS and not row["remedy"], row
    assert row["signatures"] == [iin_of("authority")] and row["signer"]["iin"] == iin_of("authority")
    expect(page.locator("section.decision")).to_contain_text(t(lang, "Not satisfied"))
    expect(page.locator("section.decision .eds-stamp")).to_contain_text(certificate_name("authority"))


def test_the_authoritys_form_without_an_outcome_shows_the_error_and_never_asks_ncalayer(page, app, ncalayer, axe):
    lang = "kk"
    complaint_id, complaint_number = complaint_at_authority(app)
    log_in(page, lang, "authority", "demo-authority")
    open_complaint(page, lang, complaint_number)
    fill_authority_decision(page, lang, None, REASONS)  # the decision itself left out

    sign_with_ncalayer(page, lang, ncalayer, "authority")
    outcome = page.locator("fieldset#outcome")
    expect(outcome.locator(".error-message")).to_be_visible()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("form#authority-decision").get_by_label(
        t(lang, "Reasons (for a complaint left without consideration: why)"))).to_have_value(REASONS)
    assert sign_xml_requests(ncalayer) == [] and ncalayer.requests == []  # NCALayer never asked
    assert_not_decided(app, complaint_id)
    axe.check(page, "the authority's decision with a missing choice")

    # The choice made, it signs from the same page.
    page.locator("form#authority-decision").get_by_label(t(lang, "Not satisfied"), exact=True).check()
    sign_with_ncalayer(page, lang, ncalayer, "authority")
    expect(page.get_by_role("status").filter(has_text=t(lang, AUTHORITY_SIGNED))).to_be_visible()
    assert complaint_row(app, complaint_id)["outcome"] == "refused"


def test_the_authoritys_official_cancels_in_ncalayer_and_nothing_changes(page, app, ncalayer):
    lang = "ru"
    complaint_id, complaint_number = complaint_at_authority(app)
    log_in(page, lang, "authority", "demo-authority")
    open_complaint(page, lang, complaint_number)
    due = date.today() + timedelta(days=10)
    fill_authority_decision(page, lang, "Partly satisfied", REASONS, REMEDY, due)

    ncalayer.cancel_next()
    sign_with_ncalayer(page, lang, ncalayer, "authority")
    expect(page.get_by_role("alert").filter(has_text=t(lang, CANCELED))).to_be_visible()
    form = page.locator("form#authority-decision")
    expect(form.get_by_label(t(lang, "Partly satisfied"), exact=True)).to_be_checked()
    expect(form.get_by_label(t(lang, "What the provider must do"))).to_have_value(REMEDY)
    assert len(sign_xml_requests(ncalayer)) == 1
    assert_not_decided(app, complaint_id)

    sign_with_ncalayer(page, lang, ncalayer, "authority")
    expect(page.get_by_role("status").filter(has_text=t(lang, AUTHORITY_SIGNED))).to_be_visible()
    row = complaint_row(app, complaint_id)
    assert row["outcome"] == "partly_satisfied" and row["remedy"] == REMEDY and row["remedy_due"] == due
