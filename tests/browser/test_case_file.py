"""The case file as a person reads it: every term day by day, progress on long actions, and print.

- The deadlines drawn as bands of days, each loaded when its disclosure opens: the days each term counts, the days it passes over with the reason in
  words (weekend, holiday by name, day off by decree, receipt after working hours), today and the last day;
  the same count rules/calendar.py explains.
- Long actions say they are working: the upload's progress bar, a busy signing button, a busy PDF link.
- Print: a button that opens the print dialog (only where JavaScript runs), a print stylesheet without the
  portal's navigation and buttons, each section on its own page, links with their targets.
"""
from __future__ import annotations

import io
import re
import time
from datetime import date, datetime

from playwright.sync_api import expect

from tests.browser.helpers import (
    PDF,
    SIGN_WITH_NCALAYER,
    demo_case_id,
    log_in,
    sign_with_ncalayer,
    sign_xml_requests,
    t,
    to_drafted_certificate,
    to_signed_certificate,
)

SERVICE = "Result of the service: certificate or motivated refusal"


def deadlines_of(app, case_id: int) -> dict:
    from portal.deadlines.models import Deadline
    from portal.extensions import db

    with app.app_context():
        rows = db.session.scalars(db.select(Deadline).filter_by(application_id=case_id))
        return {r.code: (r.starts_on, r.term, r.due_date) for r in rows}


def today_in_almaty() -> date:
    from portal.core.clock import today_local

    return today_local()


def band(page, lang: str, label: str):
    """The list of days of one term (named by the term's title), its disclosure opened as a person would."""
    term = page.locator("#day-timeline details.term-days").filter(
        has=page.locator("summary").get_by_text(t(lang, label), exact=True))
    if not term.evaluate("d => d.open"):
        term.locator("summary").click()  # the band is fetched (htmx) the first time it opens
    return term.get_by_role("list", name=t(lang, label), exact=True)


def test_the_case_page_shows_each_term_day_by_day_as_the_rules_count_it(page, app, axe):
    from rules.calendar import WorkingCalendar

    lang = "en"
    case_id = demo_case_id(app)
    log_in(page, lang, "clerk", "demo-clerk")
    page.goto(f"/applications/{case_id}")
    timeline = page.locator("#day-timeline")
    expect(timeline.get_by_role("heading", name=t(lang, "Day by day"))).to_be_visible()
    plan = deadlines_of(app, case_id)
    expect(timeline.locator("li.term")).to_have_count(len(plan))
    axe.check(page, "case page with the deadlines day by day")

    # The service term: its event, then each day as rules/calendar.py explain_add counts it.
    starts_on, term, due = plan["service"]
    days = band(page, lang, SERVICE).get_by_role("listitem")
    steps = WorkingCalendar().explain_add(starts_on, term)
    expect(days).to_have_count(len(steps) + 1)
    expect(days.first).to_contain_text(starts_on.strftime("%d.%m.%Y"))
    expect(days.first).to_contain_text(t(lang, "registered: counting starts the next day"))
    for index, step in enumerate(steps, start=1):
        day = days.nth(index)
        expect(day).to_contain_text(step.day.strftime("%d.%m.%Y"))
        if step.counted:
            expect(day).to_contain_text(t(lang, "working day %(n)d", n=step.number))
            expect(day).to_have_class(re.compile(r"\bcounted\b"))
        else:
            kind, detail = step.reason
            if kind == "holiday":
                why = t(lang, "holiday: %(name)s", name=detail)
            elif kind == "decree":
                why = t(lang, "day off by decree: %(decree)s", decree=detail)
            else:
                why = t(lang, "weekend")
            expect(day).to_contain_text(t(lang, "not counted") + ": " + why)
            expect(day).to_have_class(re.compile(r"\bskipped\b"))
    last = days.last
    expect(last).to_contain_text(due.strftime("%d.%m.%Y"))
    expect(last).to_contain_text(t(lang, "last day"))
    expect(last).to_contain_text(t(lang, "working day %(n)d", n=term))

    # Today is marked in words (and for assistive technology), wherever it falls inside a band.
    today = page.locator("#day-timeline li[aria-current=date]")
    in_service = starts_on <= today_in_almaty() <= due
    expect(band(page, lang, SERVICE).locator("li[aria-current=date]")).to_have_count(1 if in_service else 0)
    if in_service:
        expect(today.first).to_contain_text(t(lang, "today"))

    # A day off by decree inside the term: the page names the decree and the last day moves.
    moved_day = next(s.day for s in steps if s.counted and s.number == 3)
    with app.app_context(), app.test_request_context():
        from portal.calendar_admin.services import set_exception
        from portal.extensions import db

        set_exception(moved_day, False, "Decree No. 7 (test)")
        db.session.commit()
    page.reload()
    day = band(page, lang, SERVICE).get_by_role("listitem").filter(has_text=moved_day.strftime("%d.%m.%Y"))
    expect(day).to_contain_text(t(lang, "day off by decree: %(decree)s", decree="Decree No. 7 (test)"))
    expect(day).to_have_class(re.compile(r"\bskipped\b"))
    new_due = deadlines_of(app, case_id)["service"][2]
    assert new_due > due
    expect(band(page, lang, SERVICE).locator("li.due")).to_contain_text(new_due.strftime("%d.%m.%Y"))


