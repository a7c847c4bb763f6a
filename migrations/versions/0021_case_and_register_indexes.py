"""Two indexes the pages lacked at scale (issue 18): a case's terms, and the public register's order.

- ix_deadline_application_id: the case page reads all the terms of its case, its complaints' ones included;
  the only index on the case's terms was partial (complaint_id IS NULL), so at 100,000 cases each case page
  scanned every term (44 ms of its 58).
- ix_decision_register: the register's first page sorted every signed certificate (230 ms a request); this
  partial index gives the page, latest end of validity first, walking the index backwards.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

SIGNED_CERTIFICATE = sa.text("kind = 'certificate' AND status = 'signed'")


def upgrade():
    op.create_index("ix_deadline_application_id", "deadline", ["application_id"])
    op.create_index("ix_decision_register", "decision", ["valid_until", "id"],
                    sqlite_where=SIGNED_CERTIFICATE, postgresql_where=SIGNED_CERTIFICATE)


def downgrade():
    op.drop_index("ix_decision_register", table_name="decision")
    op.drop_index("ix_deadline_application_id", table_name="deadline")
