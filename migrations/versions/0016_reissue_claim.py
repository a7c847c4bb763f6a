"""One re-issuance per certificate (issue 14 item 10, issue 15 item 2): the hold a re-issuance takes on the
certificate it replaces, unique in the database among open and issued cases (a partial unique index).

Existing cases are given their hold: the re-issuance whose certificate was issued first, else the first submitted
of an organisation's open re-issuances naming its own certificate, holds it; a later one naming the same certificate holds nothing
(the provider refuses it under п.12).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CLAIM_HELD = sa.text("reissue_claim IS NOT NULL AND status NOT IN ('draft', 'incomplete_refused', 'refused')")


def upgrade():
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reissue_claim", sa.String(length=40), nullable=True))
    _backfill()
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index("uq_application_reissue_claim", ["reissue_claim"], unique=True,
                              sqlite_where=CLAIM_HELD, postgresql_where=CLAIM_HELD)


def _backfill():
    conn = op.get_bind()
    cases = conn.execute(sa.text(
        "SELECT id, organization_id, reissue_certificate_number FROM application "
        "WHERE kind = 'reissue' AND status NOT IN ('draft', 'incomplete_refused', 'refused') "
        "ORDER BY CASE WHEN status = 'certificate_issued' THEN 0 ELSE 1 END, received_at, id")).fetchall()
    held = set()
    for case_id, organization_id, typed in cases:
        number = (typed or "").strip().upper()
        if not number or number in held:
            continue
        own = conn.execute(sa.text(
            "SELECT 1 FROM decision d JOIN application a ON a.id = d.application_id "
            "WHERE d.number = :number AND d.kind = 'certificate' AND d.status = 'signed' "
            "AND a.organization_id = :organization"), {"number": number, "organization": organization_id}).first()
        if own is not None:
            conn.execute(sa.text("UPDATE application SET reissue_claim = :number WHERE id = :id"),
                         {"number": number, "id": case_id})
            held.add(number)


def downgrade():
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("uq_application_reissue_claim", sqlite_where=CLAIM_HELD, postgresql_where=CLAIM_HELD)
        batch_op.drop_column("reissue_claim")
