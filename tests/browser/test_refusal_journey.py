"""Journeys (b)–(d): from the clerk's queue to a signed refusal that anyone can verify.

(b) ru: the clerk filters the queue (htmx, pushed URL, the back button), checks completeness, reviews
    the demo case, keeps the ground the rules propose and sends the preliminary refusal notice.
(c) en: the applicant, booked by the notice into the time it proposed, reschedules it with the keyboard alone.
(d) ru/kk/en: the clerk records the hearing and drafts the refusal, the signatory signs it with their own key
    through NCALayer (the stand-in), and the public verification page confirms it by its number.
Each journey starts from the state the one before leaves (made through the services, see helpers).
"""
from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import Page, expect

from rules.forms import line as form_line
from tests.browser.helpers import (
    assert_complete_page,
    assert_same_page,
    certificate_name,
    demo_case_id,
    expect_language,
    log_in,
    log_out,
    make_refusable,
    mark_page,
    sign_with_ncalayer,
    t,
    to_preliminary_refusal,
)


def case_number(app, case_id: int) -> str:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.get(Application, case_id).number


def case_status(app, case_id: int) -> str:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.get(Application, case_id).status


def status_line(page: Page, lang: str, status: str):
    return expect(page.locator("#case-status")).to_contain_text(t(lang, status))


# --- (b) the clerk, in Russian ---------------------------------------------------------------------

