"""What to do next, and by when (issue 16 item 3), in Chromium with JavaScript on.

- The cabinet opens on the one next action, with its date, before anything else; its button leads to it.
- Declining the hearing asks first (a page of its own, no JS confirm()), and the hearing then reads "waived".
- Booking a time (an htmx swap, no reload) shows the calendar (.ics) link at once, the times grouped by day.
"""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import assert_same_page, demo_case_id, log_in, mark_page, t, to_preliminary_refusal


def _free_the_booked_time(app, case_id: int) -> None:
    """As if the notice had proposed no time (or the applicant's time was released): nothing is booked."""
    from portal.extensions import db
    from portal.hearings.models import HearingSlot

    with app.app_context():
        db.session.execute(db.update(HearingSlot).where(HearingSlot.booked_application_id == case_id)
                           .values(booked_application_id=None, booked_at=None))
        db.session.commit()


def _hearing_last_day(app, case_id: int) -> str:
    """The hearing term's last day as the deadlines service keeps it, written dd.MM.yyyy."""
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        due = next(d.due_date for d in db.session.get(Application, case_id).deadlines if d.code == "hearing")
        return due.strftime("%d.%m.%Y")


def _waived(app, case_id: int) -> bool:
    from portal.extensions import db
    from portal.hearings.models import PreliminaryRefusal

    with app.app_context():
        return db.session.scalar(db.select(PreliminaryRefusal.waived_at).filter_by(application_id=case_id)) is not None


def test_the_cabinet_opens_on_the_next_action_with_its_date(page, app, axe):
    lang = "en"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    _free_the_booked_time(app, case_id)
    last_day = _hearing_last_day(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant")
    expect(page.get_by_role("heading", level=1)).to_have_text(t(lang, "Personal cabinet"))

    # The first thing after the page's heading is the next action, with its date.
    first = page.locator("main h1 + section")
    expect(first).to_have_id("next-step")
    expect(first.get_by_role("heading", level=2)).to_have_text("What to do next")
    expect(first).to_contain_text(f"Choose a hearing time by {last_day}.")
    expect(first.locator("time strong")).to_have_text(last_day)
    # The case's own row says the same.
    expect(page.locator("#cases-heading + table")).to_contain_text(f"Choose a hearing time by {last_day}.")
    axe.check(page, "cabinet with its next step")

    # Its button goes to the time picker, where the deadlines table shows the same last day.
    first.get_by_role("link", name="Choose a time").click()
    expect(page).to_have_url(f"{page.url.split('/applications/')[0]}/applications/{case_id}/hearing#slots")
    expect(page.locator("#slots")).to_be_visible()
    page.goto(f"/applications/{case_id}")
    expect(page.locator("#next-step")).to_contain_text(f"Choose a hearing time by {last_day}.")
    expect(page.locator("table.deadlines")).to_contain_text(last_day)


def test_declining_the_hearing_asks_first_and_then_shows_it_waived(page, app, axe):
    lang = "en"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # The button asks on a page of its own: nothing is declined yet, and "No" leaves the hearing as it was.
    page.get_by_role("button", name="I decline the hearing").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decline the hearing?")
    axe.check(page, "confirm the waiver")
    assert not _waived(app, case_id)
    page.get_by_role("link", name="No, keep the hearing").click()
    expect(page.locator("#slot-picker")).to_be_visible()
    assert not _waived(app, case_id)

    # Asked again and confirmed: the hearing is waived, and shown so (never as held).
    page.get_by_role("button", name="I decline the hearing").click()
    page.get_by_role("button", name="Yes, decline the hearing").click()
    expect(page.locator("#hearing-waived")).to_contain_text("Hearing waived.")
    expect(page.get_by_text("was held")).to_have_count(0)
    expect(page.locator("#slot-picker")).to_have_count(0)
    assert _waived(app, case_id) and dialogs == []
    axe.check(page, "hearing waived")
    page.get_by_role("link", name=t(lang, "Back to the case")).click()
    expect(page.locator("#next-step")).to_contain_text("You declined the hearing.")


def test_booking_a_time_shows_the_calendar_link_without_a_reload(page, app, axe):
    lang = "en"
    case_id = demo_case_id(app)
    to_preliminary_refusal(app, case_id)
    _free_the_booked_time(app, case_id)
    log_in(page, lang, "applicant", "demo-applicant")
    page.goto(f"/applications/{case_id}/hearing")
    picker = page.locator("#slot-picker")
    calendar_link = page.get_by_role("link", name=t(lang, "Add to my calendar (.ics)"))
    expect(calendar_link).to_have_count(0)
    # The times are grouped by day: a heading per day, its times under it.
    days = picker.locator("h4.slot-day")
    assert days.count() >= 1
    first_day = picker.get_by_role("group", name=days.first.inner_text())
    expect(first_day.get_by_role("radio").first).to_be_visible()
    mark_page(page)

    first_day.get_by_role("radio").first.check()
    page.get_by_role("button", name=t(lang, "Book this time")).click()
    expect(picker.get_by_role("status")).to_contain_text("Booked:")
    expect(calendar_link).to_be_visible()
    assert calendar_link.get_attribute("href") == f"/applications/{case_id}/hearing.ics"
    assert_same_page(page)
    axe.check(page, "hearing booked (htmx)")
