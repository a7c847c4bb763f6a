"""Deadlines in SQL: planned at registration from rules/, recomputed when the calendar changes."""
from __future__ import annotations

from datetime import date

from portal.calendar_admin.services import current_calendar
from portal.deadlines.models import MET, OPEN, Deadline
from portal.events import services as events
from portal.extensions import db
from portal.law.services import law_for
from rules import deadlines as rules_deadlines
from rules.escalation import warn_from


def plan_for(application) -> dict:
    return rules_deadlines.plan(application.procedure, application.received_at, current_calendar(),
                                law_for(application))


def open_plan(application) -> list[Deadline]:
    """Create the case's deadline rows when it is registered; registration itself is met."""
    rows = []
    for planned in plan_for(application).values():
        row = Deadline(application_id=application.id, code=planned.id, term=planned.term,
                       starts_from=planned.starts_from[0], starts_on=planned.starts_from[1],
                       due_date=planned.due_date, due_at=planned.due_at, paragraph=planned.paragraph,
                       state=MET if planned.id == "registration" else OPEN)
        row.next_check_at = None if row.state == MET else warning_moment(row)
        if row.state == MET:
            row.met_at = application.received_at
        db.session.add(row)
        rows.append(row)
    events.record(application, "deadlines.planned", due={r.code: r.due_date.isoformat() for r in rows})
    return rows


def warning_moment(deadline: Deadline):
    """When the sweeper first looks: the start of the last working day before the due day."""
    return warn_from(deadline.due_date, current_calendar())


def recompute_open_deadlines(changed_day: date, actor=None) -> int:
    """After a calendar exception changed: move every open deadline whose count the day touches."""
    touched = db.session.scalars(
        db.select(Deadline).where(Deadline.state == OPEN, Deadline.starts_on <= changed_day)
        .order_by(Deadline.application_id)
    )
    by_case: dict = {}
    for row in touched:
        by_case.setdefault(row.application, []).append(row)
    changed_cases = 0
    for application, rows in by_case.items():
        fresh = plan_for(application)
        moves = {}
        for row in rows:
            planned = fresh.get(row.code)
            if planned is None or planned.due_date == row.due_date:
                continue
            moves[row.code] = [row.due_date.isoformat(), planned.due_date.isoformat()]
            row.due_date, row.due_at, row.starts_on = planned.due_date, planned.due_at, planned.starts_from[1]
            row.next_check_at = warning_moment(row)
        if moves:
            changed_cases += 1
            events.record(application, "deadlines.recomputed", actor=actor, day=changed_day.isoformat(), moves=moves)
    return changed_cases