def test_b_clerk_filters_the_queue_reviews_and_sends_the_preliminary_refusal(page, app, axe):
    lang = "ru"
    case_id = demo_case_id(app)
    make_refusable(app, case_id)
    number = case_number(app, case_id)
    log_in(page, lang, "clerk", "demo-clerk", axe)
    page.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Cases"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t(lang, "Cases"))
    expect_language(page, lang, "Apply the filters")
    axe.check(page, "queue")
    results = page.locator("#queue-results")
    expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()

    # The stage filter: htmx swaps the list and pushes a bookmarkable URL.
    mark_page(page)
    with page.expect_response(lambda r: "stage=under_review" in r.url) as swapped:
        page.get_by_label(t(lang, "Stage"), exact=True).select_option(label=t(lang, "Under review"))
    assert swapped.value.request.headers.get("hx-request") == "true"
    # The fragment's URL is also a page's: caches must keep the two apart.
    assert "hx-request" in swapped.value.headers.get("vary", "").lower()
    expect(page).to_have_url(re.compile(r"/staff/cases\?.*stage=under_review"))
    expect(results.get_by_role("cell", name=t(lang, "No cases."))).to_be_visible()
    assert_same_page(page)
    assert_complete_page(page)
    axe.check(page, "queue filtered (htmx)")

    # Back: the unfiltered list again, on a complete page (from htmx's history snapshot).
    page.go_back()
    expect(page).to_have_url(re.compile(r"/staff/cases$"))
    expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()
    assert_complete_page(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    # Forward and back again with htmx's history snapshots gone (a miss): the page comes from the server, whole.
    page.go_forward()
    expect(page).to_have_url(re.compile(r"stage=under_review"))
    page.evaluate("sessionStorage.removeItem('htmx-history-cache'); localStorage.removeItem('htmx-history-cache')")
    with page.expect_response(re.compile(r"/staff/cases$")) as restored:
        page.go_back()
    assert restored.value.status == 200 and "<header" in restored.value.text()
    expect(page).to_have_url(re.compile(r"/staff/cases$"))
    expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()
    assert_complete_page(page)

    # Filter again, leave for the case (a full page load), come back: the filtered URL is a whole page,
    # not the fragment the browser fetched for it over htmx (Vary: HX-Request).
    page.get_by_label(t(lang, "Stage"), exact=True).select_option("registered")
    expect(page).to_have_url(re.compile(r"stage=registered"))
    results.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    page.go_back()
    expect(page).to_have_url(re.compile(r"stage=registered"))
    assert_complete_page(page)
    expect(page.get_by_label(t(lang, "Stage"), exact=True)).to_have_value("registered")
    page.reload()  # a bookmarked filter: the full page, the filter kept
    assert_complete_page(page)
    expect(page.get_by_label(t(lang, "Stage"), exact=True)).to_have_value("registered")

    # The case: state data, completeness (п.7), review (п.8), the notice (п.9, п.10).
    results.get_by_role("link", name=number, exact=True).click()
    expect_language(page, lang, "Workbench")
    axe.check(page, "case (registered)")
    page.get_by_role("button", name=t(lang, "Request data from state systems")).click()
    expect(page.get_by_text(t(lang, "Development source: these answers come from test fixtures, not from the "
                                    "e-government gateway."))).to_be_visible()
    page.get_by_role("link", name=t(lang, "Check completeness (п.7)")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_text(t(lang, "the rules: not in order"))).to_have_count(0)
    axe.check(page, "completeness")
    page.get_by_role("button", name=t(lang, "Record the decision")).click()
    status_line(page, lang, "Under review")

    page.get_by_role("link", name=t(lang, "Review against the Rules (п.8)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(re.escape(t(lang, "Review against the Rules (п.8)"))))
    axe.check(page, "review")
    ground = page.locator("fieldset#ground-2")  # the rules propose ground 2: no backup in another settlement
    expect(ground).to_be_visible()
    ground.get_by_label(t(lang, "Accept"), exact=True).check()
    page.get_by_role("button", name=t(lang, "Record the review")).click()
    status_line(page, lang, "Grounds for refusal found")
    axe.check(page, "case (grounds found)")

    page.get_by_role("link", name=t(lang, "Send the preliminary decision to refuse (п.9)")).click()
    expect_language(page, lang, "Grounds for refusal")
    axe.check(page, "preliminary refusal notice")
    page.get_by_label(t(lang, "In person, at an address"), exact=True).check()
    page.get_by_label(t(lang, "Address, video link, or where the written position is sent")).fill(
        "Астана, Мәңгілік Ел 55, каб. 301")
    # The notice names the time (п.9): the first lawful time offered; the applicant is booked into it.
    page.get_by_label(t(lang, "Proposed time of the hearing (in person or by video)")).select_option(index=1)
    page.get_by_role("button", name=t(lang, "Send the notice")).click()
    status_line(page, lang, "Preliminary decision to refuse: hearing")
    expect(page.get_by_role("link", name=t(lang, "Record the hearing (п.10)"))).to_be_visible()
    axe.check(page, "case (preliminary refusal)")
    assert case_status(app, case_id) == "preliminary_refusal"
    assert len(booked_slot_of(app, case_id)) == 1  # booked into the time the notice named


# --- (c) the applicant, in English, with the keyboard only ----------------------------------------

def tab_to_slot(page: Page, limit: int = 120) -> str:
    """Press Tab until a slot's radio button has the focus; its label."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            return e && e.name === 'slot' ? e.labels[0].textContent.trim() : null; }""")
        if focused:
            return focused
    raise AssertionError("Tab never reached the slot picker")


def tab_to_button(page: Page, name: str, limit: int = 10) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName === 'BUTTON' && document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"Tab never reached the button {name!r}")


def booked_slot_of(app, case_id: int):
    from portal.extensions import db
    from portal.hearings.models import HearingSlot

    with app.app_context():
        return [s.id for s in db.session.scalars(db.select(HearingSlot).filter_by(booked_application_id=case_id))]


def test_c_applicant_reschedules_the_proposed_hearing_with_the_keyboard(page, app, axe):
    lang = "en"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)  # the notice proposed a time and booked the applicant into it (п.9)
    number = case_number(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant", axe)
    expect_language(page, lang, "Personal cabinet")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.locator("#case-status")).to_contain_text(t(lang, "Preliminary decision to refuse: hearing"))
    axe.check(page, "case with a preliminary refusal")
    page.get_by_role("link", name=t(lang, "Open the preliminary decision")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t(lang, "Preliminary decision to refuse"))
    expect(page.get_by_role("heading", name=t(lang, "Grounds for refusal"))).to_be_visible()
    axe.check(page, "hearing page")
    picker = page.locator("#slot-picker")
    slots = picker.get_by_role("radio")
    assert slots.count() >= 2, "the lawful window offers more than one slot"
    proposed_note = t(lang, "This is the time the notice proposed; you may choose another one below.")
    mark_page(page)

    # The proposed time is booked and checked: Tab into the group lands on it.
    first = tab_to_slot(page)
    expect(picker.get_by_role("radio", name=first)).to_be_checked()
    expect(picker.get_by_role("status")).to_have_text(t(lang, "Booked: %(moment)s.", moment=first) + " " + proposed_note)
    held = booked_slot_of(app, case_id)
    assert len(held) == 1

    # Reschedule: the arrow key moves to the next time, Tab to the button, Enter sends (htmx swaps the picker).
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.labels[0].textContent.trim()")
    assert second != first
    expect(picker.get_by_role("radio", name=second)).to_be_checked()
    tab_to_button(page, t(lang, "Reschedule"))
    page.keyboard.press("Enter")
    expect(picker.get_by_role("status")).to_have_text(t(lang, "Booked: %(moment)s.", moment=second))
    assert_same_page(page)
    axe.check(page, "hearing page, rescheduled (htmx)")
    moved = booked_slot_of(app, case_id)
    assert len(moved) == 1 and moved != held

    # And back to the proposed time, the same way.
    assert tab_to_slot(page) == second
    page.keyboard.press("ArrowUp")
    expect(picker.get_by_role("radio", name=first)).to_be_checked()
    tab_to_button(page, t(lang, "Reschedule"))
    page.keyboard.press("Enter")
    expect(picker.get_by_role("status")).to_have_text(t(lang, "Booked: %(moment)s.", moment=first) + " " + proposed_note)
    assert_same_page(page)
    assert booked_slot_of(app, case_id) == held

    # A reload shows the same booking and the calendar invitation.
    page.reload()
    expect(picker.get_by_role("status")).to_contain_text(t(lang, "Booked: %(moment)s.", moment=first))
    expect(page.get_by_role("link", name=t(lang, "Add to my calendar (.ics)"))).to_be_visible()


