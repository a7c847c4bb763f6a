"""Load, faults and recovery (issue 8), on the portal started the production way (tests/production's harness).

1. A steady load of real journeys — applicants filing applications with their documents through the forms,
   clerks opening the queue, cases and completeness checks — while the sweeper and the outbox run as their own
   processes: no error answer, and each gunicorn worker's memory at the end within 10% of its memory after the
   warm-up. LOAD_SECONDS long (20 here; `make faults` runs 300).
2. A gunicorn worker killed (SIGKILL) while it writes an upload, after the upload is in place but before its row
   is committed, and in the middle of a submission: no half-created application, no file without its row once
   `flask documents clean-orphans` has run, and the applicant's retry succeeds, once.
3. The sweeper killed (SIGKILL) in the middle of a sweep over many due deadlines: the next sweeper finishes the
   work, and no effect (its row, its event, its mail) happens twice.
4. PostgreSQL restarted under load (a cluster of the test's own): answers during the outage are the 503 page, never
   a 500; the same workers answer again once it is back, without a restart.
5. The SMTP relay unreachable for a while: the mails wait in the outbox, and all go out once it is back, each once.

Each test records its figures (test-output/faults/faults.json, or FAULTS_JSON) and keeps its processes' logs in
test-output/faults/<test>/. Every process it starts is stopped in a finally. Runs with PRODUCTION_CHECK=1
(`make test-production`, CI) and from bench/faults.py (`make faults`).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.production.faults_support import (
    PDF,
    Browser,
    Cluster,
    Database,
    Installation,
    SmtpRelay,
    Stats,
    SteadyLoad,
    attach_all,
    files_match_rows,
    free_port,
    kill,
    log_in,
    missing_codes,
    portal_app,
    record,
    rss_kb,
    start_application,
    submit,
    upload,
)
from tests.production.support import CLEAN_EXIT, DATABASE_URL, drop_database, fresh_database, wait_for

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
FILING_EVERY = float(os.environ.get("LOAD_FILING_EVERY", "2"))   # seconds between two filings
CLERK_EVERY = float(os.environ.get("LOAD_CLERK_EVERY", "1"))     # seconds between two clerk's rounds
RSS_TOLERANCE = 0.10

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(os.environ.get("PRODUCTION_CHECK") != "1",
                       reason="the fault tests run with PRODUCTION_CHECK=1 (make test-production, make faults)"),
]


@contextlib.contextmanager
def installation(request, tmp_path_factory, name: str, server_url: str | None = None, production_mode: bool = True,
                 extra_env: dict | None = None, killed: set | None = None):
    """A fresh database on the server, migrated and seeded; the processes are started by the test.

    Whatever happens, every process is stopped (SIGTERM, then SIGKILL to its group) and the database dropped;
    those not killed on purpose (named in `killed`) must stop cleanly.
    """
    server_url = server_url or DATABASE_URL
    if not server_url.startswith(("postgresql", "postgres:")):
        pytest.fail("the fault tests need DATABASE_URL naming a PostgreSQL server "
                    "(tests/production/run_production_check.sh starts one when it is not set)", pytrace=False)
    database = f"tyndau_faults_{name}"
    setup = Installation(tmp_path_factory.mktemp(f"faults-{name}"), production_mode, extra_env)
    setup.database_url = fresh_database(server_url, database)
    killed = killed if killed is not None else set()
    failures = request.session.testsfailed
    codes = {}
    try:
        setup.seed()
        yield setup
    finally:
        codes = setup.stop_all(killed)
        kept = setup.keep(name)
        if request.session.testsfailed > failures:
            print(f"\nlogs kept in {kept}")
        try:
            drop_database(server_url, database)
        except Exception as exc:  # noqa: BLE001  (a database left behind must not hide the result)
            print(f"could not drop {database}: {exc}")
    unclean = {n: c for n, c in codes.items() if c not in CLEAN_EXIT}
    assert not unclean, f"not stopped cleanly by SIGTERM (exit codes): {unclean}"


# --- 1. a steady load -----------------------------------------------------------------------------

def test_steady_load_has_no_errors_and_workers_do_not_grow(request, tmp_path_factory):
    with installation(request, tmp_path_factory, "load") as setup:
        setup.start_web()
        setup.start_process("sweeper")
        setup.start_process("outbox")
        warm_stats, stats = Stats(), Stats()
        load = SteadyLoad(setup.url, warm_stats, filing_every=FILING_EVERY, clerk_every=CLERK_EVERY)
        try:
            # Warm-up: every page and journey a few times, so templates, compiled queries and the rules engine exist.
            warm_up = min(60.0, max(10.0, LOAD_SECONDS / 5))
            load.run(warm_up)
            workers = setup.workers()
            after_warm_up = {pid: rss_kb(pid) for pid in workers}
            samples = []

            def sample(elapsed):
                if int(elapsed) % 5 == 0:
                    samples.append({"t": int(elapsed), **{str(pid): rss_kb(pid) for pid in workers}})

            load.count_into(stats)
            started = time.monotonic()
            load.run(LOAD_SECONDS, tick=sample)
            duration = time.monotonic() - started
            at_end = {pid: rss_kb(pid) for pid in setup.workers()}
        finally:
            load.close()
        summary = stats.summary()
        db = Database(setup.database_url)
        try:
            filed = [db.application(i) for i in load.filed]
            files = files_match_rows(db, setup.uploads)
            sweeps = sum(1 for line in setup.processes["sweeper"].log().splitlines() if line.startswith("{"))
        finally:
            db.close()
        growth = {str(pid): round(at_end[pid] / after_warm_up[pid] - 1, 4) if at_end.get(pid) else None
                  for pid in workers}
        record("steady_load", {
            "ok": not summary["unexpected"] and not load.failures and all(
                g is not None and g <= RSS_TOLERANCE for g in growth.values()),
            "seconds": round(duration, 1), "warm_up_seconds": warm_up,
            "rate": {"filing_every_s": FILING_EVERY, "clerk_round_every_s": CLERK_EVERY,
                     "requests_per_s": round(summary["requests"] / duration, 2)},
            "applications_filed": len(load.filed), "journeys_started_late": load.late,
            "journey_failures": load.failures[:10], **summary, "unexpected_answers": stats.unexpected[:10],
            "warm_up": {"requests": warm_stats.total(), "unexpected": len(warm_stats.unexpected)},
            "worker_rss_kb": {"after_warm_up": {str(k): v for k, v in after_warm_up.items()},
                              "at_end": {str(k): v for k, v in at_end.items()}, "growth": growth,
                              "tolerance": RSS_TOLERANCE, "samples": samples},
            "sweeper_runs": sweeps, "files": {k: v if isinstance(v, int) else len(v) for k, v in files.items()},
        })
        assert not warm_stats.unexpected and not stats.unexpected, stats.unexpected[:5] or warm_stats.unexpected[:5]
        assert summary["server_errors"] == 0 and summary["connection_errors"] == 0, summary
        assert not load.failures, load.failures[:5]
        assert set(at_end) == set(workers), f"a worker was replaced during the load: {workers} -> {sorted(at_end)}"
        for pid in workers:
            assert at_end[pid] <= after_warm_up[pid] * (1 + RSS_TOLERANCE), (
                f"worker {pid}: {after_warm_up[pid]} kB after the warm-up, {at_end[pid]} kB at the end")
        assert load.filed, "no application was filed"
        for case in filed:
            assert case["status"] == "registered" and case["events"].get("application.submitted") == 1, case
        assert not files["orphaned_files"] and not files["rows_without_file"] and not files["other_files"], files
        assert sweeps >= 2, "the sweeper did not run during the load"
        for name, process in setup.processes.items():
            assert process.alive(), f"{name} exited:\n{process.log()[-3000:]}"


# --- 2. a worker killed in the middle of an upload and of a submission ------------------------------

PAUSE = 2  # seconds each test-only pause lasts (portal/core/faults.py): the kill comes inside it


def paused_worker(web, offset: int, point: str, timeout: float = 30) -> int:
    """The pid of the worker that announced it is pausing at `point` (a line in gunicorn's log after `offset`)."""
    def announced():
        for line in web.log()[offset:].splitlines():
            if line.startswith("{") and '"fault_pause"' in line:
                entry = json.loads(line)
                if entry["fault_pause"] == point:
                    return entry["pid"]
        return None

    return wait_for(announced, timeout, f"a worker to pause at {point}", every=0.05)


def in_background(call):
    """Run call() in a thread; its result (or the exception it raised) in the returned dict once done."""
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as exc:  # noqa: BLE001  (the killed request's error is the point)
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def kill_mid(setup, point: str, call) -> dict:
    """Start a request that pauses at `point`, SIGKILL the worker that holds it, wait for gunicorn's new worker."""
    web = setup.processes["web"]
    offset = len(web.log())
    before = set(setup.workers())
    outcome = in_background(call)
    pid = paused_worker(web, offset, point)
    assert pid in before, f"{pid} is not one of gunicorn's workers {sorted(before)}"
    kill(pid)
    outcome["thread"].join(30)
    replaced = wait_for(lambda: len(setup.workers()) == 2 and pid not in setup.workers() and setup.workers(), 30,
                        "gunicorn to replace the killed worker")
    return {"killed_pid": pid, "workers_after": replaced, "client_saw": repr(outcome.get("error") or
                                                                                 outcome.get("result").status)}


def test_worker_killed_mid_upload_and_mid_submission(request, tmp_path_factory):
    # Development mode: the test-only pauses are read only when TYNDAU_ENV is not production.
    pauses = {"FAULT_UPLOAD_PART_DELAY": str(PAUSE), "FAULT_UPLOAD_STORED_DELAY": str(PAUSE),
              "FAULT_SUBMIT_DELAY": str(PAUSE)}
    with installation(request, tmp_path_factory, "worker_kill", production_mode=False, extra_env=pauses) as setup:
        setup.start_web()
        applicant = Browser(setup.url, "ru")
        log_in(applicant, "applicant", "demo-applicant")
        application_id = start_application(applicant, 1)
        page = applicant.get(f"/applications/{application_id}/documents", "documents")
        csrf, codes = page.csrf(), missing_codes(page)
        assert len(codes) >= 2, codes
        db = Database(setup.database_url)
        figures = {}
        try:
            # The demo seed's own cases have their documents: the counts below are on top of those.
            seeded = files_match_rows(db, setup.uploads)
            assert seeded["files"] == seeded["rows"] and not seeded["other_files"], seeded
            seeded = seeded["rows"]
            # a) killed while the file is being written (a .part file on disk, no row)
            big = PDF + b"%" + os.urandom(256 * 1024)  # several chunks
            figures["killed_writing"] = kill_mid(setup, "upload.part",
                                                 lambda: upload(applicant, application_id, codes[0], csrf, big))
            figures["killed_writing"]["on_disk"] = files_match_rows(db, setup.uploads)
            # b) killed after the file is in place, before its row is committed
            figures["killed_before_commit"] = kill_mid(setup, "upload.stored",
                                                       lambda: upload(applicant, application_id, codes[0], csrf))
            left = files_match_rows(db, setup.uploads)
            figures["killed_before_commit"]["on_disk"] = left
            assert db.application(application_id)["documents"] == 0, "a row of a killed upload was committed"
            assert left["rows"] == seeded and len(left["orphaned_files"]) == 1 and len(left["other_files"]) == 1, left

            # The housekeeping command removes what no row names (here without a grace period: nothing is in flight).
            cleaned = setup.run_flask("documents", "clean-orphans", "--older-than", "0")
            assert cleaned.returncode == 0, cleaned.stderr
            figures["clean_orphans"] = json.loads(cleaned.stdout.strip().splitlines()[-1])
            assert figures["clean_orphans"]["removed"] == 2, figures["clean_orphans"]
            after_cleaning = files_match_rows(db, setup.uploads)
            assert after_cleaning["files"] == after_cleaning["rows"] == seeded and not after_cleaning["other_files"]

            # The applicant tries again: each item gets its document, once.
            for code in codes:
                answer = upload(applicant, application_id, code, csrf)
                assert answer.status == 200, (answer.status, answer.text[:300])
            assert db.one("SELECT count(*) FROM document WHERE application_id = %s", application_id) == len(codes)
            assert db.one("SELECT count(DISTINCT code) FROM document WHERE application_id = %s", application_id) \
                == len(codes)

            # c) killed in the middle of the submission: everything it wrote is rolled back with its transaction.
            before = db.application(application_id)
            form_csrf = applicant.get(f"/applications/{application_id}/submit", "submit page").csrf()
            figures["killed_submitting"] = kill_mid(setup, "submit",
                                                    lambda: submit(applicant, application_id, csrf=form_csrf))
            after_kill = db.application(application_id)
            figures["killed_submitting"]["state_after_kill"] = after_kill
            assert after_kill == before, f"half a submission was left: {before} -> {after_kill}"
            assert after_kill["status"] == "draft" and after_kill["number"] is None

            # The retry (the browser's resubmission of the same form) submits once; two more change nothing.
            retry = submit(applicant, application_id, csrf=form_csrf)
            assert retry.status == 302 and retry.location == f"/applications/{application_id}", retry.status
            again = [in_background(lambda: submit(applicant, application_id, csrf=form_csrf)) for _ in range(2)]
            for outcome in again:
                outcome["thread"].join(60)
                assert outcome["result"].status == 302, outcome
            case = db.application(application_id)
            figures["after_retry"] = case
            assert case["status"] == "registered" and case["number"], case
            assert case["events"].get("application.submitted") == 1 and case["events"].get(
                "application.registered") == 1, case
            assert case["events"].get("deadlines.planned") == 1 and case["deadlines"] > 0, case
            assert case["outbox"].get("application.accepted") == db.one(
                "SELECT count(*) FROM user_account WHERE role = 'applicant' AND active AND organization_id = "
                "(SELECT organization_id FROM application WHERE id = %s)", application_id), case
            page = applicant.get(f"/applications/{application_id}", "case")
            assert page.status == 200 and case["number"] in page.text

            figures["files_follow_their_transaction"] = files_follow_their_transaction(setup, application_id)

            final = files_match_rows(db, setup.uploads)
            figures["files_at_end"] = final
            assert final["files"] == final["rows"] == seeded + len(codes), final
            assert not final["orphaned_files"] and not final["rows_without_file"] and not final["other_files"], final
            record("worker_killed", {"ok": True, **figures})
        except BaseException:
            record("worker_killed", {"ok": False, **figures})
            raise
        finally:
            db.close()


def files_follow_their_transaction(setup, application_id: int) -> dict:
    """Without a kill, the portal cleans up by itself: an upload whose transaction does not commit leaves no file,
    and a removed document's file goes only when the removal commits (portal/documents/services.py)."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from portal.accounts.models import User
    from portal.applications.models import Application
    from portal.documents import services as documents
    from portal.extensions import db

    def stored(case, actor):
        return documents.store_upload(case, "extra", FileStorage(BytesIO(PDF), filename="extra.pdf"), actor)

    seen = {}
    with portal_app(setup).app_context():
        case, actor = db.session.get(Application, application_id), db.session.scalar(
            db.select(User).filter_by(username="applicant"))
        document = stored(case, actor)
        path = documents.file_path(document)
        seen["in_place_before_commit"] = os.path.exists(path)
        db.session.rollback()
        seen["gone_after_rollback"] = not os.path.exists(path)
        case, actor = db.session.get(Application, application_id), db.session.get(User, actor.id)
        path = documents.file_path(stored(case, actor))
        db.session.remove()  # a request torn down without a commit
        seen["gone_after_teardown"] = not os.path.exists(path)
        case, actor = db.session.get(Application, application_id), db.session.get(User, actor.id)
        document = stored(case, actor)
        db.session.commit()
        path = documents.file_path(document)
        seen["kept_after_commit"] = os.path.exists(path)
        db.session.delete(document)
        documents.remove_file(document)
        db.session.rollback()
        seen["kept_when_removal_rolled_back"] = os.path.exists(path)
        document = db.session.scalar(db.select(documents.Document).filter_by(storage_key=os.path.basename(path)))
        db.session.delete(document)
        documents.remove_file(document)
        db.session.commit()
        seen["gone_when_removal_committed"] = not os.path.exists(path)
        db.session.remove()
        db.engine.dispose()
    assert all(seen.values()), seen
    return seen


# --- 3. the sweeper killed in the middle of a sweep --------------------------------------------------

DUE_CASES = int(os.environ.get("FAULT_DUE_CASES", "160"))
KILL_BATCH = 20  # due terms per sweeper transaction in the kill test (`flask deadlines run --batch`)


def make_due_cases(setup, count: int) -> int:
    """`count` registered cases received long ago, so every term of theirs is due now; how many are past their end."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.applications import services
    from portal.extensions import db

    app = portal_app(setup)
    received = datetime(2025, 3, 3, 5, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Almaty
    with app.app_context():
        applicant = db.session.scalar(select(User).filter_by(username="applicant"))
        for n in range(count):
            draft = services.start_draft(applicant, "accreditation", applicant.organization)
            db.session.flush()
            services.save_draft(draft, {"pool_name": f"Due pool {n}", "main": {"settlement": "Астана",
                                                                               "address": f"ул. {n}"}}, applicant)
            assert services.submit(draft, applicant, received_at=received + timedelta(minutes=n))
            db.session.commit()
        # The terms the sweep will mark missed (past their end); the demo seed's own cases may add one in its
        # warning day, which is warned, not missed.
        open_count = db.session.execute(db.text("SELECT count(*) FROM deadline WHERE state = 'open' "
                                                "AND next_check_at <= now() AND due_at < now()")).scalar()
        db.session.remove()
        db.engine.dispose()
    return open_count


def effect_figures(db: Database) -> dict:
    return {
        "effects": dict(db.all("SELECT kind, count(*) FROM deadline_effect GROUP BY kind")),
        "effect_keys_twice": db.one("SELECT count(*) FROM (SELECT key FROM deadline_effect GROUP BY key "
                                    "HAVING count(*) > 1) AS t"),
        "open_and_due": db.one("SELECT count(*) FROM deadline WHERE state = 'open' AND next_check_at <= now()"),
        "missed": db.one("SELECT count(*) FROM deadline WHERE state = 'missed'"),
    }


def test_sweeper_killed_mid_sweep_finishes_once(request, tmp_path_factory):
    killed = {"sweeper"}
    with installation(request, tmp_path_factory, "sweeper_kill", killed=killed) as setup:
        open_deadlines = make_due_cases(setup, DUE_CASES)  # open and due now
        assert open_deadlines > 10 * KILL_BATCH, f"{open_deadlines} due deadlines: too few batches to kill one"
        db = Database(setup.database_url)
        figures: dict = {"cases": DUE_CASES, "open_deadlines": open_deadlines}
        try:
            # Small batches (a sweep of 800 due terms takes about a second since the sweeper works per batch):
            # many transactions one after another, so the kill lands inside one of them, mid-sweep.
            sweeper = setup.start_process("sweeper", args=("--batch", str(KILL_BATCH)))
            started = time.monotonic()
            # Killed once the first batch has committed, inside a later one.
            wait_for(lambda: db.one("SELECT count(*) FROM deadline_effect") > 0 or
                     (not sweeper.alive() and pytest.fail("the sweeper exited:\n" + sweeper.log(), pytrace=False)),
                     240, "the sweeper's first batch", every=0.02)
            first_batch = time.monotonic() - started
            # The sweeper's transaction is open, with a batch's effects written but not committed.
            in_flight = 0
            for _ in range(100):
                in_flight = db.one("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
                if in_flight:
                    break
            os.killpg(sweeper.pid, signal.SIGKILL)
            sweeper.popen.wait(10)
            figures["first_batch_s"] = round(first_batch, 2)
            figures["killed_after_s"] = round(time.monotonic() - started, 2)
            figures["transactions_open_at_kill"] = in_flight
            figures["at_kill"] = at_kill = effect_figures(db)
            assert in_flight >= 1, "the kill did not come in the middle of a batch"
            assert at_kill["open_and_due"] > 0, f"the sweep had finished before the kill: {at_kill}"
            assert not any(line.startswith("{") for line in sweeper.log().splitlines()), "a sweep had completed"

            # The next sweeper (the service manager starts it again) finishes the work.
            resumed = setup.start_process("sweeper", label="sweeper-after-kill")
            wait_for(lambda: any(line.startswith("{") for line in resumed.log().splitlines()) or
                     (not resumed.alive() and pytest.fail("the sweeper exited:\n" + resumed.log(), pytrace=False)),
                     240, "the next sweep to finish")
            wait_for(lambda: len([line for line in resumed.log().splitlines() if line.startswith("{")]) >= 2, 60,
                     "one more sweep, which must find nothing left")
            runs = [json.loads(line) for line in resumed.log().splitlines() if line.startswith("{")]
            figures["resumed_runs"] = runs[:3]
            figures["at_end"] = at_end = effect_figures(db)

            # Every effect once: its row (unique key), its event, its mails.
            figures["events"] = events = dict(db.all(
                "SELECT kind, count(*) FROM event WHERE kind IN ('deadline.warning', 'deadline.missed') GROUP BY kind"))
            doubled_events = db.one(
                "SELECT count(*) FROM (SELECT application_id, kind, data->>'code' FROM event "
                "WHERE kind IN ('deadline.warning', 'deadline.missed') GROUP BY 1, 2, 3 HAVING count(*) > 1) AS t")
            doubled_mails = db.one("SELECT count(*) FROM (SELECT topic, recipient_email FROM outbox "
                                   "GROUP BY 1, 2 HAVING count(*) > 1) AS t")
            figures.update({"events_twice": doubled_events, "mails_twice": doubled_mails,
                            "overdue_cases": db.one("SELECT count(*) FROM application WHERE overdue_since IS NOT NULL")})
            assert at_end["open_and_due"] == 0, at_end
            assert at_end["effect_keys_twice"] == 0 and doubled_events == 0 and doubled_mails == 0, figures
            assert at_end["effects"].get("mark_missed") == at_end["missed"] == open_deadlines, figures
            assert events.get("deadline.missed") == at_end["effects"]["mark_missed"], figures
            assert events.get("deadline.warning", 0) == at_end["effects"].get("warn", 0), figures
            assert sum(r.get("mark_missed", 0) for r in runs) + at_kill["effects"].get("mark_missed", 0) \
                == open_deadlines, (runs, at_kill)
            assert all(not {k for k in r if k != "deadlines"} for r in runs[1:]), f"a later sweep did more: {runs}"
            record("sweeper_killed", {"ok": True, **figures})
        except BaseException:
            record("sweeper_killed", {"ok": False, **figures})
            raise
        finally:
            db.close()


# --- 4. PostgreSQL restarted under load ----------------------------------------------------------------

OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "6"))


def test_postgresql_restart_under_load_answers_503_and_recovers(request, tmp_path_factory):
    cluster = Cluster()
    died: set[str] = set()  # the loops that exited during the outage (restarted below, as systemd does)
    try:
        cluster.init()
        with installation(request, tmp_path_factory, "pg_restart", server_url=cluster.url, killed=died) as setup:
            setup.start_web()
            setup.start_process("sweeper")
            setup.start_process("outbox")
            workers = setup.workers()
            stats = Stats()
            # During the outage every answer is the 503 page: expected, like the 200s and 302s before and after.
            load = SteadyLoad(setup.url, stats, filing_every=1.0, clerk_every=0.5, applicants=4, clerks=3)
            outage: dict = {}
            probes: list[tuple[float, int, str, float]] = []

            def probe_loop(stop: threading.Event):
                prober = Browser(setup.url, "kk")
                log_in(prober, "clerk", "demo-clerk")
                while not stop.is_set():
                    started = time.time()  # a probe counts as "during" only if it began after the stop completed
                    try:
                        answer = prober.get("/staff/cases", "probe", expect=(200, 503))
                        probes.append((started, answer.status, answer.text, time.time()))
                    except OSError as exc:
                        probes.append((started, 0, repr(exc), time.time()))
                    time.sleep(0.2)

            stop = threading.Event()
            prober = threading.Thread(target=probe_loop, args=(stop,), daemon=True)
            prober.start()

            def restart():
                time.sleep(4)
                outage["stop_requested_at"] = time.time()
                cluster.stop("fast")  # pg_ctl -w: returns once the server is down (a checkpoint can take a while)
                outage["down_at"] = time.time()
                time.sleep(OUTAGE_SECONDS)
                # pg_ctl -w start returns some time after the server accepts connections: a probe answered
                # in that gap is a 200 from a running server, so "during" ends when the start is asked for.
                outage["start_requested_at"] = time.time()
                cluster.start()
                outage["up_at"] = time.time()

            restarter = threading.Thread(target=restart, daemon=True)
            try:
                restarter.start()
                load.run(4 + OUTAGE_SECONDS + 12)
                restarter.join(60)
            finally:
                stop.set()
                prober.join(10)
                load.close()
            # `flask deadlines run` and `flask outbox run` exit on a database error (their loops do not catch it):
            # recorded, then started again as the service manager would (deploy/*.service: Restart=always).
            loops = {}
            for name in ("sweeper", "outbox"):
                process = setup.processes[name]
                loops[name] = {"survived": process.alive(), "exit_code": process.popen.poll()}
                if not process.alive():
                    died.add(name)
                    again = setup.start_process(name, label=f"{name}-restarted")
                    wait_for(lambda: any(line.startswith("{") for line in again.log().splitlines()) or
                             (not again.alive() and pytest.fail(f"{name} exited:\n{again.log()}", pytrace=False)),
                             60, f"the restarted {name} to run")
                    loops[name]["restarted_and_ran"] = True
            during = [p for p in probes if outage["down_at"] < p[0] and p[3] < outage["start_requested_at"]]
            after = [p for p in probes if p[0] > outage["up_at"]]
            first_ok = next((p[0] for p in after if p[1] == 200), None)
            bad = [u for u in stats.unexpected if u["status"] not in (503,)]
            statuses = stats.summary()["statuses"]
            db = Database(setup.database_url)
            try:
                files = files_match_rows(db, setup.uploads)
            finally:
                db.close()
            kazakh_503 = next((p[2] for p in during if p[1] == 503), "")
            figures = {
                "outage_seconds": round(outage["up_at"] - outage["down_at"], 1), "statuses": statuses,
                "shutdown_took_s": round(outage["down_at"] - outage["stop_requested_at"], 2),
                "probe_statuses_during_outage": sorted({p[1] for p in during}),
                "probe_statuses_after": sorted({p[1] for p in after}),
                "recovered_after_s": round(first_ok - outage["up_at"], 2) if first_ok else None,
                "non_503_errors": bad[:10], "applications_filed": len(load.filed),
                "journey_failures": len(load.failures), "workers_before": workers, "workers_after": setup.workers(),
                "files": {k: v if isinstance(v, int) else len(v) for k, v in files.items()},
                "loops": loops,
            }
            record("postgresql_restart", {"ok": not bad, **figures})
            assert during and {p[1] for p in during} == {503}, f"answers during the outage: {figures}"
            assert "Traceback" not in kazakh_503 and "<h1>" in kazakh_503, kazakh_503[:500]
            assert "Сервис уақытша қолжетімсіз" in kazakh_503, kazakh_503[:800]  # the translated 503 page, in Kazakh
            assert not bad, bad[:5]
            assert statuses.get("500") is None and not any(s.startswith("5") and s != "503" for s in statuses), statuses
            assert first_ok is not None and after[-1][1] == 200, figures
            assert setup.workers() == workers, "gunicorn's workers were replaced: the portal was restarted"
            assert not files["orphaned_files"] and not files["rows_without_file"] and not files["other_files"], files
    finally:
        cluster.remove()


# --- 5. the SMTP relay unreachable for a while ----------------------------------------------------------

SMTP_DOWN_SECONDS = float(os.environ.get("FAULT_SMTP_DOWN_SECONDS", "5"))


def test_smtp_unreachable_mails_wait_and_go_out_once(request, tmp_path_factory):
    port = free_port()  # nothing listens there yet: the relay is down
    smtp = {"MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_TIMEOUT": "5"}
    relay = SmtpRelay(port)
    try:
        with installation(request, tmp_path_factory, "smtp", extra_env=smtp) as setup:
            setup.start_web()
            outbox = setup.start_process("outbox")
            applicant = Browser(setup.url, "kk")
            log_in(applicant, "applicant", "demo-applicant")
            filed = []
            for n in range(5):
                application_id = start_application(applicant, n)
                attach_all(applicant, application_id)
                assert submit(applicant, application_id).status == 302
                filed.append(application_id)
            db = Database(setup.database_url)
            figures: dict = {}
            try:
                due = "status = 'pending' AND send_after <= now()"
                wait_for(lambda: db.one(f"SELECT count(*) FROM outbox WHERE {due} AND attempts = 0") == 0
                         and db.one(f"SELECT count(*) FROM outbox WHERE {due}") >= len(filed), 60,
                         "the outbox worker to try every mail once")
                waiting = db.one(f"SELECT count(*) FROM outbox WHERE {due}")
                errors = [e for (e,) in db.all(f"SELECT last_error FROM outbox WHERE {due}")]
                figures["while_down"] = {"waiting": waiting, "sent": db.one(
                    "SELECT count(*) FROM outbox WHERE status = 'sent'"), "errors": sorted(set(errors))[:3]}
                assert figures["while_down"]["sent"] == 0 and all(errors), figures
                time.sleep(SMTP_DOWN_SECONDS)  # the worker keeps running while the relay stays down
                assert db.one("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0
                assert db.one("SELECT count(*) FROM outbox WHERE status = 'sent'") == 0
                figures["down_seconds"] = SMTP_DOWN_SECONDS
                figures["attempts_while_down"] = dict(db.all(f"SELECT attempts, count(*) FROM outbox WHERE {due} "
                                                             "GROUP BY attempts"))

                relay.start()
                back = time.monotonic()
                # The next try comes after the outbox's back-off (1, 2, 4… minutes after each failure).
                wait_for(lambda: db.one(f"SELECT count(*) FROM outbox WHERE {due}") == 0, 300,
                         "every waiting mail to go out", every=1)
                figures["delivered_after_s"] = round(time.monotonic() - back, 1)
                time.sleep(2 * 2 + 1)  # two more of the worker's runs: nothing may go out twice
                sent = {f"outbox-{i}" for (i,) in db.all("SELECT id FROM outbox WHERE status = 'sent'")}
                received = relay.message_ids()
                ids = [m.split("@")[0] for m in received]
                figures.update({"mails": len(sent), "received": len(received),
                                "received_twice": sorted({i for i in ids if ids.count(i) > 1}),
                                "attempts": dict(db.all("SELECT attempts, count(*) FROM outbox WHERE status = 'sent' "
                                                        "GROUP BY attempts"))})
                assert len(received) == len(set(ids)), f"a mail was delivered twice: {figures}"
                assert set(ids) == sent, f"sent rows and received mails differ: {sorted(sent ^ set(ids))}"
                accepted = db.one("SELECT count(*) FROM outbox WHERE kind = 'application.accepted' AND status = 'sent' "
                                  "AND application_id = ANY(%s)", filed)
                assert accepted >= len(filed), figures
                assert outbox.alive(), outbox.log()[-2000:]
                record("smtp_unreachable", {"ok": True, **figures})
            except BaseException:
                record("smtp_unreachable", {"ok": False, **figures})
                raise
            finally:
                db.close()
    finally:
        relay.stop()


# --- 6. hostile previews under load (issue 15) ----------------------------------------------------------------

HOSTILE_SECONDS = float(os.environ.get("FAULT_HOSTILE_SECONDS", "20"))
HOSTILE_PAGES = 5
# Before issue 15 two hostile previews held both workers until gunicorn killed them and /healthz waited 34 s. Now a
# worker is held at most PREVIEW_WALL_SECONDS (10) by a drawing, or SLOT_WAIT_SECONDS (0.5) waiting for one.
HEALTHZ_BOUND_S = 10.0


def test_hostile_previews_under_load_keep_the_portal_answering(request, tmp_path_factory):
    """PDF pages that cost many seconds of CPU each are requested over and over by several clients at once, while
    /healthz is asked every 0.2 s: every /healthz answers, quickly; every preview answers (a page or the
    placeholder, never an error); no worker is killed or replaced; each hostile page is tried once, not per view.

    The limits are the defaults (5 s of CPU, 512 MB, 10 s) with one drawing at a time, below the 2 workers
    (PREVIEW_CONCURRENCY < workers, as portal/config.py says). The file comes in through the upload form: its
    first page is plain (the upload's check draws only that one); a file whose first page is hostile is refused.
    """
    import random

    from tests.production.faults_support import make_hostile_pdf

    with installation(request, tmp_path_factory, "hostile_preview", extra_env={"PREVIEW_CONCURRENCY": "1"}) as setup:
        setup.start_web()
        workers = setup.workers()
        applicant = Browser(setup.url, "ru")
        log_in(applicant, "applicant", "demo-applicant")
        application_id = start_application(applicant, 1)
        page = applicant.get(f"/applications/{application_id}/documents", "documents")
        csrf, codes = page.csrf(), missing_codes(page)
        figures: dict = {"hostile_pages": HOSTILE_PAGES, "seconds": HOSTILE_SECONDS}
        db = Database(setup.database_url)
        try:
            started = time.monotonic()
            refused = upload(applicant, application_id, codes[1], csrf, make_hostile_pdf(1, plain_first=False),
                             "first.pdf", expect=(422,))
            figures["refused_upload"] = {"status": refused.status, "ms": round(refused.ms)}
            # The person reads Russian: the refusal of a first page too costly to draw, next to the field.
            assert refused.status == 422 and "Первая страница PDF отображается слишком долго" in refused.text, (
                refused.status, refused.text[:300])
            accepted = upload(applicant, application_id, codes[0], csrf, make_hostile_pdf(HOSTILE_PAGES), "plan.pdf")
            assert accepted.status == 200, (accepted.status, accepted.text[:300])
            document_id = db.one("SELECT id FROM document WHERE application_id = %s", application_id)
            base = f"/applications/{application_id}/documents/{document_id}/preview"

            stop = threading.Event()
            previews, probes, not_images = Stats(), [], []

            def attacker(seed: int):
                person = Browser(setup.url, "ru", stats=previews, timeout=60)
                person.cookies = dict(applicant.cookies)
                pick = random.Random(seed)
                while not stop.is_set():
                    with contextlib.suppress(OSError):
                        answer = person.get(f"{base}/{pick.randint(1, HOSTILE_PAGES)}", "hostile preview")
                        if not answer.headers.get("content-type", "").startswith(("image/png", "image/svg+xml")):
                            not_images.append(answer.headers.get("content-type"))

            def prober():
                probe = Browser(setup.url, "kk", timeout=60)
                while not stop.is_set():
                    began = time.monotonic()
                    try:
                        probes.append((probe.get("/healthz", "healthz").status, time.monotonic() - began))
                    except OSError as exc:
                        probes.append((repr(exc), time.monotonic() - began))
                    time.sleep(0.2)

            threads = [threading.Thread(target=attacker, args=(n,), daemon=True) for n in range(4)]
            threads.append(threading.Thread(target=prober, daemon=True))
            for thread in threads:
                thread.start()
            time.sleep(HOSTILE_SECONDS)
            stop.set()
            for thread in threads:
                thread.join(90)
            summary = previews.summary()
            sha256 = db.one("SELECT sha256 FROM document WHERE id = %s", document_id)
            failed = sorted(p.name for p in (setup.uploads / "previews" / sha256).glob("*.failed"))
            figures.update({
                "took_s": round(time.monotonic() - started, 1), "previews": summary,
                "healthz": {"requests": len(probes), "statuses": sorted({str(s) for s, _ in probes}),
                            "max_s": round(max((t for _, t in probes), default=0), 2),
                            "median_s": round(sorted(t for _, t in probes)[len(probes) // 2], 2) if probes else None},
                "pages_marked_unavailable": failed, "workers_before": workers, "workers_after": setup.workers(),
            })
            assert probes and {s for s, _ in probes} == {200}, figures["healthz"]
            assert max(t for _, t in probes) < HEALTHZ_BOUND_S, figures["healthz"]
            assert summary["requests"] and summary["server_errors"] == 0 and summary["connection_errors"] == 0, summary
            assert not previews.unexpected and not not_images, (previews.unexpected[:3], not_images[:3])
            assert setup.workers() == workers, "a gunicorn worker was killed or replaced"
            assert "[CRITICAL] WORKER TIMEOUT" not in setup.processes["web"].log()
            assert failed and len(failed) <= HOSTILE_PAGES, failed  # each hostile page tried once, then remembered
            page = applicant.get(f"{base}/0", "plain page")
            assert page.status == 200 and page.headers["content-type"] == "image/png"
            record("hostile_preview", {"ok": True, **figures})
        except BaseException:
            record("hostile_preview", {"ok": False, **figures})
            raise
        finally:
            db.close()
