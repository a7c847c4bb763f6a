"""The hearing notice as п.9–п.10 have it (issue 14 items 6, 7), through the pages.

Item 6: after the last lawful moment of the notice the clerk is not stopped: a late notice goes out with its
reason, is kept as a breach of п.10 linked to the missed term, shown to the supervisor, and the case goes on to
the hearing and the decision. Item 7: the notice names the time and the place (a lawful slot the applicant is
booked into and may move inside the window; in writing, the day by whose end the position is awaited).
"""
from __future__ import annotations

import html
from datetime import datetime, time, timedelta

from portal.applications.models import Application
from portal.calendar.services import current_calendar
from portal.core.clock import ALMATY, now_utc
from portal.deadlines.models import Deadline
from portal.events.models import Event
from portal.extensions import db
from portal.hearings.models import HearingSlot, PreliminaryRefusal
from tests.conftest import post_form
from tests.portal.factories import (case_with_grounds, draft_and_sign, hearing_window_over, offered_times,
                                    record_upheld_hearing, send_notice, slot_ids)
from tests.portal.support import mails, send
from tests.support.html import Page, field_value

PLACE = "Астана, Мәңгілік Ел 55, каб. 301"
REASON = "The clerk in charge was on sick leave; the case was handed over on the day after the term."


def notice_path(case_id: int) -> str:
    return f"/staff/cases/{case_id}/preliminary-refusal"


def notice_form(client, case_id: int) -> tuple[str, str]:
    """The notice page and its form's version."""
    page = client.get(notice_path(case_id)).get_data(as_text=True)
    return page, field_value(page, "version")


def error_next_to(response, name: str) -> str:
    """The message shown next to the field `name` (the page is refused: 422)."""
    assert response.status_code == 422
    return Page(response).error(name)


def last_lawful_moment_passed(app, case_id: int) -> datetime:
    """Move the notice's term into the past (its last moment an hour ago), as if the clerk had let it run out."""
    with app.app_context():
        term = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="hearing_notice"))
        moment = now_utc() - timedelta(hours=1)
        term.due_at, term.due_date = moment, moment.astimezone(ALMATY).date()
        db.session.commit()
        return moment


def typed(moment: datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


# --- item 6: the late notice ------------------------------------------------------------------

def test_a_late_notice_needs_its_reason_is_kept_as_a_breach_shown_to_the_supervisor_and_the_case_goes_on(
        app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    last = last_lawful_moment_passed(app, case_id)
    auth.login("clerk")
    page, version = notice_form(client, case_id)
    assert "The notice is late" in page and typed(last) in page and 'name="late_reason"' in page
    slot = offered_times(page, "slot")[0]
    form = {"version": version, "method": "in_person", "place": PLACE, "slot": slot}

    refused = post_form(client, notice_path(case_id), {**form, "late_reason": "   "})
    message = error_next_to(refused, "late_reason")
    assert message.startswith(f"The last lawful moment for the notice was {typed(last)} (п.10). Give the reason")
    with app.app_context():
        assert db.session.get(Application, case_id).status == "grounds_found"
        assert db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id)) is None

    sent = post_form(client, notice_path(case_id), {**form, "late_reason": REASON})
    assert sent.status_code == 302
    with app.app_context():
        case = db.session.get(Application, case_id)
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        terms = {d.code: d for d in case.deadlines}
        notice, hearing = terms["hearing_notice"], terms["hearing"]
        assert case.status == "preliminary_refusal" and case.overdue_since is not None
        # The term was missed, and the late notice is the act done for it, linked to it.
        assert notice.state == "missed" and notice.met_at == refusal.sent_at and notice.next_check_at is None
        assert refusal.late_reason == REASON and refusal.late_deadline_id == notice.id
        # The hearing counts from the actual notice, as for one in time.
        notice_day = current_calendar().act_day(refusal.sent_at)
        assert hearing.state == "open" and hearing.starts_on == notice_day
        assert hearing.due_date == current_calendar().add_workdays(notice_day, 2)
        kinds = [e.kind for e in db.session.scalars(db.select(Event).filter_by(application_id=case_id))]
        assert kinds.count("deadline.missed") == 1
    auth.logout()

    # The supervisor sees the breach and its reason: on the case, in the deadlines at risk, in the overdue queue.
    auth.login("supervisor")
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Notice sent late, on" in case_page and "a breach of п.10" in case_page and REASON in case_page
    assert f"late, after the last lawful moment of п.10; reason: {REASON}" in html.unescape(case_page)
    at_risk = client.get("/staff/deadlines").get_data(as_text=True)
    assert "Notice sent late, on" in at_risk and REASON in at_risk
    with app.app_context():
        number = db.session.get(Application, case_id).number
    overdue = client.get("/staff/cases?deadline=missed").get_data(as_text=True)
    assert number in overdue
    auth.logout()

    # The case goes on: the applicant holds the proposed time; the hearing is held and the decision signed.
    auth.login("applicant")
    hearing_page = client.get(f"/applications/{case_id}/hearing").get_data(as_text=True)
    assert "Booked:" in hearing_page and PLACE in hearing_page
    auth.logout()
    hearing_window_over(app, case_id)
    auth.login("clerk")
    assert record_upheld_hearing(client, case_id).status_code == 302
    auth.logout()
    draft_and_sign(client, auth, case_id)
    with app.app_context():
        assert db.session.get(Application, case_id).status == "refused"


