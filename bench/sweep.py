"""Sweep: one sweep over 1,000 due deadlines among 100,000 and then 1,000,000 open ones.

The open deadlines are written straight in SQL (generate_series): registered cases with their five
running terms, due in the coming days. For each measurement 1,000 other deadlines are made due now,
800 entering their warning day and 200 just past their end (warn, then mark missed and flag the case),
and one call of portal.deadlines.sweeper.sweep(now) is timed in a warmed process, as `flask deadlines
run` would make it. Target: under 1 s at 1,000,000 open, and within 1.5x of the time at 100,000.
"""
from __future__ import annotations

import statistics
import time
from datetime import datetime, time as dtime, timedelta, timezone

from bench.common import load_average, log

DUE = 1000
MISSED_SHARE = 0.2
REPEAT = 3
TARGET_SECONDS = 1.0
GROWTH_TARGET = 1.5
CODES = (("completeness", 2, "п. 7"), ("review", 5, "п. 8"), ("service", 10, "Appendix 2 item 3"),
         ("hearing_notice", 3, "п. 10"), ("hearing", 2, "п. 10"))

# SQL for the columns of a registered case and of an open term; i is the case's number in the series.
APPLICATION = {
    "id": "{base} + i", "number": "'SW-' || ({base} + i)", "kind": "'accreditation'", "route": "'portal'",
    "status": "'registered'", "organization_id": "{org}", "created_by_id": "{user}", "registered_by_id": "{user}",
    "legal_name": "'Sweep bench'", "bin": "'{bin}'", "legal_address": "''", "pool_name": "''", "support_24_7": "true",
    "ui_languages": "'kk,ru,en'", "security_act_number": "''", "state_service_integration": "true",
    "consent_secrets": "true", "consent_personal_data": "true", "reissue_certificate_number": "''",
    "reissue_reason": "''", "received_at": "now()", "registered_on": "current_date", "law_version_id": "{law}",
    "created_at": "now()", "updated_at": "now()", "version": "2",
}
DEADLINE = {
    "id": "{base} * 8 + i * 8 + {n}", "application_id": "{base} + i", "code": "'{code}'", "term": "{term}",
    "starts_from": "'registration'", "starts_on": "current_date",
    "due_date": "current_date + 3 + ((i + {n}) % 12)",
    "due_at": "((current_date + 3 + ((i + {n}) % 12)) + time '23:59:59.999999') AT TIME ZONE 'Asia/Almaty'",
    "paragraph": "'{paragraph}'", "state": "'open'",
    "next_check_at": "((current_date + 2 + ((i + {n}) % 12))::timestamp) AT TIME ZONE 'Asia/Almaty'",
    "created_at": "now()",
}


def _columns(table, values: dict) -> list[str]:
    """The columns to write; a NOT NULL column this file does not know is an error worth seeing."""
    unknown = [c.name for c in table.columns if c.name not in values and not c.nullable
               and c.server_default is None and not c.primary_key]
    if unknown:
        raise RuntimeError(f"bench/sweep.py does not fill {table.name}.{unknown}: update it")
    return [c for c in values if c in table.columns]


def add_cases(connection, tables, base: int, count: int, ids: dict) -> None:
    """`count` registered cases from id base + 1, each with its five open terms, none due now."""
    from sqlalchemy import text

    columns = _columns(tables["application"], APPLICATION)
    values = ", ".join(APPLICATION[c].format(base=base, **ids) for c in columns)
    connection.execute(text(f"INSERT INTO application ({', '.join(columns)}) "
                            f"SELECT {values} FROM generate_series(1, {count}) AS i"))
    deadline_columns = _columns(tables["deadline"], DEADLINE)
    for n, (code, term, paragraph) in enumerate(CODES):
        values = ", ".join(DEADLINE[c].format(base=base, n=n, code=code, term=term, paragraph=paragraph)
                           for c in deadline_columns)
        connection.execute(text(f"INSERT INTO deadline ({', '.join(deadline_columns)}) "
                                f"SELECT {values} FROM generate_series(1, {count}) AS i"))


