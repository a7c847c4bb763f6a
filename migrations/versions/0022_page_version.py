"""page_version: one number raised by every committed write, the data part of the page cache's key (issue 18).

portal/core/page_cache.py raises it in the transaction of each write, just before the commit; the cached
main pages are keyed by it (with the person, the language, the address and the minute).

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "page_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_version")),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade():
    op.drop_table("page_version")
