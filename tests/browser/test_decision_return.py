"""The signatory returns a draft decision to the clerk with a comment, with JavaScript on (issue 16 item 4).

The comment is required: sent empty, the message is shown next to the field; with a comment, the decision goes
back to the clerk, who reads it on the case, sees the preview and sends the decision for signature again.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.helpers import demo_case_id, log_in, log_out, to_drafted_certificate

COMMENT = "Please check the pool's address against the security test act."


def status_of(app, decision_id: int) -> str:
    from portal.decisions.models import Decision
    from portal.extensions import db

    with app.app_context():
        return db.session.get(Decision, decision_id).status


def test_the_signatory_returns_the_draft_with_a_comment_and_the_clerk_resends_it(page: Page, app, axe):
    lang = "en"
    case_id = demo_case_id(app)
    decision_id = to_drafted_certificate(app, case_id)
    log_in(page, lang, "signatory", "demo-signatory")
    page.goto(f"/staff/decisions/{decision_id}")
    expect(page.get_by_text("Preview — not signed, not issued")).to_be_visible()
    expect(page.locator("article.decision-document.is-preview")).to_be_visible()

    # Empty: the server's message beside the field, and in the summary above; nothing changes.
    return_button = page.get_by_role("button", name="Return to the clerk", exact=True)
    return_button.click()
    expect(page.locator("#comment-error")).to_have_text(re.compile("Say what the clerk should change."))
    expect(page.locator("#comment-error")).to_be_visible()
    expect(page.locator("#comment")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    assert status_of(app, decision_id) == "drafted"
    axe.check(page, "return without a comment")

    page.locator("#comment").fill(COMMENT)
    page.get_by_role("button", name="Return to the clerk", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="The decision is returned to the clerk with your comment.")
           ).to_be_visible()
    expect(page).to_have_url(re.compile(r"/staff/decisions$"))
    assert status_of(app, decision_id) == "returned"
    log_out(page, lang)

    log_in(page, lang, "clerk", "demo-clerk")
    page.goto(f"/applications/{case_id}")
    returned = page.locator("#decision-returned")
    expect(returned).to_contain_text(COMMENT)
    expect(returned).to_contain_text("The signatory returned the decision to you")
    page.get_by_role("link", name="Prepare the decision again").click()
    expect(page.get_by_text("Preview — not signed, not issued")).to_be_visible()
    page.get_by_label("Your answer to the signatory (optional)").fill("Checked: the address is the act's.")
    page.get_by_role("button", name="Send for signature again").click()
    expect(page.get_by_role("status").filter(has_text="The decision is prepared again and waits for the signatory.")
           ).to_be_visible()
    assert status_of(app, decision_id) == "drafted"
