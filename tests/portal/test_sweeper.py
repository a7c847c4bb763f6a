"""The deadline sweeper: warnings, missed deadlines and flags, each effect exactly once."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from portal.applications.models import Application
from portal.core.clock import ALMATY
from portal.deadlines.models import Deadline, DeadlineEffect
from portal.events.models import Event
from portal.extensions import db
from tests.portal.factories import register_cases, sweep


def effects(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted(db.session.execute(
            db.select(Deadline.code, DeadlineEffect.kind).join(Deadline, Deadline.id == DeadlineEffect.deadline_id)
            .where(Deadline.application_id == case_id)).all())


def events_of(app, case_id: int, kind: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Event.id)).filter_by(application_id=case_id, kind=kind))


def test_warning_then_missed_each_once_however_often_it_runs(app):
    [case_id] = register_cases(app, 1)
    # 08.04.2026 is the working day before the service term's last day (09.04.2026).
    day_before = datetime(2026, 4, 8, 10, 0, tzinfo=ALMATY)
    for _ in range(3):
        sweep(app, day_before)
    assert ("service", "warn") in effects(app, case_id)
    assert ("service", "mark_missed") not in effects(app, case_id)
    after = datetime(2026, 4, 10, 0, 1, tzinfo=ALMATY)
    for _ in range(3):
        sweep(app, after)
    found = effects(app, case_id)
    assert found.count(("service", "warn")) == 1
    assert found.count(("service", "mark_missed")) == 1 and found.count(("service", "flag_overdue")) == 1
    assert events_of(app, case_id, "deadline.missed") == len([f for f in found if f[1] == "mark_missed"])
    with app.app_context():
        case = db.session.get(Application, case_id)
        assert case.overdue_since is not None
        assert {d.code: d.state for d in case.deadlines}["service"] == "missed"


def test_nothing_happens_before_the_warning_day(app):
    [case_id] = register_cases(app, 1)
    assert sweep(app, datetime(2026, 3, 26, 12, 0, tzinfo=ALMATY)).get("warn") is None
    assert effects(app, case_id) == []


def test_a_sweep_killed_halfway_is_finished_by_the_next_without_repeating(app, monkeypatch):
    case_ids = register_cases(app, 3)
    import portal.deadlines.sweeper as sweeper

    real_apply, calls = sweeper._apply, {"n": 0}

    def dying_apply(effect, deadline, now):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("the process is killed")
        real_apply(effect, deadline, now)

    monkeypatch.setattr(sweeper, "_apply", dying_apply)
    after = datetime(2026, 4, 10, 0, 1, tzinfo=ALMATY)
    with pytest.raises(KeyboardInterrupt):
        sweep(app, after)
    monkeypatch.setattr(sweeper, "_apply", real_apply)
    sweep(app, after)
    sweep(app, after)
    for case_id in case_ids:
        found = effects(app, case_id)
        assert len(found) == len(set(found))
        assert ("service", "mark_missed") in found
        assert events_of(app, case_id, "deadline.missed") == sum(1 for f in found if f[1] == "mark_missed")


def test_the_sweep_reads_due_rows_through_the_index(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL is checked below")
    with app.app_context():
        from portal.deadlines.sweeper import _due_query

        sql = _due_query(datetime(2026, 4, 10, tzinfo=ALMATY), 500).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_deadline_due" in plan


@pytest.mark.postgres
def test_two_sweepers_racing_on_postgresql_do_each_effect_once(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    case_ids = register_cases(app, 40)
    after = datetime(2026, 4, 10, 0, 1, tzinfo=ALMATY)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(sweep(app, after))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total_missed = sum(r.get("mark_missed", 0) for r in results)
    with app.app_context():
        missed_rows = db.session.scalar(db.select(db.func.count(Deadline.id)).where(
            Deadline.application_id.in_(case_ids), Deadline.state == "missed"))
        missed_events = db.session.scalar(db.select(db.func.count(Event.id)).where(
            Event.application_id.in_(case_ids), Event.kind == "deadline.missed"))
    assert total_missed == missed_rows == missed_events > 0


def test_the_sweep_command_prints_what_it_did(app, runner):
    register_cases(app, 1)
    result = runner.invoke(args=["deadlines", "sweep", "--now", "2026-04-10T00:01"])
    assert result.exit_code == 0 and '"mark_missed": ' in result.output
    again = runner.invoke(args=["deadlines", "sweep", "--now", "2026-04-10T00:01"])
    assert '"mark_missed"' not in again.output


def test_a_small_batch_takes_the_due_terms_a_few_at_a_time_and_does_them_all(app, runner):
    register_cases(app, 2)
    small = runner.invoke(args=["deadlines", "sweep", "--now", "2026-04-10T00:01", "--batch", "2"])
    whole = json.loads(small.output)
    assert small.exit_code == 0 and whole["deadlines"] > 2 and whole["mark_missed"] > 0
    assert '"mark_missed"' not in runner.invoke(args=["deadlines", "sweep", "--now", "2026-04-10T00:01"]).output
    assert runner.invoke(args=["deadlines", "sweep", "--batch", "0"]).exit_code == 2  # a usage error, no sweep


def test_the_case_page_shows_a_missed_deadline_even_before_the_sweep(app, client, auth):
    [case_id] = register_cases(app, 1, received=datetime.now(ALMATY) - timedelta(days=60))
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert 'class="deadline-row missed"' in page and "Appendix 2 item 3" in page


def test_the_supervisor_sees_deadlines_at_risk(app, client, auth):
    [case_id] = register_cases(app, 1, received=datetime.now(ALMATY) - timedelta(days=60))
    auth.login("supervisor")
    page = client.get("/staff/deadlines").get_data(as_text=True)
    with app.app_context():
        number = db.session.get(Application, case_id).number
    assert number in page and "missed" in page


# --- cost: a few statements per batch, however many deadlines it holds ------------------------

DAY_BEFORE = datetime(2026, 4, 8, 10, 0, tzinfo=ALMATY)  # the service term's warning day
AFTER = datetime(2026, 4, 10, 0, 1, tzinfo=ALMATY)       # the service term (and the earlier ones) ended


def counted_sweep(app, now: datetime) -> tuple[dict, list[str]]:
    """One sweep, with every SQL statement it sends (an executemany counts once, as it is one call)."""
    from sqlalchemy import event

    from portal.deadlines.sweeper import sweep as run

    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            done = run(now)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return done, statements


def flags(app, case_ids) -> dict[int, tuple]:
    with app.app_context():
        rows = db.session.execute(db.select(Application.id, Application.overdue_since, Application.version)
                                  .where(Application.id.in_(case_ids)))
        return {case_id: (since, version) for case_id, since, version in rows}


@pytest.mark.parametrize("moment", [DAY_BEFORE, AFTER], ids=["warning day", "after the end"])
def test_a_sweep_costs_the_same_statements_for_two_cases_or_many(app, moment):
    register_cases(app, 2)
    if moment == AFTER:
        counted_sweep(app, DAY_BEFORE)
    small, small_statements = counted_sweep(app, moment)
    case_ids = register_cases(app, 6)
    if moment == AFTER:
        counted_sweep(app, DAY_BEFORE)
    before = flags(app, case_ids)
    large, large_statements = counted_sweep(app, moment)
    kind = "warn" if moment == DAY_BEFORE else "mark_missed"
    assert small[kind] > 0 and large[kind] == 3 * small[kind] and large["deadlines"] == 3 * small["deadlines"]
    assert len(large_statements) == len(small_statements) < 30
    # The completeness and review terms end before the service term's warning day: each case is flagged
    # overdue then, as one change of its version, and stays so after the end.
    if moment == DAY_BEFORE:
        assert flags(app, case_ids) == {case_id: (DAY_BEFORE, version + 1)
                                        for case_id, (_since, version) in before.items()}
    else:
        assert flags(app, case_ids) == before and {since for since, _version in before.values()} == {DAY_BEFORE}


def test_a_sweep_over_several_batches_keeps_every_chain_intact(app):
    from portal.deadlines.sweeper import sweep as run
    from portal.events.services import verify_chain

    case_ids = register_cases(app, 5)
    with app.app_context():
        done = run(AFTER, batch=4)  # several batches, a case's terms split between them
        assert done["deadlines"] > 8
        for case_id in case_ids:
            report = verify_chain(case_id)
            assert report.intact, report
            missed = db.session.scalar(db.select(db.func.count(Deadline.id)).filter_by(
                application_id=case_id, state="missed"))
            assert events_of(app, case_id, "deadline.missed") == missed > 0


def test_record_many_links_events_as_record_does_one_by_one(app):
    from portal.events.services import pending, record, record_many, verify_chain

    with app.app_context():
        cases = list(db.session.scalars(db.select(Application).order_by(Application.id).limit(2)))
        assert len(cases) == 2
        at = datetime(2026, 4, 10, 0, 1, tzinfo=ALMATY)
        batch = [(cases[1], "test.b", {"i": 1}), (None, "test.none", {"i": 2}), (cases[0], "test.a", {"i": 3}),
                 (cases[1], "test.b", {"i": 4, "text": "Қазақша"}), (cases[0], "test.a", {"i": 5})]

        def links():
            rows = db.session.execute(db.select(Event.application_id, Event.kind, Event.seq, Event.prev_hash,
                                                Event.hash).where(Event.kind.like("test.%"))
                                      .order_by(Event.id)).all()
            return [tuple(row) for row in rows]

        for case, kind, data in batch:
            record(case, kind, at=at, **data)
        db.session.flush()
        one_by_one = links()
        db.session.rollback()
        assert record_many([pending(case, kind, at=at, **data) for case, kind, data in batch]) == len(batch)
        assert links() == one_by_one
        # Mixed with record() in one transaction, before and after: still one chain per case.
        record(cases[0], "test.a", at=at, i=6)
        record_many([pending(cases[0], "test.a", at=at, i=7), pending(None, "test.none", at=at, i=8)])
        record(cases[0], "test.a", at=at, i=9)
        db.session.commit()
        for key in (cases[0].id, cases[1].id, None):
            assert verify_chain(key).intact
        seqs = [seq for case_id, kind, seq, *_ in links() if case_id == cases[0].id]
        assert seqs == sorted(seqs)  # ids follow seq
