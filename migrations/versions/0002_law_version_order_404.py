"""Load the Rules as amended by Order No. 404/НҚ of 13 September 2023 as a law version.

The file is checked against its hash: a fresh database must get exactly what this revision loaded
when it was written, so rules/data/order_404.json is never edited. An amendment of the Rules is a
new version loaded with `flask law load FILE.json --effective-from DATE`: a case follows the version
in force on its registration day, so old cases keep old numbers.

Revision ID: 0002
Revises: 0001
"""
import hashlib
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
SHA256 = "8558b30720022b021507b3b62703c3f82baf90f4ceef23c89d649a153b104ada"


def _data() -> dict:
    raw = DATA.read_bytes()
    if hashlib.sha256(raw).hexdigest() != SHA256:
        raise RuntimeError(f"{DATA} is not the file revision 0002 loaded: restore it, and load an amendment of the "
                           "Rules as a new version (`flask law load FILE.json --effective-from DATE`)")
    return json.loads(raw.decode("utf-8"))


def upgrade():
    data = _data()
    law_version = sa.table("law_version", sa.column("code", sa.String), sa.column("act", sa.Text),
                           sa.column("effective_from", sa.Date), sa.column("data", sa.JSON))
    op.bulk_insert(law_version, [{"code": data["code"], "act": data["act"],
                                  "effective_from": date.fromisoformat(data["effective_from"]), "data": data}])


def downgrade():
    data = _data()
    op.execute(sa.text("DELETE FROM law_version WHERE code = :code").bindparams(code=data["code"]))
