"""Complaints (chapter 3, п.16–п.20) through the pages people use: filing, the provider, the authority."""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, time, timedelta
from urllib.parse import unquote

import pytest

from portal.calendar.services import current_calendar
from portal.complaints.models import Complaint
from portal.core.clock import ALMATY, now_utc
from portal.deadlines.models import DeadlineEffect
from portal.events.models import Event
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.signatures import services as signatures
from tests.conftest import csrf_token, post_form
from tests.portal.eds import OTHER_BIN
from tests.portal.factories import (case_with_grounds, complaint_of, file, filed, forwarded_complaint, late_case,
                                    sweep)
from tests.portal.officials import authority_document, decide_as_authority, person, post_authority_decision
from tests.support.html import Page, field_value


# --- filing ----------------------------------------------------------------------------------

def test_an_applicant_files_a_complaint_and_gets_its_number_and_dates(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert f"/applications/{case_id}/complaints/new" in case_page
    response = file(client, case_id, subject=f"review:{_review_id(app, case_id)}")
    assert response.status_code == 302
    complaint = complaint_of(app, case_id)
    assert re.fullmatch(r"C-\d{4}-\d{6}", complaint["number"]) and complaint["status"] == "at_provider"
    registered = complaint["registered_on"]
    with app.app_context():
        calendar = current_calendar()
        # п.17 counts from the day it arrived, п.18 from its registration
        arrived = db.session.get(Complaint, complaint["id"]).received_at.astimezone(ALMATY).date()
        assert complaint["terms"]["complaint_forward"][1] == calendar.add_workdays(arrived, 3)
        # п.18's 5 WD are the reviewing body's, from its registration there: none runs with the provider (issue 14)
        assert "complaint_provider" not in complaint["terms"] and registered is not None
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert complaint["number"] in page and "Основание 2 не применимо" in page
    # The complaint's own term, named as the complaint's (issue 16 item 3).
    assert "The complaint satisfied in full by a favourable act, or forwarded to the quality-control authority" in page
    with app.app_context():
        kinds = {(m.kind, m.recipient_email) for m in db.session.scalars(db.select(OutboxMessage))}
        assert any(k == "complaint.registered" for k, _ in kinds) and any(k == "complaint.received" for k, _ in kinds)
        assert db.session.scalar(db.select(Event).filter_by(application_id=case_id, kind="complaint.filed"))


def _review_id(app, case_id):
    from portal.review.models import ReviewDecision

    with app.app_context():
        return db.session.scalar(db.select(ReviewDecision.id).filter_by(application_id=case_id, stage="review"))


def test_the_same_form_sent_twice_files_one_complaint(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}/complaints/new").get_data(as_text=True)
    key = field_value(page, "submission_key")
    data = {"submission_key": key, "subject": "case", "addressee": "authority", "demands": "a", "arguments": "b",
            "csrf_token": csrf_token(client, f"/applications/{case_id}/complaints/new")}
    first = client.post(f"/applications/{case_id}/complaints/new", data=data)
    second = client.post(f"/applications/{case_id}/complaints/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id)).filter_by(application_id=case_id)) == 1


def test_missing_answers_are_shown_next_to_their_fields_and_nothing_is_filed(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    response = file(client, case_id, subject="decision:999999", demands="", arguments="  ")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose what the complaint is about." in page
    assert 'id="demands-error"' in page and 'id="arguments-error"' in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Complaint.id))) == 0


def test_a_complaint_about_inaction_starts_from_the_missed_deadline_with_the_facts_filled_in(app, client, auth):
    case_id = late_case(app)
    auth.login("applicant")
    links = Page(client.get("/cabinet")).hrefs(f"/applications/{case_id}/complaints/new?subject=deadline")
    assert links, "the cabinet offers a complaint about the missed term"
    missed = unquote(links[0].split("subject=", 1)[1])
    assert re.fullmatch(r"deadline:\d+", missed), links[0]
    form = Page(client.get(links[0]))
    assert form.checked("subject") == [missed]
    assert "has not been taken" in form.markup  # the facts, filled in
    key = form.value("submission_key")
    arguments = form.value("arguments").lstrip()
    response = post_form(client, f"/applications/{case_id}/complaints/new",
                         {"submission_key": key, "subject": missed, "addressee": "provider",
                          "demands": "Рассмотреть заявление", "arguments": arguments},
                         page=f"/applications/{case_id}/complaints/new")
    assert response.status_code == 302
    complaint = complaint_of(app, case_id)
    assert complaint["kind"] == "inaction" and complaint["subject"] == missed


