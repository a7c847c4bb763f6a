"""What a person does in the portal, step by step, with the words the portal shows in their language."""
from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

from babel.support import Translations
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_LINKS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@cache
def _catalog(lang: str) -> Translations:
    return Translations.load(str(ROOT / "portal" / "translations"), [lang], domain="messages")


def t(lang: str, msgid: str, **params) -> str:
    """The portal's own translation of `msgid` (the compiled catalog the app uses)."""
    text = _catalog(lang).gettext(msgid)
    return text % params if params else text


def expect_language(page: Page, lang: str, msgid: str) -> None:
    """The page is in `lang`: <html lang> says so, and a word of the page is in that language."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    word = t(lang, msgid)
    if lang != "en":
        assert word != msgid, f"{msgid!r} has no {lang} translation"
    expect(page.get_by_text(word).first).to_be_visible()


def mark_page(page: Page) -> None:
    """A flag that survives htmx swaps but not a page load."""
    page.evaluate("window.__tyndauSamePage = true")


def assert_same_page(page: Page) -> None:
    assert page.evaluate("window.__tyndauSamePage === true"), "the page was reloaded (expected an htmx swap)"


def assert_complete_page(page: Page) -> None:
    """A whole page, never a bare fragment: the document has its <header>, <main> and <title>."""
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)
    assert page.title(), "the page has no <title>"


def log_in(page: Page, lang: str, username: str, password: str, axe=None) -> None:
    """Open the log-in page, choose the language in the header, sign in with the password."""
    page.goto("/login")
    page.get_by_role("link", name=LANGUAGE_LINKS[lang], exact=True).click()
    expect_language(page, lang, "Sign in")
    if axe:
        axe.check(page, f"log-in ({lang})")
    page.get_by_label(t(lang, "Username"), exact=True).fill(username)
    page.get_by_label(t(lang, "Password"), exact=True).fill(password)
    page.get_by_role("button", name=t(lang, "Sign in"), exact=True).click()
    expect(page.get_by_role("button", name=t(lang, "Sign out"))).to_be_visible()


def log_out(page: Page, lang: str) -> None:
    page.get_by_role("button", name=t(lang, "Sign out")).click()
    expect(page.get_by_role("button", name=t(lang, "Sign out"))).to_have_count(0)


# --- signing through NCALayer (the `ncalayer` fixture: the stand-in) ------------------------------

SIGN_WITH_NCALAYER = "Sign with NCALayer"


def ncalayer_button(page: Page, lang: str):
    """The page's "Sign with NCALayer" button (templates/macros/ncalayer.html)."""
    return page.get_by_role("button", name=t(lang, SIGN_WITH_NCALAYER), exact=True)


def sign_with_ncalayer(page: Page, lang: str, ncalayer, username: str, *, double_click: bool = False) -> None:
    """Choose `username`'s own key in NCALayer (the stand-in) and press "Sign with NCALayer" on the page.

    The page then fetches the document the portal prepared, NCALayer signs it and the form posts the result;
    the caller checks what the portal answered.
    """
    ncalayer.pick(username)
    button = ncalayer_button(page, lang)
    if double_click:
        button.dblclick()
    else:
        button.click()


def sign_xml_requests(ncalayer) -> list[dict]:
    """The signXml requests NCALayer (the stand-in) has received."""
    return [r for r in ncalayer.requests if isinstance(r, dict) and r.get("method") == "signXml"]


def certificate_name(username: str) -> str:
    """The name the person's certificate carries, as the portal shows it (CN "SURNAME NAME" + G "PATRONYMIC")."""
    from portal.demo.data import people

    return next(p["name"] for p in people() if p["username"] == username)


# --- preparing cases in the database (what earlier journeys did through the UI) ---------------

def demo_case_id(app) -> int:
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        return db.session.scalar(db.select(Application.id).filter_by(status="registered"))


def make_refusable(app, case_id: int) -> None:
    """The demo case with its documents attached and its backup complex in the main one's settlement.

    So completeness is in order and the rules propose ground 2 (п.4 subparagraph 3 not met).
    """
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.accounts.models import User
    from portal.applications import services as applications
    from portal.applications.models import Application
    from portal.documents import services as documents
    from portal.extensions import db

    with app.app_context(), app.test_request_context():
        case = db.session.get(Application, case_id)
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        case.backup_complexes[0].settlement = case.main_complex.settlement
        for item in applications.missing_documents(case):
            upload = FileStorage(stream=BytesIO(PDF), filename=f"{item['code']}.pdf", content_type="application/pdf")
            documents.store_upload(case, item["code"], upload, owner)
        db.session.commit()
        assert not applications.missing_documents(case)


