"""axe-core at WCAG 2.1 AA on every main page of every role (issue 16, "Tests"), in kk, ru and en.

The pages are those the phone test visits (helpers.pages_of on the `cases` fixture: each role's navigation, its
queues, a case at several stages, a decision, a complaint, the draft's form, documents and check-your-answers), at
a desktop width with JavaScript on.
Each page is checked once, the language turning with every page (kk, ru, en, kk, …), so every role is read in all
three languages without checking each page three times.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PHONE, assert_complete_page, assert_fits_the_width, log_in, pages_of

LANGUAGES = ("kk", "ru", "en")
ROLES = ("public", "applicant", "clerk", "signatory", "supervisor", "authority", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_passes_axe_in_each_language(page, live_server, cases, axe, role):
    if role != "public":
        log_in(page, "kk", role, f"demo-{role}")
    for index, path in enumerate(pages_of(role, cases)):
        lang = LANGUAGES[index % len(LANGUAGES)]
        page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert_complete_page(page)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        axe.check(page, f"{role} {path} ({lang})")
    assert len(axe.checked) == len(pages_of(role, cases))


def demo_pages(app) -> dict[str, list[str]]:
    """The pages of `flask demo seed`'s cases at every stage that the main pages above do not reach, by role."""
    from portal.applications.models import Application
    from portal.complaints.models import Complaint
    from portal.decisions.models import Decision
    from portal.extensions import db

    with app.app_context():
        case = {a.pool_name: a.id for a in db.session.scalars(db.select(Application))}
        complaint = {c.status: c.id for c in db.session.scalars(db.select(Complaint))}
        drafted = db.session.scalar(db.select(Decision.id).filter_by(application_id=case["Altyn Hash East"],
                                                                     status="drafted"))
    hearing, refused = case["Steppe North"], case["Steppe Reserve"]
    return {
        "applicant": [f"/applications/{case['Altyn Hash East']}", f"/applications/{case['Altyn Hash West']}"],
        "applicant2": [f"/applications/{hearing}", f"/applications/{hearing}/hearing",
                       f"/complaints/{complaint['at_provider']}", f"/applications/{refused}/decision",
                       f"/applications/{refused}/complaints/new"],
        "clerk": [f"/staff/cases/{case['Altyn Hash']}/completeness", f"/staff/cases/{case['Altyn Hash West']}/review",
                  f"/applications/{hearing}", f"/staff/cases/{hearing}/hearing-record",
                  f"/staff/cases/{case['Altyn Hash East']}/decision/preview"],
        "signatory": ["/staff/decisions", f"/staff/decisions/{drafted}", f"/applications/{refused}"],
        "supervisor": ["/staff/complaints", f"/complaints/{complaint['at_provider']}", f"/applications/{hearing}"],
        "authority": ["/authority/complaints", f"/complaints/{complaint['at_authority']}",
                      f"/authority/cases/{refused}"],
    }


def test_the_demo_at_every_stage_passes_axe_and_fits_a_phone(new_page, live_server, app, portal_pki, axe):
    """What the demo log-ins open onto (issue 16 item 9): each role's pages of the seeded cases, on a phone."""
    from portal.demo.cli import seed

    with app.app_context():
        seed(stages=True, people_dir=portal_pki / "people")
    problems, index = [], 0
    for role, paths in demo_pages(app).items():
        page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        log_in(page, "kk", role, f"demo-{role}")
        for path in paths:
            lang = LANGUAGES[index % len(LANGUAGES)]
            index += 1
            page.context.add_cookies([{"name": "lang", "value": lang, "url": live_server.url}])
            response = page.goto(path)
            assert response is not None and response.ok, f"{role} {path}: {response and response.status}"
            assert_complete_page(page)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            for check in (lambda: axe.check(page, f"{role} {path} ({lang})"), lambda: assert_fits_the_width(page)):
                try:
                    check()
                except AssertionError as failure:
                    problems.append(f"{role} {path} ({lang}): {failure}")
    assert not problems, "\n\n".join(problems)
