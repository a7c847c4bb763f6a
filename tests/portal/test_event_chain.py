"""The tamper-evident event log: events recorded by real actions are chained; SQL tampering is found."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template
from sqlalchemy import JSON, bindparam, select, text

from portal.applications.models import Application
from portal.events import chain
from portal.events.models import Event, EventChainHead
from portal.events.services import lock_chains, record, verify_chain
from portal.extensions import db
from tests.conftest import post_form
from tests.portal.factories import form_data, new_application


def _filed_case(client, auth) -> int:
    """An application drafted, filled in and submitted through the forms, as an applicant does."""
    auth.login("applicant")
    application_id = new_application(client)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(), "next": "1"})
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 302
    return application_id


def _events(app, application_id) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).filter_by(application_id=application_id).order_by(Event.seq)))


def _number(app, application_id) -> str:
    with app.app_context():
        return db.session.get(Application, application_id).number


def _sql(app, statement, **params) -> None:
    """Tamper as someone with database access would: plain SQL, no portal code."""
    with app.app_context():
        db.session.execute(statement, params)
        db.session.commit()


def _report(app, application_id):
    with app.app_context():
        return verify_chain(application_id)


def test_events_recorded_through_real_actions_form_an_intact_chain(app, client, auth, runner):
    application_id = _filed_case(client, auth)
    events = _events(app, application_id)
    kinds = [e.kind for e in events]
    assert "application.draft_created" in kinds and "application.registered" in kinds
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert all(len(e.hash) == 64 and int(e.hash, 16) >= 0 for e in events)
    with app.app_context():
        head = db.session.get(EventChainHead, application_id)
        assert (head.last_seq, head.last_hash) == (events[-1].seq, events[-1].hash)
    report = _report(app, application_id)
    assert report.intact and report.checked == len(events) and report.reason is None

    result = runner.invoke(args=["events", "verify", "--case", _number(app, application_id)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{_number(app, application_id)} (case {application_id}): intact, {len(events)} events"


def test_an_event_changed_with_sql_is_reported_at_that_event(app, client, auth, runner):
    application_id = _filed_case(client, auth)
    submitted = next(e for e in _events(app, application_id) if e.kind == "application.submitted")
    _sql(app, text("UPDATE event SET data = :data WHERE id = :id").bindparams(bindparam("data", type_=JSON)),
         data={"route": "chancellery"}, id=submitted.id)

    report = _report(app, application_id)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason) == (
        False, submitted.id, submitted.seq, "changed")
    assert report.checked == submitted.seq

    number = _number(app, application_id)
    result = runner.invoke(args=["events", "verify", "--case", number])
    assert result.exit_code == 1
    assert result.output.strip() == (f"{number} (case {application_id}): BROKEN at event {submitted.id} "
                                     f"(seq {submitted.seq}): changed; {submitted.seq} events checked")


def test_a_changed_moment_or_kind_is_found_too(app, client, auth):
    application_id = _filed_case(client, auth)
    first, second = _events(app, application_id)[:2]
    _sql(app, text("UPDATE event SET kind = 'application.withdrawn' WHERE id = :id"), id=second.id)
    assert (_report(app, application_id).broken_seq, _report(app, application_id).reason) == (2, "changed")
    _sql(app, text("UPDATE event SET kind = :kind WHERE id = :id"), kind=second.kind, id=second.id)
    assert _report(app, application_id).intact  # put back exactly as it was: intact again
    with app.app_context():
        event = db.session.get(Event, first.id)
        event.at = event.at - timedelta(microseconds=1)  # even a microsecond
        db.session.commit()
    assert _report(app, application_id).broken_id == first.id


def test_an_event_deleted_in_the_middle_is_missing(app, client, auth):
    application_id = _filed_case(client, auth)
    events = _events(app, application_id)
    assert len(events) >= 3
    _sql(app, text("DELETE FROM event WHERE id = :id"), id=events[1].id)
    report = _report(app, application_id)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason) == (
        False, events[2].id, events[2].seq, "missing")


def test_the_last_events_deleted_are_a_head_mismatch(app, client, auth, runner):
    application_id = _filed_case(client, auth)
    events = _events(app, application_id)
    _sql(app, text("DELETE FROM event WHERE id = :id"), id=events[-1].id)
    report = _report(app, application_id)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason, report.checked) == (
        False, None, events[-1].seq, "head mismatch", len(events) - 1)

    result = runner.invoke(args=["events", "verify", "--all"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (f"{_number(app, application_id)} (case {application_id}): BROKEN from seq {events[-1].seq} "
            f"(the head expects {len(events)} events): head mismatch; {len(events) - 1} events checked") in lines
    assert lines[-1].endswith("1 broken")
    assert any(line.endswith(": intact, 5 events") for line in lines)  # the demo case, untouched


def test_an_event_inserted_past_the_head_is_extra(app, client, auth):
    application_id = _filed_case(client, auth)
    last = _events(app, application_id)[-1]
    forged = {"application_id": application_id, "seq": last.seq + 1, "at": datetime.now(timezone.utc),
              "actor_id": None, "kind": "decision.signed", "data": {}, "prev_hash": last.hash}
    _sql(app, text("INSERT INTO event (application_id, at, kind, data, seq, prev_hash, hash) "
                   "VALUES (:application_id, :at, :kind, :data, :seq, :prev_hash, :hash)")
         .bindparams(bindparam("data", type_=JSON), bindparam("at", type_=Event.__table__.c.at.type)),
         **{**forged, "hash": chain.event_hash(forged)})
    report = _report(app, application_id)
    assert (report.reason, report.broken_seq) == ("extra", last.seq + 1)


def test_the_chain_order_is_seq_and_one_transaction_may_record_several_events(app):
    with app.app_context():
        case = db.session.scalar(select(Application).where(Application.number.is_not(None)))
        now = datetime.now(timezone.utc)
        later = record(case, "deadline.warning", at=now, code="service")
        earlier = record(case, "deadline.missed", at=now - timedelta(days=3), code="service")  # as the sweeper may
        assert (earlier.seq, earlier.prev_hash) == (later.seq + 1, later.hash)
        db.session.commit()
        assert verify_chain(case.id).intact
        head = db.session.get(EventChainHead, case.id)
        assert (head.last_seq, head.last_hash) == (earlier.seq, earlier.hash)


def test_events_without_a_case_have_their_own_chain(app, runner):
    with app.app_context():
        first = record(None, "calendar.changed", day="2026-12-31", decree="Decree No. 1 (test)")
        second = record(None, "calendar.changed", day="2026-12-26", decree="Постановление № 2")
        db.session.commit()
        assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
        assert db.session.get(EventChainHead, chain.NO_CASE).last_seq == 2
        report = verify_chain(None)
        assert report.intact and report.checked == 2 and report.application_id is None
        first_id = first.id
    result = runner.invoke(args=["events", "verify", "--all"])
    assert result.exit_code == 0, result.output
    assert "events without a case: intact, 2 events" in result.output.splitlines()

    _sql(app, text("UPDATE event SET data = :data WHERE id = :id").bindparams(bindparam("data", type_=JSON)),
         data={"day": "2026-12-30", "decree": "Decree No. 1 (test)"}, id=first_id)
    assert (_report(app, None).broken_id, _report(app, None).reason) == (first_id, "changed")
    assert runner.invoke(args=["events", "verify", "--all"]).exit_code == 1


def test_the_command_needs_one_choice_and_a_known_case(runner):
    assert runner.invoke(args=["events", "verify"]).exit_code == 2
    assert runner.invoke(args=["events", "verify", "--all", "--case", "1"]).exit_code == 2
    result = runner.invoke(args=["events", "verify", "--case", "2099-999999"])
    assert result.exit_code == 1 and "no case 2099-999999" in result.output


def test_the_status_partial_says_in_words_whether_the_log_is_intact(app, client, auth):
    application_id = _filed_case(client, auth)
    events = _events(app, application_id)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        page = render_template("events/_chain_status.html", report=verify_chain(application_id))
    assert 'role="status"' in page and "The event log is intact." in page
    assert f"All {len(events)} events are linked by their hashes" in page

    _sql(app, text("UPDATE event SET data = :data WHERE id = :id").bindparams(bindparam("data", type_=JSON)),
         data={"forged": True}, id=events[2].id)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        page = render_template("events/_chain_status.html", report=verify_chain(application_id))
    assert 'role="status"' in page and "The event log has been altered." in page
    assert "Event no. 3, or its link to the event before it, has been changed" in page
    assert "The 2 events checked before it are as recorded." in page

    _sql(app, text("DELETE FROM event WHERE application_id = :id AND seq >= 3"), id=application_id)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        page = render_template("events/_chain_status.html", report=verify_chain(application_id))
    assert f"Events from no. 3 to no. {len(events)} have been removed from the end of the log." in page


def test_the_monitoring_feed_carries_the_chain(app, client, auth):
    auth.login("supervisor")
    feed = client.get("/api/monitoring/events").get_json()["events"]
    assert feed and all(len(e["hash"]) == 64 and e["seq"] >= 1 for e in feed)
    first = min((e for e in feed if e["seq"] == 1), key=lambda e: e["id"])
    assert first["prev_hash"] == chain.GENESIS


def test_concurrent_writers_of_one_chain_take_turns(app):
    """On PostgreSQL the head row is locked (FOR UPDATE): two writers never take the same seq."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite lets one writer at a time anyway; the row lock is PostgreSQL's")
        case_id = db.session.scalar(select(Application.id).where(Application.number.is_not(None)))
    barrier, errors, rounds = threading.Barrier(4), [], 10

    def writer(key):
        try:
            with app.app_context():
                barrier.wait()
                for i in range(rounds):
                    record(db.session.get(Application, key) if key else None, "test.concurrent", i=i)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(key,)) for key in (case_id, case_id, None, None)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        for key in (case_id, None):
            report = verify_chain(key)
            assert report.intact, report
        assert verify_chain(None).checked == 2 * rounds


def test_a_transaction_on_many_cases_locks_their_heads_in_one_order(app):
    """A sweeper's batch records on several cases: lock_chains() takes the heads in key order first."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's deferred transactions refuse concurrent writers whatever the order")
        ids = list(db.session.scalars(select(Application.id).order_by(Application.id)))[:2]
        assert len(ids) == 2
    barrier, errors = threading.Barrier(2), []

    def writer(order):
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(5):
                    lock_chains([*order, None])
                    for key in order:
                        record(db.session.get(Application, key), "test.batch")
                    record(None, "test.batch")
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(order,)) for order in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert all(verify_chain(key).intact for key in (*ids, None))
        assert verify_chain(None).checked == 10