def make_due(connection, first_case: int, calendar, now: datetime) -> None:
    """The service terms of cases first_case .. first_case + 999 become due now: most warn, some are missed."""
    from sqlalchemy import text

    from rules.calendar import ALMATY

    today = now.astimezone(ALMATY).date()
    soon = calendar.add_workdays(today, 1)         # warning day is today: "warn"
    past = calendar.subtract_workdays(today, 1)    # ended yesterday or earlier: "mark_missed", "flag_overdue"
    missed = int(DUE * MISSED_SHARE)
    for first, count, day in ((first_case, DUE - missed, soon), (first_case + DUE - missed, missed, past)):
        due_at = datetime.combine(day, dtime.max, tzinfo=ALMATY).astimezone(timezone.utc)
        connection.execute(text(
            "UPDATE deadline SET due_date = :day, due_at = :due_at, next_check_at = :check "
            "WHERE code = 'service' AND complaint_id IS NULL AND application_id BETWEEN :a AND :b"),
            {"day": day, "due_at": due_at, "check": now - timedelta(minutes=1), "a": first, "b": first + count - 1})


def open_count(connection) -> int:
    from sqlalchemy import text

    return connection.execute(text("SELECT count(*) FROM deadline WHERE state = 'open'")).scalar()


def run(pg) -> list[dict]:
    import subprocess

    from portal import create_app
    from portal.calendar.services import current_calendar
    from portal.core.clock import now_utc
    from portal.deadlines.sweeper import sweep
    from portal.extensions import db
    from bench.common import ROOT, VENV_BIN, app_env

    url = pg.create("bench_sweep")
    env = app_env(url, ROOT / "instance")
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    results, timings = [], {}
    with app.app_context():
        from portal.demo.cli import seed

        users = seed()
        applicant = users["applicant"]
        ids = {"org": applicant.organization_id, "user": applicant.id, "bin": applicant.organization.bin,
               "law": db.session.scalar(db.text("SELECT max(id) FROM law_version"))}
        base = (db.session.scalar(db.text("SELECT max(id) FROM application")) or 0) + 1000
        db.session.commit()
        tables = db.metadata.tables
        calendar = current_calendar()
        written, next_due = 0, base + 1
        for scale in (100_000, 1_000_000):
            cases = scale // len(CODES) - written
            log(f"sweep: writing {cases:,} cases with {cases * len(CODES):,} open deadlines")
            with db.engine.begin() as connection:
                add_cases(connection, tables, base + written, cases, ids)
            written += cases
            pg.sql("VACUUM ANALYZE", "bench_sweep")
            with db.engine.connect() as connection:
                opened = open_count(connection)
            # Warm the process (rules engine, law, calendar) as a running sweeper is.
            with db.engine.begin() as connection:
                make_due(connection, next_due, calendar, now_utc())
            next_due += DUE
            sweep(now_utc())
            db.session.remove()
            seconds, done = [], {}
            for _ in range(REPEAT):
                with db.engine.begin() as connection:
                    make_due(connection, next_due, calendar, now_utc())
                next_due += DUE
                load_before = load_average()
                started = time.perf_counter()
                done = sweep(now_utc())
                seconds.append(time.perf_counter() - started)
                db.session.remove()
                if done.get("deadlines") != DUE:
                    raise RuntimeError(f"sweep processed {done} instead of {DUE} deadlines")
            timings[scale] = statistics.median(seconds)
            log(f"sweep with {opened:,} open: {[round(s, 3) for s in seconds]} s")
            figures = {"open_deadlines": opened, "due": DUE, "seconds": [round(s, 3) for s in seconds],
                       "median_seconds": round(timings[scale], 3), "effects": done,
                       "load_average_before": load_before}
            result = {"name": f"sweep/{scale}", "figures": figures, "ratio": None,
                      "target": f"one sweep of {DUE} due under {TARGET_SECONDS} s", "pass": None}
            if scale == 1_000_000:
                growth = timings[scale] / timings[100_000]
                result["ratio"] = round(growth, 3)
                result["target"] += f"; within {GROWTH_TARGET}x of the time at 100,000 open"
                result["pass"] = timings[scale] < TARGET_SECONDS and growth <= GROWTH_TARGET
            else:
                result["ratio"] = 1.0
                result["pass"] = timings[scale] < TARGET_SECONDS
            results.append(result)
        db.session.remove()
        db.engine.dispose()
    pg.drop("bench_sweep")
    return results


if __name__ == "__main__":
    import json

    from bench.common import Postgres

    pg = Postgres().start()
    try:
        print(json.dumps(run(pg), indent=2, ensure_ascii=False))
    finally:
        pg.stop()