def test_registration_after_hours_before_nauryz_names_each_day_passed_over_in_kazakh(page, app):
    """Received on Friday 20 March 2026 at 18:45: registered on Thursday 26 March, after Nauryz."""
    from portal.applications.models import Application
    from portal.core.clock import ALMATY
    from portal.deadlines.models import Deadline
    from portal.deadlines.services import open_plan
    from portal.extensions import db

    lang = "kk"
    case_id = demo_case_id(app)
    with app.app_context(), app.test_request_context():
        case = db.session.get(Application, case_id)
        case.received_at = datetime(2026, 3, 20, 18, 45, tzinfo=ALMATY)
        case.registered_on = date(2026, 3, 26)
        db.session.execute(db.delete(Deadline).filter_by(application_id=case_id))
        db.session.flush()
        open_plan(case)
        db.session.commit()
    log_in(page, lang, "clerk", "demo-clerk")
    page.goto(f"/applications/{case_id}")
    days = band(page, lang, "Registration of the application").get_by_role("listitem")
    expect(days).to_have_count(7)  # 20–25 March passed over, registered on the 26th
    expect(days.first).to_contain_text(t(lang, "received"))
    expect(days.first).to_contain_text(t(lang, "received after working hours (%(time)s)", time="18:45"))
    expect(days.nth(1)).to_contain_text("21.03.2026")
    expect(days.nth(1)).to_contain_text("Наурыз мейрамы")  # the holiday's own name, in Kazakh
    for index in range(1, 6):
        expect(days.nth(index)).to_have_class(re.compile(r"\bskipped\b"))
        expect(days.nth(index)).to_contain_text(t(lang, "not counted"))
    expect(days.last).to_contain_text("26.03.2026")
    expect(days.last).to_contain_text(t(lang, "last day"))