def test_another_organisation_cannot_see_or_file_on_the_case(app, client, auth):
    case_id, complaint = filed(app, client, auth)
    auth.login("applicant2")
    assert client.get(f"/complaints/{complaint['id']}").status_code == 404
    assert client.get(f"/applications/{case_id}/complaints/new").status_code == 404
    assert client.get(f"/complaints/{complaint['id']}/decision.xml").status_code == 404
    assert complaint["number"] not in client.get("/cabinet").get_data(as_text=True)


# --- the provider (п.17, п.18) ---------------------------------------------------------------

def test_a_favourable_act_within_three_working_days_closes_the_complaint_as_satisfied(app, client, auth):
    case_id, complaint = filed(app, client, auth)
    auth.login("supervisor")
    queue = client.get("/staff/complaints").get_data(as_text=True)
    assert complaint["number"] in queue
    response = post_form(client, f"/complaints/{complaint['id']}/favourable-act",
                         {"version": complaint["version"], "act": "Приказ № 12 от сегодняшнего дня: основание 2 снято.",
                          "fully_satisfies": "y"},
                         page=f"/complaints/{complaint['id']}")
    assert response.status_code == 302
    after = complaint_of(app, case_id)
    assert after["status"] == "decided" and after["outcome"] == "favourable_act"
    assert after["terms"]["complaint_forward"][0] == "met"
    auth.logout()
    auth.login("applicant")
    page = client.get(f"/complaints/{complaint['id']}").get_data(as_text=True)
    assert "Fully satisfied by a favourable act of the provider" in page and "Приказ № 12" in page
    # The sweeper later has nothing to forward.
    sweep(app, after["terms"]["complaint_forward"][2] + timedelta(days=1))
    assert complaint_of(app, case_id)["status"] == "decided"


def test_after_three_working_days_a_favourable_act_no_longer_keeps_the_complaint(app, client, auth, clock):
    case_id, complaint = filed(app, client, auth)
    late = complaint["terms"]["complaint_forward"][2] + timedelta(minutes=1)
    clock.set(late)
    auth.login("supervisor")
    response = post_form(client, f"/complaints/{complaint['id']}/favourable-act",
                         {"version": complaint["version"], "act": "Приказ", "fully_satisfies": "y"},
                         page=f"/complaints/{complaint['id']}")
    assert response.status_code == 422
    assert "must be forwarded with the case" in response.get_data(as_text=True)
    assert complaint_of(app, case_id)["status"] == "at_provider"


def test_the_sweeper_forwards_a_complaint_left_with_the_provider_once(app, client, auth):
    case_id, complaint = filed(app, client, auth)
    after = complaint["terms"]["complaint_forward"][2] + timedelta(microseconds=1)
    done = sweep(app, after)
    assert done.get("auto_forward") == 1
    forwarded = complaint_of(app, case_id)
    assert forwarded["status"] == "at_authority" and forwarded["automatic"]
    assert forwarded["terms"]["complaint_forward"][0] == "missed"  # the provider's breach stays visible
    with app.app_context():
        # Addressed to the provider: the reviewing body decides within п.18's 5 WD of its registration there.
        registered_there = current_calendar().registration_date(after)
        assert forwarded["terms"]["complaint_authority"][1] == current_calendar().add_workdays(registered_there, 5)
    assert sweep(app, after + timedelta(minutes=5)).get("auto_forward") is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DeadlineEffect.id)).filter_by(kind="auto_forward")) == 1
        assert db.session.scalar(db.select(db.func.count(Event.id)).filter_by(kind="complaint.forwarded")) == 1
    auth.login("authority")
    queue = client.get("/authority/complaints").get_data(as_text=True)
    assert forwarded["number"] in queue


