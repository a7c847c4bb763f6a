"""A form is sent once however fast it is pressed (static/js/portal.js): the pressed button is disabled until the
answer, a double click posts one request, and the button works again after an error or the back button.

Every request the browser sends is counted where it leaves the page (page.route), before the server could
deduplicate anything, so a second post would be seen even where the portal would refuse its effect.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import PDF, log_in, t


def count_posts(page: Page, pattern: str) -> list[str]:
    """The POSTs to URLs matching `pattern` that the page sends (each is let through)."""
    sent: list[str] = []

    def handle(route):
        if route.request.method == "POST":
            sent.append(route.request.url)
        route.continue_()

    page.route(re.compile(pattern), handle)
    return sent


def hold_posts(page: Page, pattern: str) -> tuple[list[str], list]:
    """A slow network: POSTs to URLs matching `pattern` leave and get no answer until the test lets them through
    (`held[i].continue_()`); returns (their URLs, their held routes). Other requests go through."""
    sent: list[str] = []
    held: list = []

    def hold(route):
        if route.request.method == "POST":
            sent.append(route.request.url)
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(pattern), hold)
    return sent, held


def drafts(app) -> int:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Application.id)).filter_by(status="draft"))


def test_a_second_press_while_a_form_is_on_its_way_sends_nothing(page, app):
    lang = "en"
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto("/cabinet")
    before = drafts(app)
    sent, held = hold_posts(page, r"/applications/new$")  # the first post leaves; its answer does not come yet
    button = page.get_by_role("button", name=t(lang, "Apply for accreditation"), exact=True)
    # Pressed, and pressed again (the mouse, then Enter) while the post is on its way. Scheduled inside the page:
    # while a navigation is pending, Playwright's own actions would wait for it to finish.
    button.evaluate("""b => { b.click();
                              setTimeout(() => b.click(), 50);
                              setTimeout(() => b.form.requestSubmit(b), 100); }""")
    page.wait_for_timeout(600)  # the page's turn to (not) send again; the count below is what is checked
    assert len(sent) == 1, sent
    held[0].continue_()
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit$"))
    assert len(sent) == 1, sent
    assert drafts(app) == before + 1  # one new draft, not two

    # Back to the cabinet (from the browser's cache or not): the button can be pressed again.
    page.unroute(re.compile(r"/applications/new$"))
    sent_again = count_posts(page, r"/applications/new$")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/cabinet$"))
    button = page.get_by_role("button", name=t(lang, "Apply for accreditation"), exact=True)
    expect(button).to_be_enabled()
    button.click()
    expect(page).to_have_url(re.compile(r"/applications/\d+/edit$"))
    assert len(sent_again) == 1 and drafts(app) == before + 2


def test_the_pressed_button_is_disabled_while_an_htmx_form_is_on_its_way_and_enabled_after_an_error(page, app):
    lang = "en"
    log_in(page, lang, "applicant", "demo-applicant")
    with app.app_context():
        from portal.applications.models import Application
        from portal.extensions import db

        draft = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    page.goto(f"/applications/{draft}/documents")
    item = page.locator("li.checklist-item.missing").first
    upload = item.get_by_role("button", name=t(lang, "Upload"))
    # The answer is held back until the test has seen the button disabled and pressed it again.
    sent, held = hold_posts(page, rf"/applications/{draft}/documents")
    item.get_by_label(t(lang, "File"), exact=True).set_input_files(
        {"name": "empty.pdf", "mimeType": "application/pdf", "buffer": b""})  # refused: 422 with its message
    upload.dblclick()
    expect(upload).to_be_disabled()
    upload.click(force=True)  # a third press while it is disabled
    assert len(sent) == 1, sent
    held[0].continue_()
    expect(page.get_by_role("alert").first).to_be_visible()  # the refusal, where the upload was made
    upload = page.locator("li.checklist-item.missing").first.get_by_role("button", name=t(lang, "Upload"))
    expect(upload).to_be_enabled()
    assert len(sent) == 1, sent  # htmx queued no second post behind the first

    # And the next try goes out.
    page.unroute(re.compile(rf"/applications/{draft}/documents"))
    sent2 = count_posts(page, rf"/applications/{draft}/documents")
    item = page.locator("li.checklist-item.missing").first
    item.get_by_label(t(lang, "File"), exact=True).set_input_files(
        {"name": "good.pdf", "mimeType": "application/pdf", "buffer": PDF})
    item.get_by_role("button", name=t(lang, "Upload")).click()
    expect(page.get_by_role("link", name="good.pdf")).to_be_visible()
    assert len(sent2) == 1, sent2
