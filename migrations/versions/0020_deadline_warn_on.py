"""Each deadline stores its warning day (warn_on): the working day before its due day (issue 18).

Pages show a term as "near" from 00:00 Almaty of that day; with the day on the row they need not read the
calendar exceptions. Existing rows are filled here from their due day and the calendar exceptions table,
once per distinct due day.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

from rules.calendar import CalendarException, WorkingCalendar

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

deadline = sa.table("deadline", sa.column("due_date", sa.Date), sa.column("warn_on", sa.Date))
exception = sa.table("calendar_exception", sa.column("day", sa.Date), sa.column("is_workday", sa.Boolean),
                     sa.column("decree", sa.String))


def upgrade():
    with op.batch_alter_table("deadline") as batch:
        batch.add_column(sa.Column("warn_on", sa.Date(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.select(exception.c.day, exception.c.is_workday, exception.c.decree)
                        .order_by(exception.c.day)).all()
    calendar = WorkingCalendar(tuple(CalendarException(*row) for row in rows))
    days = bind.execute(sa.select(deadline.c.due_date).where(deadline.c.due_date.is_not(None)).distinct()).scalars()
    for due in list(days):
        bind.execute(deadline.update().where(deadline.c.due_date == due)
                     .values(warn_on=calendar.subtract_workdays(due, 1)))


def downgrade():
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("warn_on")
