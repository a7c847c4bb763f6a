"""No main page reads a whole table that grows with the cases: every statement finds its rows through an index.

The pages' statements are captured with their parameters, then SQLite's EXPLAIN QUERY PLAN is asked for each.
A bare "SCAN <table>" (no index) of a table that grows with the cases is what made the case page read all
590,000 terms at 100,000 cases (issue 18, migration 0021): it is the regression this catches, with a few rows.
SQLite plans from the schema alone (no ANALYZE here), so the verdict does not depend on the rows' count.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from bench.scale import scale
from portal.accounts.models import Organization
from portal.applications.models import Application
from portal.demo.data import ORGANIZATIONS
from portal.extensions import db
from tests.conftest import Auth
from tests.portal.support import main_pages

# Tables whose rows grow with the cases (the catalogues — law, calendar, users of staff — stay small).
GROWING = {"application", "complex", "document", "deadline", "deadline_effect", "decision", "event", "complaint",
           "outbox", "signature", "review_decision", "state_facts", "preliminary_refusal", "hearing_record",
           "hearing_slot", "organization", "user_account", "decision_return"}
BARE_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")


def _walks_in_key_order(table: str, statement: str) -> bool:
    """A scan in primary-key order that stops at its LIMIT (the queue's cases with no open term, by number)
    costs the rows it returns, not the table."""
    return re.search(rf"ORDER BY {table}\.id LIMIT", " ".join(statement.split())) is not None


def _statements(app, role: str, path: str) -> list[tuple[str, tuple]]:
    seen = []

    def record(_conn, _cursor, statement, parameters, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    client = app.test_client()
    Auth(client).login(role)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_no_main_page_scans_a_table_that_grows_with_the_cases(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("read from SQLite's EXPLAIN QUERY PLAN; PostgreSQL's plans are measured by make bench")
        scale(40, seed=7)
        # A case of the demo applicant's organisation, so the applicant's case page is read too.
        case_id = db.session.scalar(
            select(Application.id).join(Organization, Organization.id == Application.organization_id)
            .where(Organization.bin == ORGANIZATIONS[0]["bin"], Application.status != "draft")
            .order_by((Application.status == "refused").desc(), Application.id).limit(1))
    app.extensions["page_cache"].size = 0  # every page made, so every statement it makes is planned
    scans = {}
    for name, (role, path) in main_pages(app, case_id).items():
        for statement, parameters in _statements(app, role, path):
            with app.app_context():
                plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            for row in plan:
                found = BARE_SCAN.match(str(row[-1]))
                if found and found.group(1) in GROWING and not _walks_in_key_order(found.group(1), statement):
                    scans.setdefault(name, []).append(f"{row[-1]} in: {' '.join(statement.split())[:200]}")
    assert not scans, "\n".join(f"--- {name}\n" + "\n".join(lines) for name, lines in scans.items())
