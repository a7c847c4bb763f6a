"""The complaint's lawful route through the pages (issue 14 items 1, 11, 12).

п.17 and APPK art. 91(4): the provider keeps a complaint only by an act that fully satisfies it, else forwards it;
it never decides it itself. The reviewing body decides a complaint to the provider within п.18's 5 WD. The
authority's order binds the provider: a term in its queue and on the case, escalated, closed when carried out.
After each step the applicant is told the next remedy (the authority, then the court, п.20), with the helplines
of Appendix 2 item 10.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal.calendar.services import current_calendar
from portal.complaints import services as complaint_services
from portal.complaints.models import Complaint
from portal.core.clock import ALMATY, now_utc
from portal.deadlines.models import DeadlineEffect
from portal.events.models import Event
from portal.extensions import db
from tests.conftest import csrf_token, post_form
from tests.portal.factories import complaint_of, file, forwarded_complaint, late_case, sweep
from tests.portal.officials import decide_as_authority
from tests.support.html import Page

REMEDY = "Рассмотреть заявление повторно без основания 2."


def filed_late(app, client, auth) -> tuple[int, dict]:
    """A registered case nobody acted on, with a complaint of its applicant to the provider; nobody signed in."""
    case_id = late_case(app)
    auth.login("applicant")
    assert file(client, case_id).status_code == 302
    auth.logout()
    return case_id, complaint_of(app, case_id)


def forwarded(app, client, auth) -> tuple[int, dict]:
    return forwarded_complaint(app, client, auth, filing=filed_late)


def ordered(app, client, auth, outcome: str = "satisfied") -> tuple[int, dict, "date"]:
    """A forwarded complaint the authority decided with an order due on a Saturday two weeks or more ahead."""
    case_id, complaint = forwarded(app, client, auth)
    day = now_utc().astimezone(ALMATY).date() + timedelta(days=14)
    day += timedelta(days=(5 - day.weekday()) % 7)  # a Saturday: the order's term ends on the next working day
    auth.login("authority")
    with app.app_context():
        done = decide_as_authority(client, complaint["id"], {
            "version": complaint["version"], "outcome": outcome, "reasons": "Условие подтверждено актом.",
            "remedy": REMEDY, "remedy_due": day.strftime("%d.%m.%Y")})
    assert done.status_code == 302, done.get_data(as_text=True)
    auth.logout()
    return case_id, complaint_of(app, case_id), day


def order_row(app, complaint_id: int) -> dict:
    with app.app_context():
        row = db.session.get(Complaint, complaint_id).deadline("authority_order")
        return None if row is None else {
            "id": row.id, "state": row.state, "due_date": row.due_date, "due_at": row.due_at,
            "paragraph": row.paragraph, "next_check_at": row.next_check_at, "met_at": row.met_at}


# --- item 1: the provider keeps a complaint only by a favourable act that fully satisfies it ----------------

def test_the_supervisor_has_no_decide_action_any_more(app, client, auth):
    _case_id, complaint = filed_late(app, client, auth)
    assert not [r for r in app.url_map.iter_rules() if r.rule.endswith("/provider-decision")]
    auth.login("supervisor")
    page = client.get(f"/complaints/{complaint['id']}").get_data(as_text=True)
    assert "provider-decision" not in page and "Decide on the complaint as the provider" not in page
    assert f"/complaints/{complaint['id']}/favourable-act" in page and f"/complaints/{complaint['id']}/forward" in page
    token = csrf_token(client, f"/complaints/{complaint['id']}")
    old = client.post(f"/complaints/{complaint['id']}/provider-decision",
                      data={"csrf_token": token, "version": complaint["version"], "outcome": "refused",
                            "reasons": "Основание подтверждено."})
    assert old.status_code in (404, 405)
    assert complaint_of(app, _case_id)["status"] == "at_provider"
    assert not hasattr(complaint_services, "decide_by_provider")


def test_a_favourable_act_needs_the_confirmation_that_it_satisfies_every_demand(app, client, auth):
    case_id, complaint = filed_late(app, client, auth)
    auth.login("supervisor")
    path, page = f"/complaints/{complaint['id']}/favourable-act", f"/complaints/{complaint['id']}"
    unconfirmed = post_form(client, path, {"version": complaint["version"], "act": "Приказ № 7: часть требований"},
                            page=page)
    text = unconfirmed.get_data(as_text=True)
    assert unconfirmed.status_code == 422 and 'id="fully_satisfies-error"' in text
    assert "Confirm that the act satisfies every demand of the complaint in full" in text
    assert complaint_of(app, case_id)["status"] == "at_provider"
    # The service refuses it too, whatever calls it.
    with app.app_context():
        row = db.session.get(Complaint, complaint["id"])
        with pytest.raises(complaint_services.InvalidComplaint) as refused:
            complaint_services.adopt_favourable_act(row, row.filed_by, "Приказ", row.version)
        assert "fully_satisfies" in refused.value.errors
        db.session.rollback()
    done = post_form(client, path, {"version": complaint["version"], "act": "Приказ № 8: заявление принято к "
                                    "рассмотрению, основание 2 снято.", "fully_satisfies": "y"}, page=page)
    assert done.status_code == 302
    after = complaint_of(app, case_id)
    assert after["status"] == "decided" and after["outcome"] == "favourable_act"
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(application_id=case_id, kind="complaint.favourable_act"))
        assert event.data["fully_satisfies"] is True
    auth.logout()
    auth.login("applicant")
    shown = client.get(page).get_data(as_text=True)
    assert "Fully satisfied by a favourable act of the provider" in shown
    assert "which fully satisfies every demand of the complaint" in shown
    # The next remedy: the authority (п.16, п.19), then the court (п.20), with the way there.
    assert "you may complain about it to the quality-control authority" in shown and "(п.20)" in shown
    links = [h for h in Page(shown).hrefs("/applications/") if h.endswith("/complaints/new?addressee=authority")]
    assert links, "the page offers the complaint to the authority"
    assert Page(client.get(links[0])).checked("addressee") == ["authority"]


def test_forwarding_gives_the_reviewing_body_the_5_days_of_p18_and_leaves_no_term_to_nobody(app, client, auth):
    case_id, complaint = forwarded(app, client, auth)
    assert complaint["status"] == "at_authority"
    with app.app_context():
        row = db.session.get(Complaint, complaint["id"])
        terms = {d.code: d for d in row.deadlines}
        review = terms["complaint_authority"]
        assert review.paragraph == "п. 18" and review.term == 5
        assert review.due_date == current_calendar().add_workdays(row.authority_registered_on, 5)
        assert review.due_at > row.forwarded_at  # a term the authority can meet
        review_due_at = review.due_at
        # Nothing is left open for the provider, who may no longer decide it.
        assert [d.code for d in row.deadlines if d.state == "open"] == ["complaint_authority"]
        assert "complaint_provider" not in terms
    auth.login("applicant")
    shown = client.get(f"/complaints/{complaint['id']}").get_data(as_text=True)
    assert "are with the quality-control authority, the body that reviews it" in shown
    assert "If you disagree with its decision, you may go to court (п.20)." in shown
    # Long after, the sweeper finds nothing of the provider's to mark missed.
    sweep(app, review_due_at - timedelta(hours=1))
    with app.app_context():
        kinds = {(e.data.get("code"), e.kind) for e in db.session.scalars(
            db.select(Event).filter_by(application_id=case_id)) if e.data.get("complaint") == complaint["number"]}
        assert ("complaint_forward", "deadline.missed") not in kinds
        assert ("complaint_provider", "deadline.missed") not in kinds


# --- item 11: the authority's order binds the provider ----------------------------------------------------

def test_an_order_of_the_authority_becomes_the_providers_term_in_its_queue_and_on_the_case(app, client, auth):
    case_id, complaint, day = ordered(app, client, auth)
    row = order_row(app, complaint["id"])
    with app.app_context():
        monday = current_calendar().next_workday(day)
        number = db.session.get(Complaint, complaint["id"]).decision_number
    assert row["state"] == "open" and row["due_date"] == monday and monday > day
    assert row["due_at"] == datetime(monday.year, monday.month, monday.day, 18, 30, tzinfo=ALMATY)
    assert row["paragraph"] == number  # not a term of the Rules: it cites the decision that set it
    auth.login("supervisor")
    queue = client.get("/staff/complaints").get_data(as_text=True)
    assert complaint["number"] in queue and "Carrying out the order of the quality-control authority" in queue
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Order of the quality-control authority to carry out by" in case_page and REMEDY in case_page
    auth.logout()
    auth.login("applicant")
    shown = client.get(f"/complaints/{complaint['id']}").get_data(as_text=True)
    assert REMEDY in shown and "Not yet: the provider must carry out the order" in shown
    assert "Recourse to court is possible after this pre-trial appeal" in shown  # the next remedy (п.20)
    assert "Order of the quality-control authority to carry out by" in client.get("/cabinet").get_data(as_text=True)


def test_an_order_on_a_complaint_filed_with_the_authority_reaches_the_providers_queue(app, client, auth):
    case_id = late_case(app)
    auth.login("applicant")
    assert file(client, case_id, addressee="authority").status_code == 302
    auth.logout()
    complaint = complaint_of(app, case_id)
    with app.app_context():
        assert db.session.get(Complaint, complaint["id"]).deadline("complaint_authority").paragraph == "п. 19"
    auth.login("supervisor")
    assert complaint["number"] not in client.get("/staff/complaints").get_data(as_text=True)
    auth.logout()
    auth.login("authority")
    due = (now_utc() + timedelta(days=10)).strftime("%d.%m.%Y")
    with app.app_context():
        assert decide_as_authority(client, complaint["id"], {
            "version": complaint["version"], "outcome": "satisfied", "reasons": "Бездействие подтверждено.",
            "remedy": REMEDY, "remedy_due": due}).status_code == 302
    auth.logout()
    auth.login("supervisor")
    queue = client.get("/staff/complaints").get_data(as_text=True)
    assert complaint["number"] in queue and "Carrying out the order of the quality-control authority" in queue


def test_a_partly_satisfied_decision_with_an_order_opens_the_term_too_and_a_refusal_none(app, client, auth):
    _case_id, complaint, _day = ordered(app, client, auth, outcome="partly_satisfied")
    assert order_row(app, complaint["id"])["state"] == "open"
    case_id, other = forwarded(app, client, auth)
    auth.login("authority")
    with app.app_context():
        assert decide_as_authority(client, other["id"], {"version": other["version"], "outcome": "refused",
                                                         "reasons": "Основание подтверждено."}).status_code == 302
    assert order_row(app, other["id"]) is None


def test_the_sweeper_escalates_an_order_not_carried_out(app, client, auth, clock):
    _case_id, complaint, _day = ordered(app, client, auth)
    row = order_row(app, complaint["id"])
    sweep(app, row["next_check_at"])
    after = row["due_at"] + timedelta(minutes=1)
    sweep(app, after)
    with app.app_context():
        kinds = set(db.session.scalars(db.select(DeadlineEffect.kind).filter_by(deadline_id=row["id"])))
        assert {"warn", "mark_missed", "flag_overdue"} <= kinds
        assert db.session.get(Complaint, complaint["id"]).overdue_since is not None
    assert order_row(app, complaint["id"])["state"] == "missed"
    clock.set(after)
    auth.login("supervisor")
    overdue = client.get("/staff/complaints?state=overdue").get_data(as_text=True)
    assert complaint["number"] in overdue and "1 overdue" in overdue


def test_the_provider_records_the_order_carried_out_and_the_applicant_sees_it(app, client, auth):
    case_id, complaint, _day = ordered(app, client, auth)
    path, page = f"/complaints/{complaint['id']}/order-carried-out", f"/complaints/{complaint['id']}"
    version = complaint_of(app, case_id)["version"]
    for username in ("applicant", "authority", "signatory"):
        auth.login(username)
        assert post_form(client, path, {"version": version, "note": "x"}, page="/login").status_code == 403
        auth.logout()
    auth.login("clerk")
    assert "Record that the order is carried out" in client.get(page).get_data(as_text=True)
    empty = post_form(client, path, {"version": version, "note": "  "}, page=page)
    assert empty.status_code == 422 and 'id="note-error"' in empty.get_data(as_text=True)
    note = "Заявление рассмотрено повторно, свидетельство № 17 выдано."
    assert post_form(client, path, {"version": version, "note": note}, page=page).status_code == 302
    row = order_row(app, complaint["id"])
    assert row["state"] == "met" and row["met_at"] is not None and row["next_check_at"] is None
    with app.app_context():
        event = db.session.scalar(db.select(Event).filter_by(application_id=case_id,
                                                             kind="complaint.order_carried_out"))
        assert event.data["note"] == note and event.actor_id is not None
    # Done once: the step is gone from the page, a repeat changes nothing.
    assert "Record that the order is carried out" not in client.get(page).get_data(as_text=True)
    again = post_form(client, path, {"version": complaint_of(app, case_id)["version"], "note": "again"}, page=page)
    assert again.status_code == 302 and complaint_of(app, case_id)["version"] == version + 1
    auth.logout()
    auth.login("applicant")
    shown = client.get(page).get_data(as_text=True)
    assert "Carried out on" in shown and note in shown
    assert "Order of the quality-control authority carried out on" in client.get(f"/applications/{case_id}").get_data(
        as_text=True)
    auth.logout()
    auth.login("supervisor")
    assert complaint["number"] not in client.get("/staff/complaints?state=open").get_data(as_text=True)


# --- item 12: the helplines of Appendix 2 item 10 ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_helplines_are_shown_where_the_portal_explains_the_service(app, client, auth, lang):
    case_id, complaint = filed_late(app, client, auth)
    auth.login("applicant")
    client.get(f"/language/{lang}")
    for path in ("/cabinet", f"/applications/{case_id}", f"/complaints/{complaint['id']}"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="tel:1414">1414</a>' in page and 'href="tel:88000807777">8-800-080-7777</a>' in page, path
