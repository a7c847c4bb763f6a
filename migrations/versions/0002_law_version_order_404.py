"""Load the Rules as amended by Order No. 404/НҚ of 13 September 2023 as a law version.

An amendment of the Rules is a new JSON file in rules/data/ and a migration like this one:
a case follows the version in force on its registration date, so old cases keep old numbers.

Revision ID: 0002
Revises: 0001
"""
import json
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DATA = Path(__file__).resolve().parents[2] / "rules" / "data" / "order_404.json"


def upgrade():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    law_version = sa.table("law_version", sa.column("code", sa.String), sa.column("act", sa.Text),
                           sa.column("effective_from", sa.Date), sa.column("data", sa.JSON))
    op.bulk_insert(law_version, [{"code": data["code"], "act": data["act"],
                                  "effective_from": date.fromisoformat(data["effective_from"]), "data": data}])


def downgrade():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    op.execute(sa.text("DELETE FROM law_version WHERE code = :code").bindparams(code=data["code"]))
