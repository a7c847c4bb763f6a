"""A final decision returned by the signatory to the clerk with a comment, and resent (issue 16 item 4).

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "decision_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("returned_by_id", sa.Integer(), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("resent_by_id", sa.Integer(), nullable=True),
        sa.Column("resent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"], name=op.f("fk_decision_return_decision_id_decision"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["returned_by_id"], ["user_account.id"],
                                name=op.f("fk_decision_return_returned_by_id_user_account")),
        sa.ForeignKeyConstraint(["resent_by_id"], ["user_account.id"],
                                name=op.f("fk_decision_return_resent_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_return")),
    )
    with op.batch_alter_table("decision_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_return_decision_id"), ["decision_id"], unique=False)


def downgrade():
    with op.batch_alter_table("decision_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_return_decision_id"))
    op.drop_table("decision_return")
