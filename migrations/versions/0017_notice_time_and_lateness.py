"""The hearing notice names its time (п.9) and a late notice is kept as a breach of п.10 (issue 14 items 6, 7).

proposed_at: the slot the notice proposed, or the moment a written position is awaited until; notices sent before
this revision named none (left empty). late_reason and late_deadline_id: why a notice went out after its last
lawful moment, and the hearing_notice term it missed.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("preliminary_refusal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("late_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("late_deadline_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_preliminary_refusal_late_deadline_id_deadline"), "deadline",
                                    ["late_deadline_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("preliminary_refusal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_preliminary_refusal_late_deadline_id_deadline"), type_="foreignkey")
        batch_op.drop_column("late_deadline_id")
        batch_op.drop_column("late_reason")
        batch_op.drop_column("proposed_at")
