"""Deadlines in SQL: planned at registration from rules/, recomputed when the calendar changes."""
from __future__ import annotations

from datetime import date

from portal.calendar_admin.services import current_calendar
from sqlalchemy.orm import contains_eager

from portal.core.clock import ALMATY
from portal.deadlines.models import MET, MISSED, OPEN, Deadline
from portal.events import services as events
from portal.extensions import db
from portal.law.services import law_for
from rules import deadlines as rules_deadlines
from rules.escalation import warn_from


def plan_for(application) -> dict:
    return rules_deadlines.plan(application.procedure, application.received_at, current_calendar(),
                                law_for(application), registered_on=application.registered_on)


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
    """After a calendar exception changed: move every open deadline whose count the day touches.

    A day after every open due date of a case cannot move any of them (forward terms end on
    their due day; the hearing notice counts back from the service term, itself open), so
    only cases with an open deadline on or after the changed day are planned again.
    """
    touched = db.session.scalars(
        db.select(Deadline).where(Deadline.state == OPEN, Deadline.due_date >= changed_day)
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


def urgency(deadline: Deadline, now) -> str:
    """How a deadline should look: met, missed, near (one working day from breach) or open.

    Computed from the clock, so the page is right even before the sweeper has run.
    """
    if deadline.state != OPEN:
        return deadline.state
    if now > deadline.due_at:
        return MISSED
    return "near" if now >= warn_from(deadline.due_date, current_calendar()) else OPEN


def at_risk(now, page: int, per_page: int = 25):
    """Open deadlines near breach or past it, and missed ones, nearest first (for the supervisor)."""
    horizon = current_calendar().add_workdays(now.astimezone(ALMATY).date(), 1)
    query = (db.select(Deadline).join(Deadline.application)
             .where(db.or_(Deadline.state == MISSED, db.and_(Deadline.state == OPEN, Deadline.due_date <= horizon)))
             .options(contains_eager(Deadline.application))
             .order_by(Deadline.due_at, Deadline.id))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
