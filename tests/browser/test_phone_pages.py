"""Every main page of every role at 360 × 740 (a small phone, JavaScript on): nothing needs sideways scrolling.

document.documentElement.scrollWidth <= 360 (+1 for rounding) on each page: tables turn into labelled cards or
scroll inside their own box, long numbers, BINs and addresses wrap or fit. The case page keeps its terms closed
and fetches a term's days when it is opened; the opened band must fit too. Each role reads its pages in a
language of its own (kk and ru words are longer than English ones).

The pages (with the state the test prepares): a case with a signed certificate (so the register, the decision and
the decisions' pages have content), a case left late (missed terms: red rows in the cabinet and the queues) with a
complaint about it to the provider, the demo draft.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import PHONE, assert_complete_page, demo_case_id, log_in, pages_of, t

SLACK = 1  # a sub-pixel rounding of the layout, never a real overflow


def phone(new_page) -> Page:
    return new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def overflow(page: Page) -> str | None:
    """None when the page fits the phone; else what sticks out (for the failure message)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= PHONE["width"] + SLACK:
        return None
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w + 1 && e.offsetParent !== null)
        .slice(-4).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
                                                     ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                           + ' ' + JSON.stringify((e.textContent || '').trim().slice(0, 40))
                           + ' right=' + Math.round(e.getBoundingClientRect().right))""", PHONE["width"])
    return f"{page.url}: {width}px wide; {wide}"


def open_every_term(page: Page) -> int:
    """Open each term of the case page, as a person would, and wait until its days have arrived."""
    terms = page.locator("#day-timeline details.term-days")
    for index in range(terms.count()):
        term = terms.nth(index)
        term.locator("summary").click()
        expect(term.locator("ol.days")).to_be_visible()
    return terms.count()


ROLES = [("public", "kk"), ("applicant", "kk"), ("clerk", "ru"), ("signatory", "kk"), ("supervisor", "ru"),
         ("authority", "kk"), ("admin", "ru")]


@pytest.mark.parametrize(("role", "lang"), ROLES, ids=[r for r, _ in ROLES])
def test_every_main_page_fits_a_phone(new_page, cases, role, lang):
    page = phone(new_page)
    if role == "public":
        page.goto("/")
        page.get_by_role("navigation", name=t("en", "Language")).get_by_role("link", name="Қазақша").click()
    else:
        log_in(page, lang, role, f"demo-{role}")
    wide = []
    for path in pages_of(role, cases):
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert_complete_page(page)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        wide.append(overflow(page))
        if path.startswith("/applications/") and path.split("/")[-1].isdigit() and \
                page.locator("#day-timeline").count():
            assert open_every_term(page) > 0
            wide.append(overflow(page))
    wide = [w for w in wide if w]
    assert not wide, "pages wider than the phone:\n" + "\n".join(wide)


def test_the_days_of_a_term_come_only_when_it_is_opened_with_or_without_javascript(new_page, app):
    from portal.deadlines.models import Deadline
    from portal.extensions import db

    lang = "en"
    case_id = demo_case_id(app)
    with app.app_context():
        terms = db.session.scalar(db.select(db.func.count(Deadline.id)).filter_by(application_id=case_id,
                                                                                complaint_id=None))
    page = phone(new_page)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}")
    timeline = page.locator("#day-timeline")
    expect(timeline.locator("details.term-days")).to_have_count(terms)
    expect(timeline.locator("ol.days")).to_have_count(0)  # no calendar drawn until a term is opened
    collapsed = timeline.bounding_box()["height"]
    assert collapsed < 2 * PHONE["height"], f"the closed terms take {collapsed}px of the phone"
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if "/days" in r.url else None)
    first = timeline.locator("details.term-days").first
    first.locator("summary").click()
    expect(first.locator("ol.days li.day").first).to_be_visible()
    expect(timeline.locator("ol.days")).to_have_count(1)  # only the opened one
    assert len(fetched) == 1 and page.url.endswith(f"/applications/{case_id}")
    first.locator("summary").click()  # closed and opened again: not fetched twice
    first.locator("summary").click()
    expect(first.locator("ol.days")).to_be_visible()
    assert len(fetched) == 1, fetched
    assert overflow(page) is None

    plain = new_page(java_script_enabled=False, viewport=PHONE)
    log_in(plain, lang, "applicant", "demo-applicant")
    plain.goto(f"/applications/{case_id}")
    term = plain.locator("#day-timeline details.term-days").first
    title = term.locator("summary .term-title").inner_text()
    term.locator("summary").click()  # <details> opens without JavaScript
    term.get_by_role("link", name=t(lang, "Show the days of this term")).click()
    assert_complete_page(plain)
    expect(plain.get_by_role("heading", level=1)).to_have_text(title)
    expect(plain.get_by_role("list", name=title)).to_be_visible()  # the band, named by the term
    expect(plain.locator("ol.days li.day").first).to_be_visible()
    assert overflow(plain) is None
