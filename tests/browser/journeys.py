"""Journeys other browser tests (and the production check) reuse: filing an application in Kazakh."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import PDF, assert_same_page, expect_language, log_in, mark_page, t


LANG = "kk"
WRONG_BIN, GOOD_BIN = "210640005551", "210640005550"


def fill_application(page: Page) -> None:
    """Appendix 1, as an applicant types it (the legal entity's name, BIN and address come pre-filled)."""
    expect(page.get_by_label(t(LANG, "Full name of the legal entity"))).to_have_value(re.compile("Altyn Hash"))
    page.get_by_label(t(LANG, "Name of the digital mining pool")).fill("Altyn Hash Kazakhstan")
    main = page.get_by_role("group", name=t(LANG, "Main hardware-software complex (п.4 subparagraphs 1 and 4)"))
    main.get_by_label(t(LANG, "Settlement"), exact=True).fill("Астана")
    main.get_by_label(t(LANG, "Address"), exact=True).fill("ул. Сығанақ, 10")
    main.get_by_label(t(LANG, "Communication provider of the first channel")).fill("Kazakhtelecom")
    main.get_by_label(t(LANG, "Communication provider of the second channel")).fill("Transtelecom")
    backup = page.get_by_role("group", name=t(LANG, "Backup complex %(n)d", n=1), exact=True)
    backup.get_by_label(t(LANG, "Settlement"), exact=True).fill("Қарағанды")
    backup.get_by_label(t(LANG, "Address"), exact=True).fill("ул. Ерубаева, 1")
    backup.get_by_label(t(LANG, "Communication provider of the first channel")).fill("Kazakhtelecom")
    backup.get_by_label(t(LANG, "Communication provider of the second channel")).fill("Beeline")
    page.get_by_label(t(LANG, "The pool's information system has 24/7 technical support and client requests")).check()
    languages = page.get_by_role("group", name=t(LANG, "Languages of the pool's user interface"))
    for language in ("Kazakh", "Russian", "English"):
        languages.get_by_label(t(LANG, language), exact=True).check()
    page.get_by_label(t(LANG, "Number of the information-security test act")).fill("ИБ-2026/301")
    page.get_by_label(t(LANG, "Date of the information-security test act")).fill("2026-10-01")  # a date picker
    page.get_by_label(t(LANG, "The pool is integrated with the state service for control of access to personal data")).check()
    page.get_by_label(t(LANG, "I consent to the use of information constituting secrets protected by law contained "
                              "in information systems")).check()
    page.get_by_label(t(LANG, "I consent to the collection and processing of personal data under the Law on personal "
                              "data and their protection")).check()


def bin_field(page: Page):
    return page.get_by_label(t(LANG, "BIN"), exact=True)


def type_bin(page: Page, value: str) -> None:
    field = bin_field(page)
    field.select_text()
    field.press("Backspace")
    field.press_sequentially(value, delay=20)


def attach_every_document(page: Page, js: bool, axe=None) -> None:
    """Upload a small PDF for each missing item of the checklist, watching it update."""
    missing = page.locator("li.checklist-item.missing")
    count = missing.count()
    assert count >= 2, "the portal list of Appendix 2 item 8 asks for attachments"
    while count:
        item = missing.first
        item_id = item.get_attribute("id")
        item.get_by_label(t(LANG, "File"), exact=True).set_input_files(
            {"name": "document.pdf", "mimeType": "application/pdf", "buffer": PDF})
        item.get_by_role("button", name=t(LANG, "Upload")).click()
        expect(missing).to_have_count(count - 1)
        done = page.locator(f"li#{item_id}")
        expect(done).to_have_class(re.compile(r"\bdone\b"))
        expect(done.get_by_role("link", name="document.pdf")).to_be_visible()
        if js:
            assert_same_page(page)  # htmx swapped the checklist in place
            if axe and count == 3:
                axe.check(page, "documents after an htmx upload")
        count -= 1
    expect(page.get_by_role("status").filter(has_text=t(LANG, "Every document of the list is attached."))).to_be_visible()


def file_application(page: Page, app, js: bool, axe=None) -> str:
    """The whole journey; returns the registration number."""
    check = axe.check if axe else (lambda *a, **k: None)
    log_in(page, LANG, "applicant", "demo-applicant", axe)
    expect_language(page, LANG, "Personal cabinet")
    check(page, "cabinet")
    page.get_by_role("button", name=t(LANG, "Apply for accreditation")).click()

    # 1. The application form.
    expect(page.get_by_role("heading", level=1)).to_have_text(t(LANG, "Application for accreditation of a digital mining pool"))
    expect_language(page, LANG, "Save draft")
    check(page, "application form")
    fill_application(page)
    if js:
        mark_page(page)
        type_bin(page, WRONG_BIN)  # htmx asks /applications/check-bin as the person types
        feedback = page.locator("#bin-feedback")
        # The answer is announced (a live region) and is part of the field's description.
        expect(feedback).to_have_attribute("aria-live", "polite")
        expect(bin_field(page)).to_have_attribute("aria-describedby", re.compile(r"\bbin-feedback\b"))
        expect(feedback).to_contain_text(t(LANG, "This BIN is not valid: its check digit does not match. Check for a typo."))
        check(page, "application form with the inline BIN error")
        type_bin(page, GOOD_BIN)
        expect(feedback).to_contain_text(t(LANG, "The BIN's check digit is correct."))
        assert_same_page(page)
    else:
        bin_field(page).fill(WRONG_BIN)
        page.get_by_role("button", name=t(LANG, "Save and continue to documents")).click()
        summary = page.get_by_role("alert")
        error = t(LANG, "This BIN is not valid: its check digit does not match. Check for a typo.")
        expect(summary).to_contain_text(t(LANG, "There is a problem"))
        expect(summary.get_by_role("link", name=re.compile(re.escape(error[:30])))).to_have_attribute("href", "#bin")
        expect(bin_field(page)).to_have_attribute("aria-invalid", "true")
        expect(bin_field(page)).to_have_attribute("aria-describedby", re.compile(r"\bbin-error\b"))
        expect(page.locator("#bin-error")).to_contain_text(error)
        # Nothing typed is lost on the page that answers the error.
        expect(page.get_by_label(t(LANG, "Name of the digital mining pool"))).to_have_value("Altyn Hash Kazakhstan")
        bin_field(page).fill(GOOD_BIN)
    page.get_by_role("button", name=t(LANG, "Save and continue to documents")).click()

    # 2. Documents.
    expect(page.get_by_role("heading", level=1)).to_have_text(t(LANG, "Documents"))
    expect_language(page, LANG, "Continue to submission")
    check(page, "documents")
    if js:
        mark_page(page)
    attach_every_document(page, js, axe)
    check(page, "documents, all attached")
    page.get_by_role("link", name=t(LANG, "Continue to submission")).click()

    # 3. Submit.
    expect(page.get_by_role("heading", level=1)).to_have_text(t(LANG, "Submit the application"))
    check(page, "submit")
    page.get_by_role("button", name=t(LANG, "Submit the application")).click()
    expect(page.get_by_role("status").filter(has_text=t(LANG, "Your application has been accepted and registered."))
           ).to_be_visible()
    number = re.search(r"\d{4}-\d{6}", page.get_by_role("heading", level=1).inner_text()).group(0)
    expect_language(page, LANG, "Timeline")
    expect(page.get_by_role("region", name=t(LANG, "Application"), exact=True)).to_contain_text("ИБ-2026/301 01.10.2026")
    check(page, "case page after submission")

    # The cabinet: the registration number, the status and the day the result is due (п.6).
    page.get_by_role("navigation", name=t(LANG, "Main")).get_by_role("link", name=t(LANG, "Personal cabinet")).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=number, exact=True))
    expect(row).to_contain_text(t(LANG, "Accepted and registered"))
    expect(row).to_contain_text(due_date(app, number))
    check(page, "cabinet with the new case")
    return number


def due_date(app, number: str) -> str:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        case = db.session.scalar(db.select(Application).filter_by(number=number))
        assert case.status == "registered" and len(case.documents) >= 2
        return case.service_deadline.due_date.strftime("%d.%m.%Y")