def test_the_sweeper_forwards_on_the_last_day_before_the_term_ends_so_it_is_no_breach(app, client, auth):
    # п.17: the term ends at 18:30 Almaty of its last working day; the sweeper forwards at 17:00 of that day.
    case_id, complaint = filed(app, client, auth)
    _state, last_day, due_at = complaint["terms"]["complaint_forward"]
    assert due_at == datetime.combine(last_day, time(18, 30), tzinfo=ALMATY)
    five_pm = datetime.combine(last_day, time(17, 0), tzinfo=ALMATY)
    sweep(app, five_pm - timedelta(days=1))  # the warning; the next look is the forwarding moment
    with app.app_context():
        row = db.session.get(Complaint, complaint["id"]).deadline("complaint_forward")
        assert row.state == "open" and row.next_check_at == five_pm
    assert sweep(app, five_pm - timedelta(seconds=1)).get("auto_forward") is None
    assert complaint_of(app, case_id)["status"] == "at_provider"
    assert sweep(app, five_pm).get("auto_forward") == 1
    forwarded = complaint_of(app, case_id)
    assert forwarded["status"] == "at_authority" and forwarded["automatic"]
    assert forwarded["terms"]["complaint_forward"][0] == "met"  # in time: the forward is not a breach
    with app.app_context():
        complaint_row = db.session.get(Complaint, complaint["id"])
        assert complaint_row.overdue_since is None and complaint_row.forwarded_at == five_pm
        assert complaint_row.authority_registered_on == last_day  # a working day, before 18:30
        kinds = set(db.session.scalars(db.select(Event.kind).filter_by(application_id=case_id)))
        assert "deadline.missed" not in kinds and "complaint.forwarded" in kinds
    assert sweep(app, due_at + timedelta(minutes=1)).get("mark_missed") is None


def test_only_the_supervisor_acts_for_the_provider_and_only_the_authority_decides(app, client, auth):
    _case_id, complaint = filed(app, client, auth)
    for username in ("applicant", "clerk", "authority"):
        auth.login(username)
        response = post_form(client, f"/complaints/{complaint['id']}/forward", {"version": complaint["version"]},
                             page="/login")
        assert response.status_code == 403
        auth.logout()
    auth.login("supervisor")
    response = post_form(client, f"/complaints/{complaint['id']}/authority-decision",
                         {"version": complaint["version"], "outcome": "refused", "reasons": "x"}, page="/login")
    assert response.status_code == 403


# --- the authority (п.19, п.20) --------------------------------------------------------------


def test_the_authority_decides_with_a_remedy_signs_and_the_applicant_is_told_of_the_court(app, client, auth):
    case_id, complaint = forwarded_complaint(app, client, auth)
    assert complaint["status"] == "at_authority" and not complaint["automatic"]
    auth.login("authority")
    page = f"/complaints/{complaint['id']}"
    incomplete_values = {"version": complaint["version"], "outcome": "satisfied",
                         "reasons": "Акт испытаний подтверждает условие.", "remedy": "", "remedy_due": "31.02.2026"}
    with app.app_context():
        # The document to sign is not made from fields that are wrong: the page says what to correct ...
        incomplete = authority_document(client, complaint["id"], incomplete_values)
        text = incomplete.get_data(as_text=True)
        assert incomplete.status_code == 422 and "<html" in text
        assert 'id="remedy-error"' in text and 'id="remedy_due-error"' in text
        # ... and the decision endpoint checks them again, whatever was signed.
        refused = post_authority_decision(client, complaint["id"], incomplete_values, None)
        assert refused.status_code == 422 and 'id="remedy-error"' in refused.get_data(as_text=True)
        due = (now_utc() + timedelta(days=20)).strftime("%d.%m.%Y")
        done = decide_as_authority(client, complaint["id"], {
            "version": complaint["version"], "outcome": "satisfied", "reasons": "Акт испытаний подтверждает условие.",
            "remedy": "Пересмотреть заявление без основания 2.", "remedy_due": due})
    assert done.status_code == 302, done.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(Complaint, complaint["id"])
        assert row.decision_number.startswith("QC-") and row.decided_by == "authority"
        report = signatures.check(row.decision_document)
        assert report.passed, report.message_key
        assert report.signer.iin == person("authority")["iin"] == row.decision_signer["iin"]
        assert b"urn:tyndau:complaint-decision:1" in row.decision_document
        document = row.decision_document
        assert {d.code: d.state for d in row.deadlines}["complaint_authority"] == "met"
    auth.logout()
    auth.login("applicant")
    shown = client.get(page).get_data(as_text=True)
    assert "Recourse to court is possible after this pre-trial appeal" in shown
    assert "Пересмотреть заявление без основания 2." in shown
    assert client.get(f"/complaints/{complaint['id']}/decision.xml").data == document


def test_a_complaint_left_without_consideration_needs_its_reason(app, client, auth):
    _case_id, complaint = forwarded_complaint(app, client, auth)
    auth.login("authority")
    with app.app_context():
        response = decide_as_authority(client, complaint["id"], {"version": complaint["version"],
                                                                 "outcome": "not_considered", "reasons": ""})
        assert response.status_code == 422
        assert 'id="reasons-error"' in response.get_data(as_text=True)
        assert decide_as_authority(client, complaint["id"], {
            "version": complaint["version"], "outcome": "not_considered",
            "reasons": "Подана неуполномоченным лицом."}).status_code == 302


