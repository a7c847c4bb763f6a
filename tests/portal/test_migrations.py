"""The migrations build exactly the schema the models describe, and go down again."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db
from tests.portal.factories import registered_case_in_sql


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_the_law_version_is_loaded_by_migration(app):
    from portal.law.models import LawVersionRecord

    with app.app_context():
        rows = db.session.scalars(db.select(LawVersionRecord)).all()
        assert [r.code for r in rows] and rows[0].data["terms"]["service"] == 10


def test_readyz_says_ready_when_migrations_are_current(client):
    assert client.get("/readyz").get_json() == {"status": "ready"}
    assert client.get("/healthz").status_code == 200


def test_open_terms_planned_before_18_30_ends_are_moved_to_the_end_of_working_hours(tmp_path):
    """Migration 0018: an open term that ended at 23:59:59 ends at 18:30 Almaty of the same day and is checked again."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app

    almaty = ZoneInfo("Asia/Almaty")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                      "SECRET_KEY": "t"})
    old_end = datetime(2026, 3, 20, 23, 59, 59, tzinfo=almaty).astimezone(timezone.utc).replace(tzinfo=None)
    far = datetime(2099, 1, 1)  # a next check the sweep would not reach for years
    with app.app_context():
        upgrade(revision="0017")
        registered_case_in_sql()  # application 1, of organisation 1 and its applicant 1
        for id_, state in ((1, "open"), (2, "met")):
            db.session.execute(text(
                "INSERT INTO deadline (id, application_id, code, term, starts_from, starts_on, due_date, due_at, "
                "paragraph, state, next_check_at) VALUES (:id, 1, :code, 10, 'registration', '2026-03-06', "
                "'2026-03-20', :due, 'п.8', :state, :later)"),
                {"id": id_, "code": f"c{id_}", "due": old_end, "state": state, "later": far})
        db.session.commit()
        upgrade()
        rows = dict(db.session.execute(text("SELECT id, due_at FROM deadline")).all())
        checks = dict(db.session.execute(text("SELECT id, next_check_at FROM deadline")).all())
    ends = {k: datetime.fromisoformat(str(v)).replace(tzinfo=timezone.utc).astimezone(almaty) for k, v in rows.items()}
    assert ends[1] == datetime(2026, 3, 20, 18, 30, tzinfo=almaty)  # the open term: end of working hours
    assert ends[2].time().isoformat() == "23:59:59"  # a term already met is history, left as it was
    assert datetime.fromisoformat(str(checks[1])) < far  # checked again by the next sweep
    assert datetime.fromisoformat(str(checks[2])) == far