# --- (d) the hearing's record, the signature, the public check ------------------------------------

def test_d_clerk_records_the_hearing_signatory_signs_and_the_public_page_confirms(new_page, app, ncalayer, axe):
    from portal.core.clock import ALMATY

    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id, hearing_begun=True)
    number = case_number(app, case_id)

    # The clerk, in Russian: the record of the hearing, then the draft of the final decision.
    lang = "ru"
    clerk = new_page()
    log_in(clerk, lang, "clerk", "demo-clerk")
    clerk.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Cases"), exact=True).click()
    clerk.locator("#queue-results").get_by_role("link", name=number, exact=True).click()
    clerk.get_by_role("link", name=t(lang, "Record the hearing (п.10)")).click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(t(lang, "Record of the hearing"))
    expect_language(clerk, lang, "Save the record")
    axe.check(clerk, "hearing record")
    clerk.get_by_label(t(lang, "Date and time of the hearing")).fill(datetime.now(ALMATY).strftime("%d.%m.%Y %H:%M"))
    clerk.get_by_label(t(lang, "The applicant took part")).check()
    clerk.get_by_label(t(lang, "Who took part")).fill("Сейітова А. Н., Омарова Д.")
    clerk.get_by_label(t(lang, "The applicant's arguments")).fill("Резервный комплекс будет перенесён в Караганду.")
    clerk.get_by_label(t(lang, "What was examined")).fill("Договор аренды помещения.")
    clerk.get_by_label(t(lang, "The grounds for refusal are confirmed")).check()
    # The applicant stated a position: why the ground stands nevertheless (printed in the refusal).
    clerk.locator("fieldset#stands textarea#stands-2").fill(
        "Договор аренды не подтверждает размещение в другом населённом пункте на дату заслушивания.")
    clerk.get_by_role("button", name=t(lang, "Save the record")).click()
    status_line(clerk, lang, "Hearing stage over: final decision being prepared")
    axe.check(clerk, "case (hearing held)")
    clerk.get_by_role("button", name=t(lang, "Draft the final decision (п.11)")).click()
    status_line(clerk, lang, "Decision drafted: awaiting signature")
    log_out(clerk, lang)

    # The signatory, in Kazakh: the queue of decisions, the draft, the signature.
    lang = "kk"
    signatory = new_page()
    log_in(signatory, lang, "signatory", "demo-signatory")
    signatory.get_by_role("navigation", name=t(lang, "Main")).get_by_role(
        "link", name=t(lang, "Decisions to sign")).click()
    expect_language(signatory, lang, "Decisions to sign")
    axe.check(signatory, "decisions to sign")
    row = signatory.get_by_role("row").filter(has=signatory.get_by_role("link", name=number, exact=True))
    expect(row).to_contain_text(t(lang, "Motivated refusal"))
    row.get_by_role("link", name=number, exact=True).click()
    expect(signatory.get_by_role("heading", level=1)).to_contain_text(t(lang, "Sign the decision"))
    # Appendix 4's own wording (rules/data/forms), in the signatory's language.
    expect(signatory.get_by_role("heading", name=form_line("appendix_4", "reasons", lang))).to_be_visible()
    axe.check(signatory, "sign the decision")
    sign_with_ncalayer(signatory, lang, ncalayer, "signatory")  # with the signatory's own key
    expect(signatory.get_by_role("status")).to_contain_text(
        t(lang, "The decision is signed and delivered to the applicant's cabinet."))
    expect(signatory.get_by_role("cell", name=t(lang, "Nothing waits for your signature."))).to_be_visible()
    assert case_status(app, case_id) == "refused"
    decision_number = refusal_number(app, case_id)

    # Anyone, in English, without an account: the verification page by the decision's number.
    lang = "en"
    public = new_page()
    public.goto("/verify/number")
    public.get_by_role("link", name="English", exact=True).click()
    expect_language(public, lang, "Check a decision by its number")
    axe.check(public, "verification by number")
    public.get_by_label(t(lang, "Registration number")).fill(decision_number)
    public.get_by_role("button", name=t(lang, "Check"), exact=True).click()
    expect(public).to_have_url(re.compile(r"/verify/number\?number=" + re.escape(decision_number)))
    expect(public.get_by_role("heading", name=t(lang, "The document is genuine"))).to_be_visible()
    found = public.locator("dl.summary")
    expect(found).to_contain_text(t(lang, "Motivated refusal") + " № " + decision_number)
    expect(found).not_to_contain_text("210640005550")  # whom the provider refused is not published
    expect(found).to_contain_text(certificate_name("signatory"))  # from the certificate that signed it
    axe.check(public, "verification result")


def refusal_number(app, case_id: int) -> str:
    from portal.decisions.models import Decision
    from portal.extensions import db

    with app.app_context():
        decision = db.session.scalar(db.select(Decision).filter_by(application_id=case_id))
        assert decision.kind == "refusal" and decision.status == "signed" and decision.number
        return decision.number
