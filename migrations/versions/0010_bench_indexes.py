"""Indexes the benchmarks asked for (issue 8): the staff queue walks open terms by due date.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OPEN_OWN = sa.text("state = 'open' AND complaint_id IS NULL")


def upgrade():
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_open_due", ["due_at", "application_id"], unique=False,
                              sqlite_where=OPEN_OWN, postgresql_where=OPEN_OWN)


def downgrade():
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_open_due", sqlite_where=OPEN_OWN, postgresql_where=OPEN_OWN)