def test_the_authority_queue_counts_what_is_overdue(app, client, auth, clock):
    _case_id, complaint = forwarded_complaint(app, client, auth)
    auth.login("authority")
    page = client.get("/authority/complaints").get_data(as_text=True)
    assert complaint["number"] in page and "0 overdue" in page
    late = complaint["terms"]["complaint_authority"][2] + timedelta(hours=1)
    clock.set(late)
    auth.login("authority")  # the session of before the jump has expired
    overdue = client.get("/authority/complaints?state=overdue").get_data(as_text=True)
    assert complaint["number"] in overdue and "1 overdue" in overdue
    partial = client.get("/authority/complaints?state=decided", headers={"HX-Request": "true"})
    assert complaint["number"] not in partial.get_data(as_text=True) and "<html" not in partial.get_data(as_text=True)


def test_the_administrative_case_and_its_archive_with_a_manifest(app, client, auth):
    case_id, complaint = forwarded_complaint(app, client, auth)
    auth.login("authority")
    page = client.get(f"/authority/cases/{case_id}").get_data(as_text=True)
    for heading in ("Documents", "Complaints", "Deadlines", "The full event log", complaint["number"]):
        assert heading in page
    response = client.get(f"/authority/cases/{case_id}/archive.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"case.json", "events.json", "events.pdf", "manifest.json", "MANIFEST.sha256", "review.json"} <= names
    assert any(n.startswith("complaints/") for n in names)
    manifest = json.loads(archive.read("manifest.json"))["files"]
    assert set(manifest) == names - {"manifest.json", "MANIFEST.sha256"}
    for name, entry in manifest.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    events = json.loads(archive.read("events.json"))["events"]
    assert any(e["kind"] == "complaint.forwarded" for e in events)
    assert archive.read("events.pdf").startswith(b"%PDF")
    auth.logout()
    auth.login("applicant")
    assert client.get(f"/authority/cases/{case_id}/archive.zip").status_code == 403


# --- a complaint as a signed XML document (issue 4) ------------------------------------------

def test_a_complaint_can_be_filed_as_a_signed_document_read_from_what_was_signed(app, client, auth, sign):
    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    new = f"/applications/{case_id}/complaints/new"
    xml = post_form(client, f"{new}.xml", {"subject": "case", "addressee": "authority",
                                           "demands": "Отменить предварительное решение",
                                           "arguments": "Подписанные доводы"}, page=new)
    assert xml.headers["Content-Type"] == "application/xml"
    wrong = post_form(client, new, {"signed_text": sign(xml.data, OTHER_BIN).decode("utf-8"),
                                    "demands": "", "arguments": ""}, page=new)
    assert wrong.status_code == 422 and "another organisation" in wrong.get_data(as_text=True)
    signed = sign(xml.data).decode("utf-8")
    response = post_form(client, new, {"signed_text": signed, "demands": "typed, not signed", "arguments": "",
                                       "addressee": "provider", "subject": "case"}, page=new)
    assert response.status_code == 302
    with app.app_context():
        complaint = db.session.scalar(db.select(Complaint).filter_by(application_id=case_id))
        assert complaint.demands == "Отменить предварительное решение" and complaint.addressee == "authority"
        purposes = [s.purpose for s in db.session.get(Complaint, complaint.id).application.signatures]
        assert "complaint" in purposes
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Signed complaint" in page


@pytest.mark.parametrize("username", ["clerk", "supervisor", "authority"])
def test_staff_see_the_complaint_page(app, client, auth, username):
    case_id, complaint = filed(app, client, auth)
    auth.login(username)
    assert client.get(f"/complaints/{complaint['id']}").status_code == 200


def test_past_the_counting_cap_the_complaint_queue_says_more_than(app, client, auth, monkeypatch):
    from portal.core import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 1)
    for _ in range(2):
        file_as_applicant = late_case(app)
        auth.login("applicant")
        file(client, file_as_applicant)
        auth.logout()
    auth.login("supervisor")
    page = client.get("/staff/complaints?state=all").get_data(as_text=True)
    assert "More than 1 complaints: narrow the list with the filters." in page, page[-3000:]
    assert "2 complaints" not in page
