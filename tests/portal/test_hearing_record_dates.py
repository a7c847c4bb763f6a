"""The record of a hearing (п.9–п.11) is dated when the hearing can have been held: not before the applicant's
chance to be heard, not in the future; otherwise the clerk is told why next to the date and nothing is saved."""
from __future__ import annotations

from datetime import datetime, timedelta

from portal.applications.models import Application
from portal.core.clock import ALMATY, now_utc
from portal.extensions import db
from portal.hearings.models import HearingRecord, HearingSlot, PreliminaryRefusal
from tests.conftest import post_form
from tests.portal.factories import case_with_grounds, notified_case, send_notice, slot_ids
from tests.support.html import page


def typed(moment: datetime) -> str:
    return moment.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M")


def record(client, case_id: int, held_at: str):
    path = f"/staff/cases/{case_id}/hearing-record"
    form = page(client.get(path))
    # Issue 14 item 3: after a stated position each ground that stands says why.
    stands = {name: "Позиция не опровергает основание." for name in form.names("stands-")}
    return post_form(client, path, {"version": form.value("version"), "held_at": held_at, "attended": "y",
                                    "participants": "Сейітова А.", "outcome": "refusal_upheld", **stands})


def held_at_error(response) -> str:
    """The message shown next to the date of the hearing."""
    assert response.status_code == 422
    return page(response).error("held_at")


def nothing_recorded(app, case_id: int) -> bool:
    with app.app_context():
        return (db.session.get(Application, case_id).status == "preliminary_refusal"
                and db.session.scalar(db.select(HearingRecord).filter_by(application_id=case_id)) is None)


def redate_refusal(app, case_id: int, **values) -> None:
    """Move the notice (and what followed it) back in time, as if days had passed."""
    with app.app_context():
        db.session.execute(db.update(PreliminaryRefusal).where(PreliminaryRefusal.application_id == case_id)
                           .values(**values))
        db.session.commit()


def test_a_hearing_dated_before_the_notice_or_in_the_future_is_refused(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    send_notice(client, case_id)
    with app.app_context():
        sent_at, proposed_at = db.session.execute(db.select(PreliminaryRefusal.sent_at, PreliminaryRefusal.proposed_at)
                                                  .filter_by(application_id=case_id)).one()
    # Issue 14 item 7: the notice named a time and booked the applicant for it; not held before it.
    message = held_at_error(record(client, case_id, "2020-01-01T10:00"))
    assert message == (f"The notice set the hearing for {typed(proposed_at)} and the applicant kept that time: "
                       "it cannot have been held earlier.")
    assert nothing_recorded(app, case_id)
    tomorrow = typed(now_utc() + timedelta(days=1))
    assert "in the future" in held_at_error(record(client, case_id, tomorrow))
    assert nothing_recorded(app, case_id)
    assert "The notice set the hearing for" in held_at_error(record(client, case_id, typed(now_utc())))
    assert nothing_recorded(app, case_id)
    # A notice from before times were named, nobody booked: not before the last slot of the window has begun.
    with app.app_context():
        db.session.execute(db.update(HearingSlot).where(HearingSlot.booked_application_id == case_id)
                           .values(booked_application_id=None, booked_at=None))
        db.session.commit()
    redate_refusal(app, case_id, proposed_at=None)
    assert "booked none" in held_at_error(record(client, case_id, typed(now_utc())))
    # Ten days later, the window over and nothing booked: held from its last slot on, not at the notice.
    redate_refusal(app, case_id, sent_at=sent_at - timedelta(days=10))
    assert "booked none" in held_at_error(record(client, case_id, typed(sent_at - timedelta(days=10))))
    assert record(client, case_id, typed(now_utc())).status_code == 302
    with app.app_context():
        assert db.session.get(Application, case_id).status == "hearing_held"


def test_a_booked_hearing_is_recorded_only_once_its_time_has_come(app, client, auth, clock):
    case_id, hearing = notified_case(app, client, auth)
    # The applicant moves the time the notice proposed (the first) to another one.
    slot_id = slot_ids(client.get(hearing).get_data(as_text=True))[1]
    assert post_form(client, f"{hearing}/book", {"slot": slot_id}, page=hearing).status_code == 302
    auth.logout()
    with app.app_context():
        starts_at = db.session.get(HearingSlot, slot_id).starts_at
    assert starts_at > now_utc()

    auth.login("clerk")
    message = held_at_error(record(client, case_id, typed(now_utc())))
    assert message == f"The applicant booked the hearing for {typed(starts_at)}: it cannot have been held earlier."
    assert "in the future" in held_at_error(record(client, case_id, typed(starts_at)))
    assert nothing_recorded(app, case_id)
    with app.app_context():
        assert db.session.get(HearingSlot, slot_id).booked_application_id == case_id
    # The booked time has come and gone.
    clock.set(starts_at + timedelta(minutes=40))
    auth.login("clerk")  # the session of before the jump has expired
    assert "booked the hearing" in held_at_error(record(client, case_id, typed(starts_at - timedelta(minutes=1))))
    assert record(client, case_id, typed(starts_at)).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(HearingRecord.held_at).filter_by(application_id=case_id)) == starts_at