def test_a_notice_in_time_is_no_breach_and_asks_no_reason(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    page, _version = notice_form(client, case_id)
    assert "The notice is late" not in page and 'name="late_reason"' not in page
    assert send_notice(client, case_id).status_code == 302
    with app.app_context():
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        notice = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="hearing_notice"))
        assert refusal.late_reason is None and refusal.late_deadline_id is None and notice.state == "met"
    assert "Notice sent late" not in client.get(f"/applications/{case_id}").get_data(as_text=True)


def test_a_late_notice_after_the_sweeper_marked_the_term_missed_keeps_one_missed_event(app, client, auth):
    from tests.portal.factories import sweep

    case_id = case_with_grounds(app, "applicant")
    last_lawful_moment_passed(app, case_id)
    with app.app_context():
        term = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="hearing_notice"))
        term.next_check_at = now_utc() - timedelta(minutes=1)
        db.session.commit()
    sweep(app, now_utc())
    with app.app_context():
        assert db.session.scalar(db.select(Deadline.state).filter_by(application_id=case_id,
                                                                     code="hearing_notice")) == "missed"
    auth.login("clerk")
    assert send_notice(client, case_id, late_reason=REASON).status_code == 302
    with app.app_context():
        term = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="hearing_notice"))
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        assert term.state == "missed" and term.met_at == refusal.sent_at and refusal.late_deadline_id == term.id
        kinds = [e.kind for e in db.session.scalars(db.select(Event).filter_by(application_id=case_id))]
        assert kinds.count("deadline.missed") == 1


# --- item 7: the time and the place -----------------------------------------------------------

def test_a_notice_without_a_time_or_a_place_is_refused_next_to_the_field(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    page, version = notice_form(client, case_id)
    base = {"version": version, "method": "in_person", "place": PLACE}
    no_time = post_form(client, notice_path(case_id), base)
    assert error_next_to(no_time, "slot").startswith("Choose the time of the hearing: the notice must name its time")
    no_place = post_form(client, notice_path(case_id), {**base, "place": "", "slot": offered_times(page, "slot")[0]})
    assert no_place.status_code == 422 and 'id="place-error"' in no_place.get_data(as_text=True)
    # A time outside the lawful window (the notice day itself) or typed by hand is not one of the offered.
    today = datetime.now(ALMATY).strftime("%Y-%m-%dT") + "10:00"
    outside = post_form(client, notice_path(case_id), {**base, "slot": today})
    assert "not a free lawful time" in error_next_to(outside, "slot")
    written = post_form(client, notice_path(case_id), {**base, "method": "written"})
    assert error_next_to(written, "written_by").startswith("Give the date by which the written position is awaited")
    far = (datetime.now(ALMATY) + timedelta(days=60)).date().isoformat()
    beyond = post_form(client, notice_path(case_id), {**base, "method": "written", "written_by": far})
    assert "Choose a working day of the hearing's window" in error_next_to(beyond, "written_by")
    with app.app_context():
        assert db.session.get(Application, case_id).status == "grounds_found"
        assert db.session.scalar(db.select(db.func.count(HearingSlot.id)).filter_by(
            booked_application_id=case_id)) == 0


def test_the_proposed_time_is_booked_shown_and_mailed_and_the_applicant_moves_it_inside_the_window(
        app, client, auth, runner, mail_folder):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    page, version = notice_form(client, case_id)
    offered = offered_times(page, "slot")
    chosen = offered[3]  # not the first: the clerk picks any lawful time
    assert post_form(client, notice_path(case_id), {"version": version, "method": "video",
                                                    "place": "https://meet.example.kz/hearing-301",
                                                    "slot": chosen}).status_code == 302
    proposed = datetime.strptime(chosen, "%Y-%m-%dT%H:%M").replace(tzinfo=ALMATY)
    with app.app_context():
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        held = db.session.scalar(db.select(HearingSlot).filter_by(booked_application_id=case_id))
        assert refusal.proposed_at == proposed and held.starts_at == proposed and refusal.invitation_sequence == 1
    auth.logout()

    auth.login("applicant")
    hearing = f"/applications/{case_id}/hearing"
    page = client.get(hearing).get_data(as_text=True)
    when = Page(page).text("dd#hearing-time")
    assert when, "the hearing page says when"
    assert typed(proposed) in when and "the time the notice proposed" in when
    assert "https://meet.example.kz/hearing-301" in page and f"Booked: {typed(proposed)}" in page
    ics = client.get(f"{hearing}.ics").get_data(as_text=True)
    assert "METHOD:REQUEST" in ics and "SEQUENCE:1" in ics

    send(runner)
    [mail] = [m for m in mails(mail_folder, "preliminary_refusal.sent") if f"/applications/{case_id}/hearing"
              in m.get_content()]
    content = mail.get_content()
    assert f"Proposed time of the hearing: {typed(proposed)}" in content
    assert "By video link: https://meet.example.kz/hearing-301" in content

    # The applicant moves it to another time of the window; the old one is free again.
    ids = slot_ids(page)
    with app.app_context():
        other = next(i for i in ids if db.session.get(HearingSlot, i).starts_at != proposed)
        first = current_calendar().add_workdays(current_calendar().act_day(refusal.sent_at), 1)
    assert post_form(client, f"{hearing}/book", {"slot": other}, page=hearing).status_code == 302
    with app.app_context():
        moved = db.session.get(HearingSlot, other)
        assert moved.booked_application_id == case_id and held.id != other
        assert db.session.get(HearingSlot, held.id).booked_application_id is None
        hearing_term = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="hearing"))
        local = moved.starts_at.astimezone(ALMATY)
        assert first <= local.date() <= hearing_term.due_date and time(9) <= local.time() < time(18, 30)
    page = client.get(hearing).get_data(as_text=True)
    assert f"Booked: {typed(moved.starts_at)}" in page and "the time the notice proposed" not in page
    # Nothing outside the window is offered: every offered time lies in it.
    with app.app_context():
        for i in slot_ids(page):
            day = db.session.get(HearingSlot, i).starts_at.astimezone(ALMATY).date()
            assert first <= day <= hearing_term.due_date


