"""Journey (e): complaints (chapter 3) in a real browser, as the applicant, the supervisor and the authority.

(e1) kk: the applicant complains about the provider's inaction after the review term ran out, from the cabinet.
(e2) ru: the supervisor satisfies a complaint by a favourable act on the third working day (п.17).
(e3) kk: a complaint left with the provider is forwarded by the sweeper; the authority reads the administrative
     case, checks its event log, downloads the archive, decides and signs through NCALayer with its official's key;
     the applicant reads the decision and the court notice (п.20). Then an event row is altered in the database,
     and the log says so.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, time, timedelta

from playwright.sync_api import expect

from tests.browser.helpers import expect_language, log_in, log_out, sign_with_ncalayer, t
from tests.portal.factories import late_case


def _late_case(app) -> tuple[int, str]:
    from portal.applications.models import Application
    from portal.extensions import db

    case_id = late_case(app)
    with app.app_context():
        return case_id, db.session.get(Application, case_id).number


def _complaint_registered(app, case_id: int, workdays_ago: int, addressee: str = "provider") -> tuple[int, str]:
    """A complaint on the case registered `workdays_ago` working days before the next working day (10:00)."""
    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.calendar.services import current_calendar
    from portal.complaints import services as complaints
    from portal.core.clock import ALMATY, today_local
    from portal.extensions import db

    with app.app_context(), app.test_request_context():
        calendar = current_calendar()
        today = today_local()
        working_today = today if calendar.is_workday(today) else calendar.add_workdays(today, 1)
        day = calendar.subtract_workdays(working_today, workdays_ago)
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        case = db.session.get(Application, case_id)
        complaint, _created = complaints.file_complaint(
            case, owner, {"subject": "case", "addressee": addressee, "demands": "Рассмотреть заявление по существу",
                          "arguments": "Срок истёк, решения нет."},
            received_at=datetime.combine(day, time(10, 0), tzinfo=ALMATY))
        db.session.commit()
        return complaint.id, complaint.number


def _complaint(app, complaint_id: int):
    from portal.complaints.models import Complaint
    from portal.extensions import db

    with app.app_context():
        row = db.session.get(Complaint, complaint_id)
        return {"status": row.status, "outcome": row.outcome, "automatic": row.forwarded_automatically,
                "forward_due_at": row.deadline("complaint_forward").due_at if row.deadline("complaint_forward") else None}


# --- (e1) the applicant, in Kazakh -----------------------------------------------------------

def test_e1_applicant_complains_about_inaction_after_a_missed_review_deadline(page, app, axe):
    lang = "kk"
    case_id, number = _late_case(app)
    log_in(page, lang, "applicant", "demo-applicant", axe)
    page.goto("/cabinet")
    section = page.locator("section", has=page.get_by_role("heading", name=t(lang, "Complaints")))
    expect(section).to_contain_text(number)
    axe.check(page, "cabinet with a missed term")
    review_row = section.locator("li", has_text=t(lang, "Review of the documents against the Rules"))
    review_row.get_by_role("link", name=t(lang, "Complain about the inaction")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect_language(page, lang, "File the complaint")
    axe.check(page, "complaint form")
    # The missed term is chosen and its facts are written for the applicant.
    expect(page.locator("input[name=subject]:checked")).to_have_count(1)
    expect(page.get_by_label(t(lang, "Why: the facts and your arguments"))).not_to_have_value("")
    page.get_by_role("button", name=t(lang, "File the complaint"), exact=True).click()
    # Nothing asked for yet: the error is next to the field and announced.
    expect(page.locator("#demands-error")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    axe.check(page, "complaint form with an error")
    page.get_by_label(t(lang, "What you ask for")).fill("Өтінішті Қағидаларға сәйкес қарауды сұраймын.")
    page.get_by_role("button", name=t(lang, "File the complaint"), exact=True).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("C-")
    # The complaint's own terms, and what it waits for first, by the forwarding term's last day (issue 16 item 3).
    from portal.core.clock import ALMATY

    forward_due = _complaint(app, int(page.url.rsplit("/", 1)[1]))["forward_due_at"].astimezone(ALMATY)
    expect(page.locator("table.complaint-terms")).to_contain_text(forward_due.strftime("%d.%m.%Y"))
    expect(page.locator("#complaint-next-step")).to_contain_text(forward_due.strftime("%d.%m.%Y"))
    axe.check(page, "complaint registered")
    log_out(page, lang)


# --- (e2) the supervisor, in Russian ---------------------------------------------------------

def test_e2_supervisor_satisfies_a_complaint_by_a_favourable_act_on_the_third_working_day(page, app, axe):
    lang = "ru"
    case_id, _number = _late_case(app)
    complaint_id, complaint_number = _complaint_registered(app, case_id, workdays_ago=3)
    log_in(page, lang, "supervisor", "demo-supervisor", axe)
    page.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Complaints"), exact=True).click()
    expect_language(page, lang, "Apply the filters")
    axe.check(page, "provider's complaint queue")
    page.get_by_role("link", name=complaint_number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(complaint_number)
    axe.check(page, "complaint for the supervisor")
    page.get_by_label(t(lang, "The favourable act: its number, date and what it does")).fill(
        "Приказ № 45: заявление рассмотрено, свидетельство выдаётся.")
    page.get_by_label(t(lang, "I confirm that this act satisfies every demand of the complaint in full")).check()
    page.get_by_role("button", name=t(lang, "Record the favourable act and close the complaint")).click()
    expect(page.locator("h1 .badge")).to_have_text(t(lang, "Fully satisfied by a favourable act of the provider"))
    axe.check(page, "complaint satisfied")
    assert _complaint(app, complaint_id)["outcome"] == "favourable_act"


# --- (e3) the sweeper, the authority (kk) and the applicant ------------------------------------

def test_e3_forwarded_by_the_sweeper_reviewed_by_the_authority_with_the_archive_and_the_log(page, app, ncalayer,
                                                                                            axe):
    from portal.deadlines.sweeper import sweep
    from portal.extensions import db

    lang = "kk"
    case_id, number = _late_case(app)
    complaint_id, complaint_number = _complaint_registered(app, case_id, workdays_ago=1)
    due = _complaint(app, complaint_id)["forward_due_at"]
    with app.app_context(), app.test_request_context():
        assert sweep(due + timedelta(microseconds=1)).get("auto_forward") == 1
    assert _complaint(app, complaint_id)["automatic"]

    log_in(page, lang, "authority", "demo-authority", axe)
    page.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Complaints"), exact=True).click()
    expect_language(page, lang, "Complaints to the quality-control authority")
    axe.check(page, "authority's queue")
    page.get_by_role("link", name=complaint_number, exact=True).click()
    expect(page.locator("body")).to_contain_text(
        t(lang, "automatically on the last of the 3 working days, because the provider had not acted (п.17)"))
    page.get_by_role("link", name=t(lang, "Read the administrative case")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator(".chain-status")).to_have_class(re.compile("chain-status-intact"))
    axe.check(page, "administrative case")
    with page.expect_download() as download:
        page.get_by_role("link", name=t(lang, "Download the whole case (ZIP with SHA-256 manifest)")).click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    manifest = json.loads(archive.read("manifest.json"))["files"]
    for name, entry in manifest.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    assert any(e["kind"] == "complaint.forwarded" for e in json.loads(archive.read("events.json"))["events"])

    page.go_back()  # back to the complaint, a complete page
    expect(page.get_by_role("heading", level=1)).to_contain_text(complaint_number)
    page.get_by_label(t(lang, "Satisfied"), exact=True).check()
    page.get_by_label(t(lang, "Reasons (for a complaint left without consideration: why)")).fill(
        "Өтініш мерзімінде қаралмаған.")
    page.get_by_label(t(lang, "What the provider must do")).fill("Өтінішті 5 жұмыс күні ішінде қарау.")
    page.get_by_label(t(lang, "By when")).fill((datetime.now() + timedelta(days=14)).strftime("%Y-%m-%d"))  # a date picker
    sign_with_ncalayer(page, lang, ncalayer, "authority")  # with the official's own key
    expect(page.locator("body")).to_contain_text("QC-")
    axe.check(page, "authority's decision signed")
    log_out(page, lang)

    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/complaints/{complaint_id}")
    expect(page.locator("body")).to_contain_text(
        t(lang, "Recourse to court is possible after this pre-trial appeal, unless a law provides otherwise (п.20)."))
    axe.check(page, "the applicant reads the decision")
    log_out(page, lang)

    # Someone edits the log behind the portal's back: the administrative case says so.
    with app.app_context():
        db.session.execute(db.text("UPDATE event SET data = :d WHERE id = (SELECT MIN(id) FROM event "
                                   "WHERE application_id = :c)"), {"d": json.dumps({"forged": True}), "c": case_id})
        db.session.commit()
    log_in(page, lang, "authority", "demo-authority")
    page.goto(f"/authority/cases/{case_id}")
    expect(page.locator(".chain-status")).to_have_class(re.compile("chain-status-broken"))
    expect(page.locator(".chain-status")).to_contain_text(t(lang, "The event log has been altered."))
    axe.check(page, "administrative case with an altered log")
