"""At 360 × 740 (a small phone): the pages of the journeys fit the screen's width and their main buttons show.

Each page is checked as the journeys reach it, in the journey's language: the document is never wider than the
screen (document.documentElement.scrollWidth <= 360, so nothing needs sideways scrolling), every button of the
page lies inside the screen's width, and the page's primary action is visible.
"""
from __future__ import annotations

from datetime import datetime

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    PHONE,
    SIGN_WITH_NCALAYER,
    assert_complete_page,
    assert_fits_the_width,
    assert_on_screen,
    demo_case_id,
    log_in,
    log_out,
    make_refusable,
    sign_with_ncalayer,
    t,
    to_preliminary_refusal,
)


def phone(new_page) -> Page:
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def check(page: Page, path: str, lang: str, *primary: str) -> None:
    """Open `path` (or stay, when None) and check the width, every button, and each primary action by name."""
    if path:
        page.goto(path)
    assert_complete_page(page)
    assert_fits_the_width(page)
    outside = page.evaluate("""w => [...document.querySelectorAll('main .button, main button, main input[type=submit]')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim() || e.value, e.getBoundingClientRect()])
        .filter(([, r]) => r.left < 0 || r.right > w + 0.5).map(([name, r]) => name + ' ' + Math.round(r.right))""",
                            PHONE["width"])
    assert not outside, f"{page.url}: buttons outside the screen: {outside}"
    main = page.get_by_role("main")
    for name in primary:
        label = t(lang, name)
        control = main.get_by_role("button", name=label, exact=True).or_(main.get_by_role("link", name=label, exact=True))
        assert_on_screen(page, control.first)


def draft_id(app) -> int:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(Application.id).filter_by(status="draft"))


def test_the_public_pages_and_the_applicants_fit_a_phone(new_page, app):
    lang = "kk"
    page = phone(new_page)
    case_id, draft = demo_case_id(app), draft_id(app)
    check(page, "/", "en", "Sign in")
    check(page, "/register", "en", "Search")
    check(page, "/verify", "en", "Check the signature")
    check(page, "/verify/number", "en", "Check")
    log_in(page, lang, "applicant", "demo-applicant")
    check(page, "/cabinet", lang, "Apply for accreditation")
    check(page, f"/applications/{draft}/edit", lang, "Save draft")
    check(page, f"/applications/{draft}/documents", lang, "Upload", "Continue to submission")
    check(page, f"/applications/{draft}/submit", lang)
    check(page, f"/applications/{case_id}", lang)  # the deadlines day by day among them


def test_the_clerks_pages_fit_a_phone(new_page, app):
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.extensions import db
    from portal.review import services as review

    lang = "ru"
    case_id = demo_case_id(app)
    make_refusable(app, case_id)
    page = phone(new_page)
    log_in(page, lang, "clerk", "demo-clerk")
    check(page, "/staff/cases", lang, "Apply the filters")
    check(page, f"/applications/{case_id}", lang, "Request data from state systems", "Check completeness (п.7)")
    check(page, f"/staff/cases/{case_id}/completeness", lang, "Record the decision")
    check(page, "/staff/paper", lang, "Continue")
    check(page, "/staff/deadlines", lang)
    with app.app_context(), app.test_request_context():
        case = db.session.get(Application, case_id)
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        review.decide_completeness(case, clerk, [], "", None)
        db.session.commit()
    check(page, f"/staff/cases/{case_id}/review", lang, "Record the review")
    page.locator("fieldset#ground-2").get_by_label(t(lang, "Accept"), exact=True).check()
    page.get_by_role("button", name=t(lang, "Record the review")).click()
    check(page, None, lang, "Send the preliminary decision to refuse (п.9)")
    check(page, f"/staff/cases/{case_id}/preliminary-refusal", lang, "Send the notice")


def test_the_hearing_and_the_decision_fit_a_phone(new_page, app, ncalayer):
    from portal.core.clock import ALMATY
    from portal.decisions.models import Decision
    from portal.extensions import db

    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    lang = "en"
    page = phone(new_page)
    log_in(page, lang, "applicant", "demo-applicant")
    check(page, f"/applications/{case_id}", lang, "Open the preliminary decision")
    check(page, f"/applications/{case_id}/hearing", lang, "Reschedule")  # booked into the time the notice named
    log_out(page, lang)

    from tests.portal.factories import hearing_window_over

    hearing_window_over(app, case_id)  # nothing booked: recorded once the window is over
    lang = "ru"
    log_in(page, lang, "clerk", "demo-clerk")
    check(page, f"/staff/cases/{case_id}/hearing-record", lang, "Save the record")
    page.get_by_label(t(lang, "Date and time of the hearing")).fill(datetime.now(ALMATY).strftime("%d.%m.%Y %H:%M"))
    page.get_by_label(t(lang, "The grounds for refusal are confirmed")).check()
    page.get_by_role("button", name=t(lang, "Save the record")).click()
    check(page, None, lang, "Draft the final decision (п.11)")
    page.get_by_role("button", name=t(lang, "Draft the final decision (п.11)")).click()
    log_out(page, lang)

    lang = "kk"
    log_in(page, lang, "signatory", "demo-signatory")
    check(page, "/staff/decisions", lang)
    with app.app_context():
        decision_id = db.session.scalar(db.select(Decision.id).filter_by(application_id=case_id))
    check(page, f"/staff/decisions/{decision_id}", lang, SIGN_WITH_NCALAYER)
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("status")).to_contain_text(
        t(lang, "The decision is signed and delivered to the applicant's cabinet."))
    log_out(page, lang)

    lang = "en"
    log_in(page, lang, "applicant", "demo-applicant")
    check(page, f"/applications/{case_id}/decision", lang, "Download as PDF", "Print the decision")
