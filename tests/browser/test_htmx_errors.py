"""Every error is seen where it was made, with JavaScript on (issue 16, item 1).

htmx 2 swaps nothing but 2xx by default: the portal's 422 (a form's errors), 409 (a slot taken) and the 413/429
alerts must still reach the person, next to what they did; any other failure (a 500, no network) shows the page's
translated alert next to the element that made the request. Chromium, JavaScript on, htmx swaps (no page load).
"""
from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    PDF,
    assert_same_page,
    demo_case_id,
    log_in,
    mark_page,
    t,
    to_preliminary_refusal,
)

GENERIC = "Something went wrong; nothing was saved. Try again, or reload the page."
NETWORK = "The portal could not be reached; nothing was saved. Check your connection and try again."


def _docx() -> bytes:
    """A real (tiny) Word document: a ZIP with the parts Word writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                                'package/2006/content-types"/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                                              'openxmlformats.org/wordprocessingml/2006/main"/>')
    return buffer.getvalue()


def _draft_id(app) -> int:
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        drafts = db.session.scalars(db.select(Application).filter_by(status="draft")).all()
        mine = [a.id for a in drafts if a.organization_id == owner.organization_id]
        assert mine, "the demo applicant has a draft"
        return mine[0]


def _open_documents(page: Page, app, lang: str) -> int:
    log_in(page, lang, "applicant", "demo-applicant")
    application_id = _draft_id(app)
    page.goto(f"/applications/{application_id}/documents")
    expect(page.locator("#checklist")).to_be_visible()
    mark_page(page)
    return application_id


def _upload(page: Page, lang: str, name: str, content: bytes, mime: str = "application/pdf"):
    item = page.locator("li.checklist-item.missing").first
    item_id = item.get_attribute("id")
    item = page.locator(f"li#{item_id}")
    item.get_by_label(t(lang, "File"), exact=True).set_input_files({"name": name, "mimeType": mime, "buffer": content})
    item.get_by_role("button", name=t(lang, "Upload")).click()
    return item


def test_bad_uploads_are_explained_next_to_the_upload_field_in_kazakh(page, app):
    lang = "kk"
    _open_documents(page, app, lang)

    # An empty file: the 422 checklist is swapped in, the message beside that item's file field.
    item = _upload(page, lang, "empty.pdf", b"")
    error = item.get_by_role("alert")
    expect(error).to_have_text(t(lang, "The file is empty."))
    field = item.get_by_label(t(lang, "File"), exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", error.get_attribute("id"))
    assert_same_page(page)

    # A Word document renamed .pdf: refused by its content, said so in the same place.
    item = _upload(page, lang, "lease.pdf", _docx())
    expect(item.get_by_role("alert")).to_have_text(
        t(lang, "Only PDF, PNG and JPEG files are accepted; this file's content is not one of them."))
    expect(page.get_by_role("alert")).to_have_count(1)  # the empty file's message is gone
    assert_same_page(page)

    # Larger than any request the portal reads (413 before the form is read): an alert right after the form,
    # the checklist left as it was.
    before = page.locator("li.checklist-item").count()
    item = _upload(page, lang, "huge.pdf", PDF + b"0" * app.config["MAX_CONTENT_LENGTH"])
    alert = item.locator("form.upload + [role=alert]")
    expect(alert).to_contain_text(t(lang, "The upload is too large"))
    expect(page.locator("li.checklist-item")).to_have_count(before)
    assert_same_page(page)

    # And a good file afterwards: attached, the alert gone.
    item = _upload(page, lang, "lease.pdf", PDF)
    expect(item).to_have_class(re.compile(r"\bdone\b"))
    expect(page.get_by_role("alert")).to_have_count(0)


def test_booking_without_a_time_says_choose_a_time_in_russian(page, app):
    lang = "ru"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    picker = page.locator("#slot-picker")
    expect(picker.get_by_role("radio").first).to_be_visible()
    mark_page(page)
    # No time chosen (the proposed one is pre-checked: clear it as a person's stale page would have it).
    page.evaluate("document.querySelectorAll('#slot-picker input[type=radio]').forEach(r => r.checked = false)")
    picker.get_by_role("button").click()
    expect(picker.get_by_role("alert")).to_have_text(t(lang, "Choose a time."))
    assert_same_page(page)


def test_a_slot_taken_meanwhile_is_said_where_it_was_chosen(page, app):
    from portal.extensions import db
    from portal.hearings.models import HearingSlot

    lang = "en"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    picker = page.locator("#slot-picker")
    radios = picker.get_by_role("radio")
    assert radios.count() >= 2
    mark_page(page)
    other = radios.nth(1)
    other.check()
    slot_id = int(other.get_attribute("value"))
    with app.app_context():  # someone else's case takes it meanwhile: the slot is gone from the offer
        db.session.delete(db.session.get(HearingSlot, slot_id))
        db.session.commit()
    picker.get_by_role("button", name=t(lang, "Reschedule")).click()
    expect(picker.get_by_role("alert")).to_have_text(t(lang, "This time is no longer available. Choose another one."))
    assert_same_page(page)


def test_a_server_error_shows_the_generic_alert_next_to_the_form_in_russian(page, app, monkeypatch):
    lang = "ru"
    _open_documents(page, app, lang)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(**_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "applications.documents", broken)
    item = _upload(page, lang, "lease.pdf", PDF)
    alert = item.locator("form.upload + [role=alert]")
    expect(alert).to_have_text(t(lang, GENERIC))
    expect(item.get_by_role("button", name=t(lang, "Upload"))).not_to_have_attribute("aria-busy", "true")
    assert_same_page(page)

    # One alert at a time: the next failure replaces it.
    _upload(page, lang, "lease.pdf", PDF)
    expect(page.locator("[data-htmx-alert]")).to_have_count(1)


def test_no_network_shows_its_own_alert(page, app):
    lang = "en"
    application_id = _open_documents(page, app, lang)
    page.route(f"**/applications/{application_id}/documents?*", lambda route: route.abort())
    item = _upload(page, lang, "lease.pdf", PDF)
    expect(item.locator("form.upload + [role=alert]")).to_have_text(t(lang, NETWORK))
    assert_same_page(page)