def test_a_notice_in_writing_names_the_day_the_position_is_awaited_and_no_slot(app, client, auth, runner,
                                                                                mail_folder):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    page, version = notice_form(client, case_id)
    days = offered_times(page, "written_by")
    with app.app_context():
        today = now_utc().astimezone(ALMATY).date()
        window_first = current_calendar().add_workdays(current_calendar().act_day(now_utc()), 1)
    assert days and days[0] == window_first.isoformat() and today.isoformat() not in days
    assert post_form(client, notice_path(case_id), {"version": version, "method": "written",
                                                    "place": "kanc@mdai.gov.kz", "written_by": days[-1]}
                     ).status_code == 302
    awaited = datetime.combine(datetime.fromisoformat(days[-1]).date(), time(18, 30), tzinfo=ALMATY)
    with app.app_context():
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        assert refusal.proposed_at == awaited and refusal.invitation_sequence == 0
        assert db.session.scalar(db.select(HearingSlot).filter_by(booked_application_id=case_id)) is None
    auth.logout()
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}/hearing").get_data(as_text=True)
    assert f"Your written position is awaited until {typed(awaited)}." in page and 'name="slot"' not in page
    send(runner)
    [mail] = [m for m in mails(mail_folder, "preliminary_refusal.sent") if f"/applications/{case_id}/hearing"
              in m.get_content()]
    assert f"Your written position is awaited until {typed(awaited)}" in mail.get_content()
    assert "In writing: kanc@mdai.gov.kz" in mail.get_content()


def test_a_time_taken_meanwhile_by_another_case_is_refused_and_not_offered(app, client, auth):
    first = case_with_grounds(app, "applicant")
    second = case_with_grounds(app, "applicant2")
    auth.login("clerk")
    page_a, version_a = notice_form(client, first)
    page_b, version_b = notice_form(client, second)
    chosen = offered_times(page_a, "slot")[0]
    assert chosen in offered_times(page_b, "slot")
    assert post_form(client, notice_path(first), {"version": version_a, "method": "in_person", "place": PLACE,
                                                 "slot": chosen}).status_code == 302
    # The second notice was opened before: the time it shows is gone.
    taken = post_form(client, notice_path(second), {"version": version_b, "method": "in_person", "place": PLACE,
                                                   "slot": chosen})
    assert "not a free lawful time" in error_next_to(taken, "slot")
    assert chosen not in offered_times(notice_form(client, second)[0], "slot")
    with app.app_context():
        assert db.session.get(Application, second).status == "grounds_found"