def to_preliminary_refusal(app, case_id: int, hearing_begun: bool = False) -> None:
    """Completeness, review with ground 2 kept, and the notice (in person), as journey (b) does them.

    The notice proposes the first free lawful time (п.9) and the applicant is booked into it. hearing_begun: that
    time is moved to now, so the journey can record the hearing as held (a booked hearing is held at its time).
    """
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.core.clock import now_utc
    from portal.extensions import db
    from portal.hearings import services as hearings
    from portal.review import services as review

    make_refusable(app, case_id)
    with app.app_context(), app.test_request_context():
        case = db.session.get(Application, case_id)
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        review.decide_completeness(case, clerk, [], "", None)
        proposal = review.propose_review(case)
        assert [g["number"] for g in proposal["grounds"]] == [2]
        review.decide_review(case, clerk, {2: {"accept": True, "reason": ""}}, {}, "", None, None)
        now = now_utc()
        refusal = hearings.send_preliminary_refusal(case, clerk, "in_person", "Астана, Мәңгілік Ел 55, каб. 301",
                                                    None, now, proposed=hearings.proposable_slots(case, clerk, now)[0])
        if hearing_begun:
            slot = hearings.booked_slot(case)
            slot.starts_at, slot.ends_at = now_utc() - timedelta(minutes=2), now_utc() + timedelta(minutes=28)
            refusal.proposed_at = slot.starts_at
        db.session.commit()
        assert case.status == "preliminary_refusal"


def to_drafted_certificate(app, case_id: int) -> int:
    """Completeness and review with nothing found, the certificate drafted by the clerk; the decision's id."""
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.decisions import services as decisions
    from portal.extensions import db
    from portal.gateway.services import fetch_state_facts
    from portal.review import services as review

    make_refusable(app, case_id)
    with app.app_context(), app.test_request_context():
        case = db.session.get(Application, case_id)
        case.backup_complexes[0].settlement = "Караганда"  # back in another settlement: no ground for refusal
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        fetch_state_facts(case, clerk)  # "no grounds" rests on stated facts for every condition of п.4
        review.decide_completeness(case, clerk, [], "", None)
        review.decide_review(case, clerk, {}, {}, "", None, None)
        decision = decisions.draft(case, clerk, None)
        db.session.commit()
        assert decision.status == "drafted" and decision.kind == "certificate", (decision.status, decision.kind)
        return decision.id


def to_signed_certificate(app, case_id: int) -> str:
    """The certificate drafted (to_drafted_certificate) and signed with the signatory's own key; its number."""
    from portal.accounts.models import User
    from portal.decisions.models import Decision
    from portal.extensions import db
    from tests.portal.officials import sign_decision

    decision_id = to_drafted_certificate(app, case_id)
    with app.app_context(), app.test_request_context():
        decision = db.session.get(Decision, decision_id)
        signatory = db.session.scalar(db.select(User).filter_by(username="signatory"))
        sign_decision(decision, signatory)  # with the signatory's own key (tests/portal/officials.py)
        db.session.commit()
        assert decision.application.status == "certificate_issued", decision.application.status
        return decision.number


# --- a phone ------------------------------------------------------------------------------------

PHONE = {"width": 360, "height": 740}


def assert_fits_the_width(page: Page, width: int = PHONE["width"]) -> None:
    """Nothing makes the document wider than the screen (no sideways scrolling of the page)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                             (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
                             ' right=' + Math.round(e.getBoundingClientRect().right))""", width)
        raise AssertionError(f"{page.url}: the document is {scroll}px wide at {width}px; too wide: {wide}")


def assert_on_screen(page: Page, locator, width: int = PHONE["width"]) -> None:
    """A control is visible and wholly inside the screen's width (scrolled to, as a person would)."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, \
        f"{page.url}: {locator} is outside the {width}px screen: {box}"


def pages_of(role: str, c: dict) -> list[str]:
    """The pages `role` uses, on the cases of the `cases` fixture (tests/browser/conftest.py)."""
    late, signed = c["late"], c["signed"]
    common = ["/register", f"/register?q={c['certificate']}"]
    return {
        "public": ["/", "/login", "/register", "/register?q=Астана", "/verify", "/verify/number",
                   f"/verify/number?number={c['certificate']}"],
        "applicant": ["/cabinet", f"/applications/{late}", f"/applications/{signed}",
                      f"/applications/{signed}/decision",
                      f"/applications/{late}/deadlines/{c['service']}/days", f"/applications/{c['draft']}/edit",
                      f"/applications/{c['draft']}/documents", f"/applications/{c['draft']}/submit",
                      f"/applications/{signed}/complaints/new", f"/complaints/{c['complaint']}", *common],
        "clerk": ["/staff/cases", "/staff/cases?deadline=missed", f"/applications/{late}", f"/applications/{signed}",
                  f"/staff/cases/{late}/completeness", "/staff/paper", "/staff/deadlines",
                  f"/complaints/{c['complaint']}", *common],
        "signatory": ["/staff/decisions", "/staff/cases", f"/applications/{signed}",
                      f"/applications/{signed}/decision"],
        "supervisor": ["/staff/complaints", "/staff/deadlines", "/authority/quality", "/staff/cases",
                       f"/complaints/{c['complaint']}", f"/applications/{late}"],
        "authority": ["/authority/complaints", "/authority/quality", "/staff/deadlines", "/staff/cases",
                      f"/authority/cases/{late}", f"/applications/{late}"],
        "admin": ["/admin/calendar/"],
    }[role]
