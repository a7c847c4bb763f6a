"""What the outside walkthrough of issue 16 checks and no other browser test did, with JavaScript on.

- The back button after an htmx navigation of the public register (a search swapped in, its URL pushed) gives back
  a whole page, from htmx's history snapshot and, with the snapshot gone, from the server; never a fragment.
  (The staff queue's filters are checked the same way in test_refusal_journey.py.)
- The clerk and the applicant read the same dates of the same case: every term's last day and last moment, the
  day each term's band says, the hearing's time, and the result's due date in the applicant's cabinet. The two
  read different languages (kk and ru): dates are dd.MM.yyyy HH:mm in every language, so they compare as written.

The no-JavaScript submission of the application is test_applicant_journey.py's second test (the whole journey,
form, documents and submission, with java_script_enabled=False).
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import (assert_complete_page, assert_same_page, demo_case_id, log_in, mark_page, t,
                                   to_preliminary_refusal, to_signed_certificate)

DATES = re.compile(r"\d{2}\.\d{2}\.\d{4}(?: \d{2}:\d{2})?")


def test_back_after_an_htmx_search_of_the_register_gives_a_whole_page(page, app):
    lang = "ru"
    number = to_signed_certificate(app, demo_case_id(app))
    page.goto("/register")
    page.get_by_role("navigation", name=t("en", "Language")).get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    results = page.locator("#register-results")
    expect(results.get_by_text(number)).to_be_visible()
    mark_page(page)
    page.get_by_label(t(lang, "Pool, organisation, BIN or certificate number")).fill("no such pool")
    with page.expect_response(lambda r: "q=no" in r.url) as swapped:
        page.get_by_role("button", name=t(lang, "Search"), exact=True).click()
    assert swapped.value.request.headers.get("hx-request") == "true"
    expect(page).to_have_url(re.compile(r"/register\?.*q=no"))
    expect(results.get_by_text(number)).to_have_count(0)
    assert_same_page(page)

    page.go_back()  # htmx's snapshot of the page before the search
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(results.get_by_text(number)).to_be_visible()
    assert_complete_page(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)

    page.go_forward()
    expect(page).to_have_url(re.compile(r"q=no"))
    page.evaluate("sessionStorage.removeItem('htmx-history-cache'); localStorage.removeItem('htmx-history-cache')")
    with page.expect_response(re.compile(r"/register$")) as restored:
        page.go_back()  # no snapshot: the server's whole page
    assert restored.value.status == 200 and "<header" in restored.value.text()
    expect(results.get_by_text(number)).to_be_visible()
    assert_complete_page(page)

    page.go_forward()  # the searched URL itself, from the browser: a whole page, not the fragment fetched for it
    expect(page).to_have_url(re.compile(r"q=no"))
    page.reload()
    assert_complete_page(page)
    expect(page.get_by_label(t(lang, "Pool, organisation, BIN or certificate number"))).to_have_value("no such pool")


def terms_of(page: Page) -> list[list[str]]:
    """The dates of each row of the case's table of terms ("Last day", and "until" its last moment)."""
    rows = page.locator("table.deadlines tbody tr")
    return [DATES.findall(rows.nth(i).locator("td").nth(1).inner_text()) for i in range(rows.count())]


def bands_of(page: Page) -> list[list[str]]:
    """Each term of the day-by-day timeline: its id, its last day as written and as the <time> says."""
    return page.evaluate("""() => [...document.querySelectorAll('#day-timeline li.term')].map(li => [
        li.querySelector('.term-title').id, li.querySelector('time').getAttribute('datetime'),
        li.querySelector('time').textContent.trim()])""")


def test_the_clerk_reads_the_same_dates_as_the_applicant(new_page, app):
    from portal.applications.models import Application
    from portal.core.i18n import official_date, official_datetime
    from portal.deadlines.models import Deadline
    from portal.extensions import db
    from portal.hearings.services import booked_slot

    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)  # terms of review, service, the hearing's; a booked hearing
    with app.app_context():
        case = db.session.get(Application, case_id)
        number, hearing = case.number, official_datetime(booked_slot(case).starts_at)
        service = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="service",
                                                                  complaint_id=None))
        service_id, service_due = service.id, official_date(service.due_date)

    applicant, clerk = new_page(), new_page()
    log_in(applicant, "kk", "applicant", "demo-applicant")
    log_in(clerk, "ru", "clerk", "demo-clerk")
    for page in (applicant, clerk):
        page.goto(f"/applications/{case_id}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    terms = terms_of(applicant)
    assert len(terms) >= 3 and all(terms), terms
    assert terms_of(clerk) == terms
    bands = bands_of(applicant)
    assert bands_of(clerk) == bands and [f"term-{service_id}", service.due_date.isoformat(), service_due] in bands

    for page in (applicant, clerk):
        page.goto(f"/applications/{case_id}/hearing")
        expect(page.locator("#hearing-time")).to_contain_text(hearing)

    applicant.goto("/cabinet")
    row = applicant.locator("tr", has=applicant.get_by_role("link", name=number, exact=True))
    expect(row.locator("td").nth(4)).to_have_text(service_due)  # "Result due": the service term's last day
