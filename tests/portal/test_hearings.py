"""Preliminary refusal and hearing (п.9, п.10): the notice, the slot picker, the race, the record."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.clock import ALMATY, now_utc
from portal.extensions import db
from portal.hearings import services as hearings
from portal.hearings.models import HearingSlot
from tests.conftest import post_form
from tests.portal.eds import OTHER_BIN, upload
from tests.portal.factories import case_with_grounds, notified_case, offered_times, send_notice, slot_ids
from tests.support.html import Page, field_value


def test_the_whole_hearing_path_through_the_forms(app, client, auth, clock):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    page = client.get(f"/staff/cases/{case_id}/preliminary-refusal").get_data(as_text=True)
    assert "The notice must be sent by" in page and "Appendix 2 item 9" in page
    assert send_notice(client, case_id).status_code == 302
    with app.app_context():
        case = db.session.get(Application, case_id)
        states = {d.code: (d.state, d.starts_from) for d in case.deadlines}
        assert case.status == "preliminary_refusal"
        assert states["hearing_notice"][0] == "met" and states["hearing"] == ("open", "hearing_notice")
    auth.logout()

    auth.login("applicant")
    assert "Open the preliminary decision" in client.get(f"/applications/{case_id}").get_data(as_text=True)
    page = client.get(f"/applications/{case_id}/hearing").get_data(as_text=True)
    ids = slot_ids(page)
    assert len(ids) >= 1 and "Grounds for refusal" in page
    booked = post_form(client, f"/applications/{case_id}/hearing/book", {"slot": ids[0]},
                       page=f"/applications/{case_id}/hearing", headers={"HX-Request": "true"})
    assert booked.status_code == 200 and "<html" not in booked.get_data(as_text=True)
    assert "Booked:" in booked.get_data(as_text=True) and booked.headers["HX-Trigger"] == "hearing-booked"
    first_ics = client.get(f"/applications/{case_id}/hearing.ics").get_data(as_text=True)
    assert f"UID:hearing-{case_id}@tyndau" in first_ics and "SEQUENCE:1" in first_ics and "METHOD:REQUEST" in first_ics
    moved = post_form(client, f"/applications/{case_id}/hearing/book", {"slot": ids[-1]},
                      page=f"/applications/{case_id}/hearing")
    assert moved.status_code == 302
    second_ics = client.get(f"/applications/{case_id}/hearing.ics").get_data(as_text=True)
    assert f"UID:hearing-{case_id}@tyndau" in second_ics and "SEQUENCE:2" in second_ics
    post_form(client, f"/applications/{case_id}/hearing/position", {"position": "Резервный комплекс в Караганде."},
              page=f"/applications/{case_id}/hearing")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(HearingSlot.id)).filter_by(booked_application_id=case_id)) == 1
    auth.logout()

    auth.login("clerk")
    path = f"/staff/cases/{case_id}/hearing-record"
    page = client.get(path).get_data(as_text=True)
    assert "Резервный комплекс в Караганде." in page
    version = field_value(page, "version")
    missing = post_form(client, path, {"version": version})
    assert missing.status_code == 422
    with app.app_context():
        starts_at = db.session.scalar(db.select(HearingSlot.starts_at).filter_by(booked_application_id=case_id))
    # The clerk records the hearing once its booked time has come.
    clock.set(starts_at + timedelta(minutes=30))
    auth.login("clerk")  # the session of before the jump has expired
    held = starts_at.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")
    record = {"version": version, "held_at": held, "attended": "y", "participants": "Сейітова А.",
              "arguments": "Есть резервный комплекс.", "examined": "Договор аренды.", "outcome": "refusal_upheld"}
    # Issue 14 item 3: a ground that stands after the applicant stated a position is kept only with the answer.
    unanswered = post_form(client, path, record)
    assert unanswered.status_code == 422 and "say why this ground stands" in unanswered.get_data(as_text=True)
    stands = {name: "Письмо о резервном комплексе не представлено." for name in Page(page).names("stands-")}
    assert stands
    done = post_form(client, path, {**record, **stands})
    assert done.status_code == 302
    with app.app_context():
        case = db.session.get(Application, case_id)
        assert case.status == "hearing_held"
        assert {d.code: d.state for d in case.deadlines}["hearing"] == "met"


def test_after_the_last_lawful_day_the_notice_page_asks_for_the_reason_instead_of_refusing(app, client, auth,
                                                                                        clock):
    """Issue 14 item 6: no dead end; tests/portal/test_notice_law.py follows the late notice to the decision."""
    case_id = case_with_grounds(app, "applicant")
    late = now_utc() + timedelta(days=30)
    clock.set(late)
    auth.login("clerk")
    page = client.get(f"/staff/cases/{case_id}/preliminary-refusal")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "The notice is late" in text and 'name="late_reason"' in text
    assert offered_times(text, "slot")  # the lawful times of a notice sent now
    with app.app_context():
        assert db.session.get(Application, case_id).status == "grounds_found"


def test_two_applicants_racing_for_one_slot_only_one_gets_it(app, client, auth):
    first = case_with_grounds(app, "applicant")
    second = case_with_grounds(app, "applicant2")
    auth.login("clerk")
    send_notice(client, first)
    send_notice(client, second)
    with app.app_context():
        case_a, case_b = db.session.get(Application, first), db.session.get(Application, second)
        shared = set(s.id for s in hearings.offered_slots(case_a, hearings.refusal_of(case_a), now_utc())) & set(
            s.id for s in hearings.offered_slots(case_b, hearings.refusal_of(case_b), now_utc()))
        slot = min(shared)
        applicants = {u: db.session.scalar(db.select(User).filter_by(username=u)) for u in ("applicant", "applicant2")}
    outcomes = []
    barrier = threading.Barrier(2)

    def take(case_id, username):
        with app.app_context():
            case = db.session.get(Application, case_id)
            barrier.wait()
            try:
                hearings.book(case, slot, applicants[username])
                db.session.commit()
                outcomes.append("ok")
            except hearings.SlotUnavailable:
                db.session.rollback()
                outcomes.append("taken")
            except Exception:  # SQLite may refuse the second writer outright: that is a refusal too
                db.session.rollback()
                outcomes.append("taken")

    threads = [threading.Thread(target=take, args=args) for args in ((first, "applicant"), (second, "applicant2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "taken"]
    with app.app_context():
        holder = db.session.get(HearingSlot, slot).booked_application_id
    assert holder in (first, second)
    # The loser, through the page, is told the time is gone.
    loser = "applicant2" if holder == first else "applicant"
    loser_case = second if holder == first else first
    auth.logout()
    auth.login(loser)
    response = post_form(client, f"/applications/{loser_case}/hearing/book", {"slot": slot},
                         page=f"/applications/{loser_case}/hearing")
    assert response.status_code == 409 and "no longer available" in response.get_data(as_text=True)


def test_one_case_cannot_hold_two_slots_even_from_two_tabs(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    send_notice(client, case_id)
    with app.app_context():
        case = db.session.get(Application, case_id)
        ids = [s.id for s in hearings.offered_slots(case, hearings.refusal_of(case), now_utc())][:2]
        db.session.execute(db.update(HearingSlot).where(HearingSlot.id == ids[0]).values(booked_application_id=case_id))
        db.session.commit()
        with pytest.raises(Exception):
            db.session.execute(db.update(HearingSlot).where(HearingSlot.id == ids[1]).values(
                booked_application_id=case_id))
            db.session.commit()
        db.session.rollback()


def test_waiving_frees_the_slot_and_cancels_the_invitation(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    ids = slot_ids(client.get(hearing).get_data(as_text=True))
    post_form(client, f"{hearing}/book", {"slot": ids[0]}, page=hearing)
    post_form(client, f"{hearing}/waive", {"confirm": "yes"}, page=hearing)
    ics = client.get(f"{hearing}.ics").get_data(as_text=True)
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:2" in ics
    with app.app_context():
        assert db.session.get(HearingSlot, ids[0]).booked_application_id is None


def test_another_organisation_cannot_see_or_book_the_hearing(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    send_notice(client, case_id)
    auth.logout()
    auth.login("applicant2")
    assert client.get(f"/applications/{case_id}/hearing").status_code == 404
    assert client.get(f"/applications/{case_id}/hearing.ics").status_code == 404
    assert post_form(client, f"/applications/{case_id}/hearing/book", {"slot": 1}, page="/cabinet").status_code == 404


def test_the_position_can_be_sent_as_a_signed_document(app, client, auth, sign):
    case_id, hearing = notified_case(app, client, auth)
    document = post_form(client, f"/applications/{case_id}/hearing/position.xml",
                         {"position": "Резервный комплекс есть."}, page=hearing)
    assert document.headers["Content-Type"] == "application/xml" and "Резервный комплекс есть." in document.get_data(as_text=True)
    # Another organisation's key is refused; so is a document of another kind.
    refused = upload(client, f"/applications/{case_id}/hearing/position", sign(document.data, OTHER_BIN), page=hearing)
    assert refused.status_code == 422 and "another organisation" in refused.get_data(as_text=True)
    wrong = upload(client, f"/applications/{case_id}/hearing/position", sign(b"<other>x</other>"), page=hearing)
    assert wrong.status_code == 422 and "not the position document" in wrong.get_data(as_text=True)
    accepted = upload(client, f"/applications/{case_id}/hearing/position", sign(document.data), page=hearing)
    assert accepted.status_code == 302
    page = client.get(hearing).get_data(as_text=True)
    assert "Резервный комплекс есть." in page
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Signed position on the preliminary decision" in case_page


def test_the_applicant_attaches_documents_to_its_position_and_the_clerk_sees_them(app, client, auth):
    import io

    case_id, hearing = notified_case(app, client, auth)
    from tests.conftest import csrf_token

    token = csrf_token(client, hearing)
    bad = client.post(f"/applications/{case_id}/hearing/documents", content_type="multipart/form-data",
                      data={"csrf_token": token, "file": (io.BytesIO(b"MZ" + b"\0" * 100), "lease.pdf")})
    assert bad.status_code == 422 and 'id="position-file-error"' in bad.get_data(as_text=True)
    good = client.post(f"/applications/{case_id}/hearing/documents", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "backup-lease.pdf")})
    assert good.status_code == 302
    assert "backup-lease.pdf" in client.get(hearing).get_data(as_text=True)
    auth.logout()
    auth.login("clerk")
    assert "backup-lease.pdf" in client.get(f"/staff/cases/{case_id}/hearing-record").get_data(as_text=True)


def test_the_notice_is_in_time_until_1830_of_its_last_day_and_an_evening_notice_counts_next_day(app):
    """п.10 compares moments: the notice's term ends at 18:30 Almaty of its last day; a notice sent after
    18:30 counts on the next working day (Appendix 2 item 7), and the hearing's 2 days count from there."""
    from datetime import datetime, time

    from portal.calendar.services import current_calendar

    case_id = case_with_grounds(app, "applicant")
    with app.app_context():
        case = db.session.get(Application, case_id)
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        latest = next(d for d in case.deadlines if d.code == "hearing_notice")
        assert latest.due_at == datetime.combine(latest.due_date, time(18, 30), tzinfo=ALMATY)
        assert hearings.notice_terms(case, latest.due_at)["in_time"]
        assert not hearings.notice_terms(case, latest.due_at + timedelta(seconds=1))["in_time"]
        calendar = current_calendar()
        evening = datetime.combine(calendar.subtract_workdays(latest.due_date, 1), time(19, 0), tzinfo=ALMATY)
        assert hearings.notice_terms(case, evening)["window"][0] == calendar.add_workdays(latest.due_date, 1)
        hearings.send_preliminary_refusal(case, clerk, method="in_person", place="Астана, каб. 301",
                                          expected_version=case.version, now=evening,
                                          proposed=hearings.proposable_slots(case, clerk, evening)[0])
        db.session.commit()
        rows = {d.code: d for d in case.deadlines}
        assert rows["hearing_notice"].state == "met"
        assert rows["hearing"].starts_on == latest.due_date  # the notice counts on the next working day
        assert rows["hearing"].due_date == calendar.add_workdays(latest.due_date, 2)
        assert rows["hearing"].due_at == datetime.combine(rows["hearing"].due_date, time(18, 30), tzinfo=ALMATY)
        first_slot = db.session.scalar(db.select(db.func.min(HearingSlot.starts_at)).filter_by(clerk_id=clerk.id))
        assert first_slot.astimezone(ALMATY).date() >= calendar.add_workdays(latest.due_date, 1)
