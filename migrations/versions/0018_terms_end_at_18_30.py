"""Open terms end at 18:30 Almaty of their last working day (issue 14 item 9), not at 23:59:59.

Rows planned before this change keep their old end; each open row gets the provider's end of working hours
on the same last day, and is checked by the next sweep, which computes its next check from the new end.

Revision ID: 0018
Revises: 0017
"""
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from portal.core.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ALMATY = ZoneInfo("Asia/Almaty")
END_OF_WORKING_HOURS = time(18, 30)  # rules.calendar.WORK_END, copied: a migration must not change with the code

deadline = sa.table("deadline", sa.column("id", sa.Integer), sa.column("state", sa.String),
                    sa.column("due_date", sa.Date), sa.column("due_at", UTCDateTime),
                    sa.column("next_check_at", UTCDateTime))


def upgrade():
    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    rows = bind.execute(sa.select(deadline.c.id, deadline.c.due_date, deadline.c.due_at)
                        .where(deadline.c.state == "open")).all()
    for row in rows:
        end = datetime.combine(row.due_date, END_OF_WORKING_HOURS, ALMATY).astimezone(timezone.utc)
        if row.due_at == end:
            continue
        bind.execute(deadline.update().where(deadline.c.id == row.id).values(due_at=end, next_check_at=now))


def downgrade():
    pass  # the earlier end (23:59:59) is not restored: it was the wrong reading of the Rules
