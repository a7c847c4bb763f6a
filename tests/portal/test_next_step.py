"""What to do next, and by when (issue 16 item 3): the one next step first on the cabinet and the case page, with
the date the deadlines service shows; the waiver asked to be confirmed and shown as waived; the .ics link in the
booking's answer; slots by day; every answer on the submit page with its change link; a complaint's own terms."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.applications.models import Application
from portal.applications.next_step import (ACT, ACT_BY, DONE, WAIT, CaseFacts, HearingFacts, complaint_step,
                                           first_step, next_step)
from portal.core.clock import ALMATY, now_utc
from portal.core.i18n import official_date, official_datetime
from portal.extensions import db
from portal.hearings.models import HearingSlot, PreliminaryRefusal
from tests.conftest import post_form
from tests.portal.factories import case_with_grounds, notified_case, slot_ids
from tests.support.html import Page, text_of

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=ALMATY)


def term(day: date):
    """A term as the deadlines service keeps it: its last day, ending at 18:30 Almaty."""
    return SimpleNamespace(due_date=day, due_at=datetime.combine(day, datetime.min.time().replace(hour=18, minute=30),
                                                                 tzinfo=ALMATY))


TERMS = {"registration": term(date(2026, 11, 20)), "completeness": term(date(2026, 11, 24)),
         "review": term(date(2026, 11, 27)), "service": term(date(2026, 12, 8)),
         "hearing_notice": term(date(2026, 12, 3)), "hearing": term(date(2026, 12, 7))}


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def text(step) -> str:
    return Page(str(step.text)).content()


# --- the pure function -----------------------------------------------------------------------

@pytest.mark.parametrize("status, hearing, key, rank, sentence", [
    ("registered", None, "completeness", WAIT,
     "Nothing to do: the provider checks that your documents are complete by 24.11.2026."),
    ("under_review", None, "review", WAIT, "Nothing to do: the provider reviews your application until 27.11.2026."),
    ("preliminary_refusal", HearingFacts("in_person"), "choose_slot", ACT_BY, "Choose a hearing time by 07.12.2026."),
    ("preliminary_refusal", HearingFacts("video", slot_at=datetime(2026, 12, 4, 10, 0, tzinfo=ALMATY)), "attend",
     ACT_BY, "Join the hearing by video on 04.12.2026 10:00."),
    ("preliminary_refusal", HearingFacts("written", proposed_at=datetime(2026, 12, 7, 18, 30, tzinfo=ALMATY)),
     "state_position", ACT_BY, "State your position by 07.12.2026 18:30."),
    ("preliminary_refusal", HearingFacts("written", position_stated=True), "position_received", WAIT,
     "Nothing to do: the provider weighs your written position at a hearing in writing by 07.12.2026."),
    ("preliminary_refusal", HearingFacts("in_person", slot_at=datetime(2026, 12, 4, 10, 0, tzinfo=ALMATY),
                                         waived=True), "waived", WAIT,
     "You declined the hearing. Nothing to do: the provider prepares the final decision by 08.12.2026."),
    ("hearing_held", HearingFacts("in_person", waived=True), "waived", WAIT,
     "You declined the hearing. Nothing to do: the provider prepares the final decision by 08.12.2026."),
    ("hearing_held", HearingFacts("in_person"), "decision", WAIT,
     "Nothing to do: the provider prepares the decision on your application by 08.12.2026."),
    ("certificate_issued", None, "read_certificate", DONE,
     "Read the decision: your accreditation certificate is issued."),
    ("refused", None, "read_refusal", DONE, "Read the decision. You may complain against it."),
])
def test_the_applicants_step_follows_the_stage_and_names_the_terms_date(english, status, hearing, key, rank,
                                                                        sentence):
    step = next_step(CaseFacts(status=status, terms=TERMS, hearing=hearing), "applicant", NOW)
    assert (step.key, step.rank, text(step)) == (key, rank, sentence)


def test_a_hearing_already_begun_leaves_the_applicant_waiting_for_the_decision(english):
    began = HearingFacts("in_person", slot_at=NOW - timedelta(minutes=5))
    step = next_step(CaseFacts(status="preliminary_refusal", terms=TERMS, hearing=began), "applicant", NOW)
    assert step.key == "hearing_to_record" and step.due == date(2026, 12, 8)


def test_a_draft_is_filled_in_first_and_signed_and_submitted_when_complete(english):
    assert next_step(CaseFacts(status="draft"), "applicant", NOW).endpoint == "applications.edit"
    ready = next_step(CaseFacts(status="draft", ready_to_submit=True), "applicant", NOW)
    assert (ready.key, text(ready), ready.endpoint) == ("submit", "Sign and submit the application.",
                                                         "applications.submit")


@pytest.mark.parametrize("role, status, hearing, key, sentence", [
    ("clerk", "registered", None, "check_completeness", "Check completeness by 24.11.2026."),
    ("clerk", "under_review", None, "review", "Review the application against the Rules by 27.11.2026."),
    ("clerk", "grounds_found", None, "send_notice",
     "Send the preliminary decision to refuse and the hearing notice by 03.12.2026."),
    ("clerk", "preliminary_refusal", HearingFacts("in_person"), "record_hearing",
     "Hold the hearing and record it by 07.12.2026."),
    ("clerk", "preliminary_refusal", HearingFacts("in_person", waived=True), "record_waiver",
     "The applicant declined the hearing: record it by 07.12.2026, then draft the final decision."),
    ("clerk", "hearing_held", None, "draft_decision", "Draft the final decision by 08.12.2026."),
    ("clerk", "decision_drafted", None, "awaiting_signature",
     "Nothing to do: the authorised person signs the decision by 08.12.2026."),
    ("signatory", "decision_drafted", None, "sign", "Sign the decision by 08.12.2026."),
])
def test_staff_get_their_own_step(english, role, status, hearing, key, sentence):
    step = next_step(CaseFacts(status=status, terms=TERMS, hearing=hearing), role, NOW)
    assert (step.key, text(step)) == (key, sentence)


def test_staff_with_nothing_to_do_on_the_case_get_no_step(english):
    assert next_step(CaseFacts(status="registered", terms=TERMS), "signatory", NOW) is None
    assert next_step(CaseFacts(status="refused", terms=TERMS), "clerk", NOW) is None
    assert next_step(CaseFacts(status="registered", terms=TERMS), "authority", NOW) is None


def test_the_first_step_is_the_nearest_thing_to_do_then_the_rest(english):
    waiting = next_step(CaseFacts(status="registered", terms=TERMS), "applicant", NOW)
    draft = next_step(CaseFacts(status="draft"), "applicant", NOW)
    late = next_step(CaseFacts(status="preliminary_refusal", terms=TERMS, hearing=HearingFacts("in_person")),
                     "applicant", NOW)
    soon = next_step(CaseFacts(status="preliminary_refusal", terms=TERMS, hearing=HearingFacts(
        "in_person", slot_at=datetime(2026, 12, 4, 9, 0, tzinfo=ALMATY))), "applicant", NOW)
    done = next_step(CaseFacts(status="refused"), "applicant", NOW)
    assert first_step([("a", waiting), ("b", draft), ("c", late), ("d", soon), ("e", done)])[0] == "d"
    assert first_step([("a", waiting), ("b", draft), ("e", done)])[0] == "b"
    assert first_step([("a", waiting), ("e", done)])[0] == "a"
    assert first_step([]) is None


def test_a_complaints_step_names_its_own_term(english):
    terms = {"complaint_forward": term(date(2026, 12, 4)), "complaint_authority": term(date(2026, 12, 11)),
             "authority_order": term(date(2026, 12, 20))}
    assert text(complaint_step("at_authority", terms)) == "Decision on your complaint due by 11.12.2026."
    assert text(complaint_step("at_authority", terms, role="authority")) == "Decide on the complaint by 11.12.2026."
    assert complaint_step("at_provider", terms, role="supervisor").rank == ACT_BY
    assert text(complaint_step("decided", terms, order_pending=True)) == (
        "The provider must carry out the decision on your complaint by 20.12.2026.")
    assert complaint_step("decided", terms) is None
    assert complaint_step("at_authority", {}).rank == WAIT and complaint_step("at_provider", {},
                                                                              role="clerk").rank == ACT


# --- the pages ------------------------------------------------------------------------------

def next_step_section(html: str) -> Page:
    return Page(html).within("section.next-step#next-step")


def shown(html: str | Page) -> str:
    """The text a person reads (a sentence's inline tags joined, white space squashed)."""
    return (html if isinstance(html, Page) else Page(html)).content()


def registered_case(app) -> tuple[int, object]:
    with app.app_context():
        case = db.session.scalar(db.select(Application).filter_by(status="registered"))
        completeness = next(d for d in case.deadlines if d.code == "completeness")
        return case.id, completeness.due_date


def test_the_case_page_puts_the_next_step_first_with_the_date_its_deadlines_table_shows(app, client, auth):
    case_id, due = registered_case(app)
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    step = next_step_section(page)
    main = page[page.index("<main"):]
    assert main.index('id="next-step"') < main.index('id="case-status"') < main.index('id="deadlines-heading"')
    assert shown(step).endswith(f"Nothing to do: the provider checks that your documents are complete by "
                                f"{official_date(due)}.")
    # The same date as the deadlines table's row of the completeness term.
    row = [row for row in Page(page).texts("tr.deadline-row") if row.startswith("Check of completeness")]
    assert len(row) == 1 and official_date(due) in row[0]
    auth.logout()

    auth.login("clerk")
    step = next_step_section(client.get(f"/applications/{case_id}").get_data(as_text=True))
    assert f"Check completeness by {official_date(due)}." in shown(step)
    assert f"/staff/cases/{case_id}/completeness" in step.hrefs()


def test_the_cabinet_puts_the_one_next_action_first_and_a_step_on_every_case(app, client, auth):
    case_id, due = registered_case(app)
    auth.login("applicant")
    page = client.get("/cabinet").get_data(as_text=True)
    main = page[page.index("<main"):]
    assert main.index('id="next-step"') < main.index('id="new-heading"')
    # The draft is something to do, the registered case only waits: the draft comes first.
    assert "Fill in the application and attach the documents." in shown(next_step_section(page))
    assert f"Nothing to do: the provider checks that your documents are complete by {official_date(due)}." in (
        shown(Page(page).within("section[aria-labelledby=cases-heading]")))


def test_the_cabinet_puts_the_hearing_first_with_its_time(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    with app.app_context():
        starts_at = db.session.scalar(db.select(HearingSlot.starts_at).filter_by(booked_application_id=case_id))
    step = next_step_section(client.get("/cabinet").get_data(as_text=True))
    assert f"Come to the hearing on {official_datetime(starts_at)}." in shown(step)
    assert f"/applications/{case_id}/hearing" in step.hrefs()
    # Without a booked time: choose one by the last day of the hearing's term, as the deadlines table shows it.
    with app.app_context():
        db.session.execute(db.update(HearingSlot).where(HearingSlot.booked_application_id == case_id)
                           .values(booked_application_id=None, booked_at=None))
        db.session.commit()
        last_day = next(d.due_date for d in db.session.get(Application, case_id).deadlines if d.code == "hearing")
    step = next_step_section(client.get(f"/applications/{case_id}").get_data(as_text=True))
    assert f"Choose a hearing time by {official_date(last_day)}." in shown(step)
    assert f"/applications/{case_id}/hearing#slots" in step.hrefs()


def waived_at(app, case_id: int):
    with app.app_context():
        return db.session.scalar(db.select(PreliminaryRefusal.waived_at).filter_by(application_id=case_id))


def test_a_waiver_asks_for_confirmation_first_and_is_then_shown_as_waived_never_as_held(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    page = client.get(hearing).get_data(as_text=True)
    assert "I decline the hearing" in page
    asked = post_form(client, f"{hearing}/waive", {}, page=hearing)
    assert asked.status_code == 200 and waived_at(app, case_id) is None
    body = asked.get_data(as_text=True)
    assert "Decline the hearing?" in body and 'name="confirm" value="yes"' in body and "No, keep the hearing" in body
    done = post_form(client, f"{hearing}/waive", {"confirm": "yes"}, page=hearing)
    assert done.status_code == 302 and waived_at(app, case_id) is not None
    page = client.get(hearing).get_data(as_text=True)
    assert "Hearing waived." in page and "was held" not in page
    assert "You declined the hearing." in shown(next_step_section(client.get(f"/applications/{case_id}")
                                                                 .get_data(as_text=True)))
    # Posting again (a second tab) changes nothing and asks nothing.
    assert post_form(client, f"{hearing}/waive", {}, page=hearing).status_code == 302
    auth.logout()

    # The clerk records the waived hearing: still shown as waived, and the record's event says it was waived.
    auth.login("clerk")
    step = next_step_section(client.get(f"/applications/{case_id}").get_data(as_text=True))
    assert "The applicant declined the hearing: record it by" in shown(step)
    with app.app_context():
        from portal.accounts.models import User
        from portal.events.models import Event
        from portal.hearings import services as hearings

        case = db.session.get(Application, case_id)
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        hearings.record_hearing(case, clerk, {"held_at": now_utc().replace(second=0, microsecond=0),
                                              "outcome": "refusal_upheld", "attended": False}, None)
        db.session.commit()
        recorded = db.session.scalar(db.select(Event).filter_by(application_id=case_id, kind="hearing.recorded"))
        assert recorded.data["waived"] is True
    page = client.get(hearing).get_data(as_text=True)
    assert "Hearing waived." in page and "The applicant declined the hearing on" in page and "was held" not in page
    auth.logout()
    # The motivated refusal says the applicant declined it, not that it was held.
    with app.app_context():
        from portal.decisions import services as decisions

        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        decision_id = decisions.draft(db.session.get(Application, case_id), clerk, None).id
        db.session.commit()
    auth.login("signatory")
    document = client.get(f"/staff/decisions/{decision_id}").get_data(as_text=True)
    assert "The applicant declined the hearing." in document and "The hearing was held" not in document
    auth.logout()
    auth.login("applicant")
    assert "You declined the hearing." in shown(next_step_section(client.get(f"/applications/{case_id}")
                                                                 .get_data(as_text=True)))


def test_the_booking_answer_over_htmx_carries_the_ics_link(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    with app.app_context():  # nothing booked: no calendar file to offer yet
        db.session.execute(db.update(HearingSlot).where(HearingSlot.booked_application_id == case_id)
                           .values(booked_application_id=None, booked_at=None))
        db.session.commit()
    page = client.get(hearing).get_data(as_text=True)
    assert "hearing.ics" not in page
    ids = slot_ids(page)
    answer = post_form(client, f"{hearing}/book", {"slot": ids[1]}, page=hearing, headers={"HX-Request": "true"})
    fragment = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<header" not in fragment
    assert f'href="/applications/{case_id}/hearing.ics"' in fragment and "Add to my calendar (.ics)" in fragment


def test_the_slots_are_grouped_under_a_heading_per_day(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    page = client.get(hearing).get_data(as_text=True)
    with app.app_context():
        refusal = db.session.scalar(db.select(PreliminaryRefusal).filter_by(application_id=case_id))
        from portal.hearings import services as hearings

        offered = hearings.offered_slots(db.session.get(Application, case_id), refusal, now_utc())
        days = sorted({s.starts_at.astimezone(ALMATY).date() for s in offered})
        by_id = {s.id: s.starts_at.astimezone(ALMATY) for s in offered}
    picker = Page(page).within("section#slots")
    headings = [(h.get("id").removeprefix("slot-day-"), text_of(h)) for h in picker.find_all("h4.slot-day")]
    assert [date.fromisoformat(d) for d, _ in headings] == days
    assert all(heading.endswith(official_date(date.fromisoformat(d))) for d, heading in headings)
    # Each time sits under its own day's heading, and reads as the time (the day is said to screen readers).
    for slot_id, starts_at in by_id.items():
        radio = picker.find(f"input#slot-{slot_id}")
        assert radio is not None, slot_id
        heading = radio.xpath("string(preceding::h4[@class='slot-day'][1]/@id)")
        assert heading == f"slot-day-{starts_at.date().isoformat()}", (slot_id, heading)
        label = picker.within(f"label[for=slot-{slot_id}]")
        assert label.text("span.visually-hidden") == official_date(starts_at)
        assert label.content() == f"{official_date(starts_at)} {starts_at:%H:%M}"


def test_the_submit_page_shows_every_answer_with_a_link_to_change_it(app, client, auth):
    with app.app_context():
        draft = db.session.scalar(db.select(Application).filter_by(status="draft", kind="reissue"))
        draft_id = draft.id
        from portal.accounts.models import User
        from portal.applications import services as applications

        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        applications.save_draft(draft, {
            "legal_name": owner.organization.name, "bin": owner.organization.bin, "legal_address": "Астана, 1",
            "pool_name": "Altyn Hash", "main": {"settlement": "Астана", "address": "ул. Сығанақ, 10",
                                                "provider_1": "Kazakhtelecom", "provider_2": "Transtelecom"},
            "backups": [{"settlement": "Караганда", "address": "ул. Ерубаева, 1", "provider_1": "Beeline",
                         "provider_2": "Tele2"}],
            "support_24_7": True, "ui_languages": ["kk", "en"], "security_act_number": "ИБ-2026/117",
            "security_act_date": date(2026, 2, 3), "consent_personal_data": True,
            "reissue_certificate_number": "AK-1", "reissue_reason": "Смена адреса"}, owner)
        db.session.commit()
    auth.login("applicant")
    page = client.get(f"/applications/{draft_id}/submit").get_data(as_text=True)
    answers = Page(page).within("section.answers[aria-labelledby=answers-heading]")
    rows = {shown(Page(dt)): shown(Page(dt.getnext())) for dt in answers.find_all("div.answer > dt")}
    expected = {
        "What do you apply for": "Re-issuance of the accreditation certificate",
        "Full name of the legal entity": None, "BIN": None, "Legal address": "Астана, 1",
        "Name of the digital mining pool": "Altyn Hash", "Settlement": None, "Address": None,
        "Communication provider of the first channel": None, "Communication provider of the second channel": None,
        "The pool's information system has 24/7 technical support and client requests": "yes",
        "Languages of the pool's user interface": "Kazakh, English",
        "Number of the information-security test act": "ИБ-2026/117",
        "Date of the information-security test act": "03.02.2026",
        "The pool is integrated with the state service for control of access to personal data": "no",
        "Number of the certificate to re-issue": "AK-1", "Reason for re-issuance": "Смена адреса",
    }
    for label, value in expected.items():
        assert label in rows, label
        if value is not None:
            assert rows[label] == value, (label, rows[label])
    for value in ("Караганда", "ул. Ерубаева, 1", "Beeline", "Tele2", "ул. Сығанақ, 10"):
        assert value in shown(answers)
    # Each answer links to its field in the form, and the form has an element with that id.
    edit = Page(client.get(f"/applications/{draft_id}/edit"))
    anchors = [href.split("#", 1)[1] for href in answers.hrefs(f"/applications/{draft_id}/edit#")]
    assert len(anchors) >= 20 and {"kind-0", "legal_name-group", "main-settlement-group",
                                   "backups-0-provider_2-group", "ui_languages",
                                   "reissue_reason-group", "consent_personal_data-group"} <= set(anchors)
    for anchor in anchors:
        assert edit.find(f"[id={anchor}]") is not None, anchor
    # Each document of the checklist links to its place on the documents page.
    documents = Page(client.get(f"/applications/{draft_id}/documents"))
    codes = [href.split("#doc-", 1)[1] for href in answers.hrefs(f"/applications/{draft_id}/documents#doc-")]
    for code in codes:
        assert documents.find(f"[id=doc-{code}]") is not None, code
    changes = answers.find_all("dd.answer-change a")
    assert len(changes) == len(anchors) + len(codes) and all(text_of(a).startswith("Change") for a in changes)


def test_a_complaints_terms_are_named_as_the_complaints(app, client, auth):
    from tests.portal.factories import complaint_of, file

    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    file(client, case_id)
    complaint = complaint_of(app, case_id)
    forward_due = complaint["terms"]["complaint_forward"][1]
    page = client.get(f"/complaints/{complaint['id']}").get_data(as_text=True)
    assert (f"Your complaint is with the provider: it satisfies it in full or forwards it to the quality-control "
            f"authority by {official_date(forward_due)}.") in shown(page)
    terms = page[page.index('id="terms-heading"'):]
    assert "Registration of the complaint" in terms and "Registration of the application" not in terms
    cabinet = shown(client.get("/cabinet").get_data(as_text=True))
    assert f"forwards it to the quality-control authority by {official_date(forward_due)}." in cabinet
    auth.logout()

    auth.login("supervisor")
    assert post_form(client, f"/complaints/{complaint['id']}/forward", {"version": complaint["version"]},
                     page=f"/complaints/{complaint['id']}").status_code == 302
    auth.logout()
    decision_due = complaint_of(app, case_id)["terms"]["complaint_authority"][1]
    auth.login("applicant")
    page = shown(client.get(f"/complaints/{complaint['id']}").get_data(as_text=True))
    assert f"Decision on your complaint due by {official_date(decision_due)}." in page
    assert "Decision on the complaint by the quality-control authority" in page
    auth.logout()
    auth.login("authority")
    page = shown(client.get(f"/complaints/{complaint['id']}").get_data(as_text=True))
    assert f"Decide on the complaint by {official_date(decision_due)}." in page