def test_an_upload_shows_its_progress_and_the_upload_button_is_busy(page, app):
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        draft_id = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    lang = "en"
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{draft_id}/documents")
    progress = page.locator("#upload-progress")
    expect(progress).to_be_hidden()
    item = page.locator("li.checklist-item.missing").first
    item_id = item.get_attribute("id")
    # A slow line, so the upload takes a few seconds (the test app accepts 200 KB per document).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 60 * 1024})
    page.evaluate("""() => { window.__progress = [];
        document.addEventListener('htmx:xhr:progress', () =>
            window.__progress.push(document.getElementById('upload-progress-bar').value)); }""")
    body = PDF.replace(b"%%EOF", b"%" + b"x" * 150_000 + b"\n%%EOF")
    item.get_by_label(t(lang, "File"), exact=True).set_input_files(
        {"name": "large.pdf", "mimeType": "application/pdf", "buffer": body})
    upload = item.get_by_role("button", name=t(lang, "Upload"))
    upload.click()
    expect(progress).to_be_visible()
    expect(progress).to_contain_text("large.pdf")
    expect(upload).to_have_attribute("aria-disabled", "true")
    expect(item.locator("form")).to_have_attribute("aria-busy", "true")
    page.wait_for_function("() => { const v = document.getElementById('upload-progress-bar').value;"
                           " return v > 0 && v < 100; }")
    expect(progress).to_be_hidden(timeout=20_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    done = page.locator(f"li#{item_id}")
    expect(done).to_have_class(re.compile(r"\bdone\b"))
    expect(done.get_by_role("link", name="large.pdf")).to_be_visible()
    seen = page.evaluate("window.__progress")
    assert len({v for v in seen if 0 < v < 100}) >= 2, seen  # it moved, step by step
    expect(page.locator("#checklist")).not_to_have_attribute("aria-busy", "true")


def test_signing_and_the_pdf_download_show_that_they_are_working(new_page, app, ncalayer):
    """The signature and the PDF take a moment: the button says so and a second click sends nothing."""
    lang = "en"
    case_id = demo_case_id(app)
    decision_id = to_drafted_certificate(app, case_id)

    page = new_page()
    log_in(page, lang, "signatory", "demo-signatory")
    page.goto(f"/staff/decisions/{decision_id}")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/staff/decisions/" in r.url else None)
    # The signature is checked slowly here (half a second), and the signatory impatient: a second submission
    # right away. What the page showed at each submission is kept in sessionStorage, which outlives the navigation.
    page.route(re.compile(r"/staff/decisions/\d+$"),
               lambda route: (time.sleep(0.5) if route.request.method == "POST" else None, route.continue_()))
    page.evaluate("""() => window.addEventListener('submit', e => {
        const b = e.target.querySelector('[data-ncalayer-button]'),
              p = e.target.querySelector('[data-ncalayer-sending]'),
              seen = JSON.parse(sessionStorage.getItem('seen') || '[]');
        seen.push({form: e.target.getAttribute('aria-busy'), text: b.textContent.trim(), disabled: b.disabled,
                   says: !p.hidden && p.getAttribute('role') === 'status', sent: !e.defaultPrevented});
        sessionStorage.setItem('seen', JSON.stringify(seen));
        if (seen.length === 1) setTimeout(() => e.target.requestSubmit(), 50);
    })""")
    sign_with_ncalayer(page, lang, ncalayer, "signatory")
    expect(page.get_by_role("status")).to_contain_text(
        t(lang, "The decision is signed and delivered to the applicant's cabinet."))
    # The button stays pressed (disabled), a status line says the signed document is on its way to be checked
    # (no longer "waiting for NCALayer"), the second submission is stopped (the form is aria-busy).
    busy = {"form": "true", "text": t(lang, SIGN_WITH_NCALAYER), "disabled": True, "says": True}
    assert page.evaluate("JSON.parse(sessionStorage.getItem('seen'))") == [{**busy, "sent": True},
                                                                          {**busy, "sent": False}]
    assert len(sign_xml_requests(ncalayer)) == 1
    assert len(posts) == 1, posts

    # The applicant's PDF: the link is busy until the file, rendered by the portal, has arrived.
    applicant = new_page()
    log_in(applicant, lang, "applicant", "demo-applicant")
    applicant.goto(f"/applications/{case_id}/decision")
    applicant.evaluate("""() => window.addEventListener('click', e => { const a = e.target.closest('a[data-busy]');
        if (a) window.__seen = {busy: a.getAttribute('aria-busy'), text: a.textContent.trim()}; })""")
    link = applicant.get_by_role("link", name=t(lang, "Download as PDF"))
    with applicant.expect_download() as download:
        link.click()
    assert applicant.evaluate("window.__seen") == {"busy": "true", "text": t(lang, "Preparing the PDF…")}
    assert re.fullmatch(r".+\.pdf", download.value.suggested_filename), download.value.suggested_filename
    assert download.value.path().read_bytes().startswith(b"%PDF")
    expect(link).to_have_attribute("aria-busy", "false")  # and ready again
    expect(link).to_have_text(t(lang, "Download as PDF"))


def test_the_case_file_and_the_decision_print_without_the_portal_around_them(new_page, app):
    from pypdf import PdfReader

    lang = "en"
    case_id = demo_case_id(app)
    number = to_signed_certificate(app, case_id)
    page = new_page()
    # The print dialog itself cannot be driven: count the calls instead (not subject to the page's CSP).
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}")
    button = page.get_by_role("button", name=t(lang, "Print the case file"))
    button.click()
    assert page.evaluate("window.__printed") == 1

    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    expect(page.get_by_role("navigation", name=t(lang, "Main"))).to_be_hidden()
    expect(page.get_by_role("button", name=t(lang, "Sign out"))).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#day-timeline")).to_be_visible()
    breaks = page.evaluate("[...document.querySelectorAll('main > section')].map(s => getComputedStyle(s).breakBefore)")
    assert len(breaks) >= 3 and breaks[0] != "page" and set(breaks[1:]) == {"page"}, breaks
    document = page.locator("main a[href*='/documents/']").first
    href = document.get_attribute("href")
    after = document.evaluate("a => getComputedStyle(a, '::after').content")
    assert href in after, after
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf())).pages)
    assert t(lang, "Day by day") in text and t(lang, "Sign out") not in text

    page.emulate_media(media="screen")
    page.goto(f"/applications/{case_id}/decision")
    page.get_by_role("button", name=t(lang, "Print the decision")).click()
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=re.compile(re.escape(number)))).to_be_visible()
    expect(page.get_by_role("link", name=t(lang, "Download as PDF"))).to_be_hidden()
    # The EDS stamp prints with the QR code of the public check.
    expect(page.get_by_alt_text(t(lang, "QR code of the public check of this document"))).to_be_visible()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(page.pdf())).pages)
    assert number in text and t(lang, "Download as PDF") not in text and t(lang, "Sign out") not in text


def test_without_javascript_there_is_no_print_button_and_no_progress_bar(js_disabled_page, app):
    from portal.applications.models import Application
    from portal.extensions import db

    page = js_disabled_page
    lang = "en"
    case_id = demo_case_id(app)
    with app.app_context():
        draft_id = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}")
    expect(page.locator("#day-timeline")).to_be_visible()  # server-rendered
    expect(page.get_by_role("button", name=t(lang, "Print the case file"))).to_have_count(0)
    page.goto(f"/applications/{draft_id}/documents")
    expect(page.locator("#upload-progress")).to_be_hidden()
    item = page.locator("li.checklist-item.missing").first
    item.get_by_label(t(lang, "File"), exact=True).set_input_files(
        {"name": "plain.pdf", "mimeType": "application/pdf", "buffer": PDF})
    item.get_by_role("button", name=t(lang, "Upload")).click()  # a plain form post and a whole page
    expect(page.get_by_role("link", name="plain.pdf")).to_be_visible()
