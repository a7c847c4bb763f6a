"""The migrations build exactly the schema the models describe, and go down again."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


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
