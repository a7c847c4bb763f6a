"""The provider carried out the authority's order on a complaint (issue 14 item 11): when, who and what it did.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remedy_done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remedy_done_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("remedy_done_note", sa.Text(), server_default="", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_complaint_remedy_done_by_id_user_account"), "user_account",
                                    ["remedy_done_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_complaint_remedy_done_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("remedy_done_note")
        batch_op.drop_column("remedy_done_by_id")
        batch_op.drop_column("remedy_done_at")