def test_after_a_waiver_the_record_is_dated_from_the_waiver(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    assert post_form(client, f"{hearing}/waive", {"confirm": "yes"}, page=hearing).status_code == 302
    auth.logout()
    now = now_utc()
    redate_refusal(app, case_id, sent_at=now - timedelta(hours=3), waived_at=now - timedelta(hours=1))

    auth.login("clerk")
    message = held_at_error(record(client, case_id, typed(now - timedelta(hours=2))))
    assert message.startswith(f"The applicant declined the hearing on {typed(now - timedelta(hours=1))}")
    assert nothing_recorded(app, case_id)
    # No need to wait for the window: the applicant asked for nothing more.
    assert record(client, case_id, typed(now - timedelta(minutes=30))).status_code == 302


def test_a_hearing_in_writing_waits_for_the_next_working_day_and_for_the_position_it_weighs(app, client, auth):
    from portal.calendar.services import current_calendar

    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    send_notice(client, case_id, method="written")
    sent_at = now_utc() - timedelta(days=10)
    redate_refusal(app, case_id, sent_at=sent_at)
    with app.app_context():
        first = current_calendar().add_workdays(sent_at.astimezone(ALMATY).date(), 1)
    same_day = typed(sent_at + timedelta(minutes=5))
    # A notice from before times were named: held from the first working day after it.
    redate_refusal(app, case_id, proposed_at=None)
    message = held_at_error(record(client, case_id, same_day))
    assert message.startswith(f"A hearing in writing is held from {first.strftime('%d.%m.%Y')}")
    assert nothing_recorded(app, case_id)
    # Issue 14 item 7: the notice awaited the position until 18:30 of a day of the window; none came.
    awaited = datetime.combine(first, datetime.min.time(), tzinfo=ALMATY).replace(hour=18, minute=30)
    redate_refusal(app, case_id, proposed_at=awaited)
    message = held_at_error(record(client, case_id, typed(awaited - timedelta(hours=2))))
    assert message.startswith(f"The notice awaited the applicant's written position until {typed(awaited)}")
    assert nothing_recorded(app, case_id)
    auth.logout()

    auth.login("applicant")
    hearing = f"/applications/{case_id}/hearing"
    assert post_form(client, f"{hearing}/position", {"position": "Резервный комплекс есть."},
                     page=hearing).status_code == 302
    auth.logout()
    auth.login("clerk")
    with app.app_context():
        position_at = db.session.scalar(db.select(PreliminaryRefusal.position_at).filter_by(application_id=case_id))
    opens = datetime.combine(first, datetime.min.time(), tzinfo=ALMATY)
    message = held_at_error(record(client, case_id, typed(opens + timedelta(hours=10))))
    assert message.startswith(f"The applicant's written position arrived on {typed(position_at)}")
    assert nothing_recorded(app, case_id)
    assert record(client, case_id, typed(now_utc())).status_code == 302
