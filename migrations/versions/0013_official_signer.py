"""Acts signed by the official's own key (issue 13): who signed, from the certificate, on the decision and on
the authority's decision on a complaint; the position of a staff account (certificates carry no title).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.String(length=200), server_default="", nullable=False))
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer", sa.JSON(), nullable=True))
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_signer", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_column("decision_signer")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("signer")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("position")
