"""The register's order at scale: current certificates first, latest end of validity first, read off an index."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from bench.scale import scale
from portal.core.clock import today_local
from portal.decisions.models import CERTIFICATE, SIGNED, Decision
from portal.extensions import db
from portal.register import queries
from tests.support.html import page


def _expire_some(app) -> set[str]:
    """Every third certificate ended a year ago: expired ones now sit among current ones by id."""
    with app.app_context():
        rows = db.session.execute(select(Decision.id, Decision.number, Decision.valid_until).where(
            Decision.kind == CERTIFICATE, Decision.status == SIGNED).order_by(Decision.id)).all()
        expired = rows[::3]
        last_year = today_local() - timedelta(days=365)
        for i, (decision_id, _number, _until) in enumerate(expired):
            db.session.execute(update(Decision).where(Decision.id == decision_id)
                               .values(valid_until=last_year - timedelta(days=i % 4)))
        db.session.commit()
        return {number for _id, number, _until in expired}


def test_the_register_shows_current_certificates_first_then_by_latest_end_of_validity(app, client):
    with app.app_context():
        scale(90, seed=11)
    expired = _expire_some(app)
    assert expired
    with app.app_context():
        today = today_local()
        everything = queries.register("", 1, per_page=1000).items
        expected = sorted(everything, key=lambda d: (d.valid_until >= today, d.valid_until, d.id), reverse=True)
        assert [d.id for d in everything] == [d.id for d in expected]
        assert len(everything) > 25

    shown = []
    for number in range(1, 4):
        rows = page(client.get(f"/register?page={number}")).find_all("tbody tr")
        shown += [(row.text_content(), "register-current" in row.get("class", "")) for row in rows]
    marks = [current for _text, current in shown]
    assert marks == sorted(marks, reverse=True), "an expired certificate shown before a current one"
    assert marks.count(False) and marks.count(True)
    assert all((any(n in text for n in expired)) == (not current) for text, current in shown)


def test_the_register_reads_its_rows_off_the_index_without_sorting(app):
    """SQLite's plan for the first page: the partial index ix_decision_register, no temporary sort b-tree."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN (PostgreSQL's: make bench)")
        scale(30, seed=4)
        query = queries.register_query("", "").limit(25)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_decision_register" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
