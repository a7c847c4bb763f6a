"""Deadlines in SQL: planned at registration from rules/, recomputed when the calendar changes."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from babel import dates as babel_dates
from flask_babel import get_locale
from sqlalchemy.orm import contains_eager

from portal.calendar.services import current_calendar
from portal.core.clock import ALMATY
from portal.core.pagination import paginate
from portal.deadlines.holiday_names import holiday_name
from portal.deadlines.models import MET, MISSED, OPEN, Deadline
from portal.events import services as events
from portal.extensions import db
from portal.law.services import law_for, law_in_force
from rules import deadlines as rules_deadlines
from rules.calendar import DECREE, HOLIDAY
from rules.deadlines import COMPLAINT_AUTHORITY, RECEIPT, REGISTRATION
from rules.escalation import warn_from


def plan_for(application) -> dict:
    return rules_deadlines.plan(application.procedure, application.received_at, current_calendar(),
                                law_for(application), registered_on=application.registered_on)


def complaint_terms(complaint) -> dict:
    """The terms of a complaint as planned now: forwarding from the day it arrived (п.17), the provider's review
    from its registration (п.18), the authority's from its registration there (п.19)."""
    calendar, out = current_calendar(), {}
    law = law_in_force(complaint.registered_on)[1]
    if complaint.addressee == "provider":
        out.update(rules_deadlines.plan("complaint-provider", complaint.received_at, calendar, law,
                                        registered_on=complaint.registered_on))
    if complaint.authority_registered_on is not None:
        moment = complaint.forwarded_at or complaint.received_at
        # Forwarded by the provider: п.18's 5 WD at the reviewing body; addressed to the authority: п.19's 15 WD.
        procedure = "complaint-forwarded" if complaint.addressee == "provider" else "complaint-authority"
        out[COMPLAINT_AUTHORITY] = rules_deadlines.plan(
            procedure, moment, calendar, law_in_force(complaint.authority_registered_on)[1],
            registered_on=complaint.authority_registered_on)[COMPLAINT_AUTHORITY]
    return out


def open_plan(application) -> list[Deadline]:
    """Create the case's deadline rows when it is registered; registration itself is met."""
    rows = []
    for planned in plan_for(application).values():
        row = Deadline(application_id=application.id, code=planned.id, term=planned.term,
                       starts_from=planned.starts_from[0], starts_on=planned.starts_from[1],
                       due_date=planned.due_date, due_at=planned.due_at, paragraph=planned.paragraph,
                       state=MET if planned.id == REGISTRATION else OPEN)
        row.next_check_at = None if row.state == MET else warning_moment(row)
        if row.state == MET:
            row.met_at = application.received_at
        db.session.add(row)
        rows.append(row)
    events.record(application, "deadlines.planned", due={r.code: r.due_date.isoformat() for r in rows})
    return rows


def warning_moment(deadline: Deadline):
    """When the sweeper first looks: the start of the last working day before the due day.

    Stores that day on the row (warn_on), so pages tell "near" without the calendar: every writer of a due day
    calls this, and recompute_open_deadlines calls it again whenever the calendar changes.
    """
    moment = warn_from(deadline.due_date, current_calendar())
    deadline.warn_on = moment.date()  # 00:00 Asia/Almaty of that day
    return moment


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
        # A complaint's terms are counted from the complaint, the case's from the case.
        by_case.setdefault((row.application, row.complaint), []).append(row)
    changed_cases = 0
    for (application, complaint), rows in by_case.items():
        fresh = plan_for(application) if complaint is None else complaint_terms(complaint)
        moves = {}
        for row in rows:
            planned = fresh.get(row.code)
            if planned is None or planned.due_date == row.due_date:
                # The due day stays, but the working day before it may not (a day off declared between them).
                if warn_from(row.due_date, current_calendar()).date() != row.warn_on:
                    row.next_check_at = warning_moment(row)
                continue
            moves[row.code] = [row.due_date.isoformat(), planned.due_date.isoformat()]
            row.due_date, row.due_at, row.starts_on = planned.due_date, planned.due_at, planned.starts_from[1]
            row.next_check_at = warning_moment(row)
        if moves:
            changed_cases += 1
            events.record(application, "deadlines.recomputed", actor=actor, day=changed_day.isoformat(), moves=moves)
    return changed_cases


# Not a stored state: an open term one working day from breach, as urgency() tells it from the clock.
NEAR = "near"


def urgency(deadline: Deadline, now) -> str:
    """How a deadline should look: met, missed, near (one working day from breach) or open.

    Computed from the clock, so the page is right even before the sweeper has run.
    """
    if deadline.state != OPEN:
        return deadline.state
    if now > deadline.due_at:
        return MISSED
    if deadline.warn_on is not None:  # stored with the due day (warning_moment): no calendar to read
        return NEAR if now >= datetime.combine(deadline.warn_on, time.min, tzinfo=ALMATY) else OPEN
    return NEAR if now >= warn_from(deadline.due_date, current_calendar()) else OPEN


def at_risk(now, page: int, per_page: int = 25):
    """Open deadlines near breach or past it, and missed ones, nearest first (for the supervisor)."""
    horizon = current_calendar().add_workdays(now.astimezone(ALMATY).date(), 1)
    query = (db.select(Deadline).join(Deadline.application)
             .where(db.or_(Deadline.state == MISSED, db.and_(Deadline.state == OPEN, Deadline.due_date <= horizon)))
             .options(contains_eager(Deadline.application))
             .order_by(Deadline.due_at, Deadline.id))
    return paginate(query, page, per_page)


# --- the case page's day-by-day timeline ------------------------------------------------------

# The terms rules/deadlines.py counts back from their event (п.10: the hearing notice).
_BACKWARD = frozenset(spec.id for specs in rules_deadlines.PROCEDURES.values() for spec in specs if spec.backward)


@dataclass(frozen=True)
class TimelineDay:
    """One day of a term's band: counted (its working-day number) or skipped (and why)."""

    day: date
    counted: bool
    number: int | None = None  # working days counted so far (counting back for a backward term)
    reason: str | None = None  # skipped: weekend / holiday / decree / after_hours; "event": the day counting starts from
    detail: str | None = None  # the holiday's name, the decree, or the hour of receipt
    is_event: bool = False
    is_due: bool = False
    is_today: bool = False
    weekday: str = ""  # its short name in the reader's language (Babel's, not the catalogs')


@dataclass(frozen=True)
class TermBand:
    """A deadline with every day its term covers, in calendar order, for the case page."""

    deadline: Deadline
    state: str  # as urgency() says: met, missed, near, open (or closed)
    backward: bool
    event: str  # what counting starts from: receipt, registration, hearing_notice, service…
    days: tuple[TimelineDay, ...]
    today: str  # "before", "within" or "after" the band
    working_days_left: int | None  # open forward terms: working days of the term after today
    skipped: int  # days the count passed over
    recounted: bool  # the calendar today counts a different last day than the stored one


def working_day_timeline(application, deadlines, now) -> list[TermBand]:
    """Each deadline of the case as a band of days, from the rules' own explanation of its count.

    Forward terms start after their event (rules/calendar.py explain_add), the hearing notice
    counts back from the end of the service term (explain_subtract), registration passes over
    the days after receipt it could not happen on (explain_registration). Holiday names are in
    the reader's language (portal/deadlines/holiday_names.py).
    """
    calendar = current_calendar()
    today = now.astimezone(ALMATY).date()
    return [_band(application, row, calendar, today, now) for row in deadlines]


def _band(application, row: Deadline, calendar, today: date, now) -> TermBand:
    backward = row.code in _BACKWARD
    if row.code == REGISTRATION:
        received = application.received_at if getattr(row, "complaint_id", None) is None else None
        steps = calendar.explain_registration(received) if received is not None else []
        days = [_skipped(step, calendar) for step in steps]
        days.append(TimelineDay(row.due_date, True))
        event, counted_due = RECEIPT, row.due_date
        if days and received is not None:
            first = received.astimezone(ALMATY).date()
            days = [replace(d, is_event=True) if d.day == first else d for d in days]
    else:
        if backward:
            steps = list(reversed(calendar.explain_subtract(row.starts_on, row.term)))
        else:
            steps = calendar.explain_add(row.starts_on, row.term)
        counted_due = next((s.day for s in (steps if backward else reversed(steps)) if s.counted), row.starts_on)
        days = [TimelineDay(s.day, True, s.number) if s.counted else _skipped(s, calendar) for s in steps]
        anchor = TimelineDay(row.starts_on, False, reason="event", is_event=True)
        days = days + [anchor] if backward else [anchor] + days
        event = row.starts_from
    names = _weekdays(str(get_locale() or "en"))
    days = [replace(d, is_due=d.day == row.due_date, is_today=d.day == today, weekday=names[d.day.weekday()])
            for d in days]
    first, last = days[0].day, days[-1].day
    position = "before" if today < first else "after" if today > last else "within"
    left = None
    if not backward and row.state == OPEN and row.code != REGISTRATION:
        left = sum(1 for d in days if d.counted and d.day > today)
    return TermBand(row, urgency(row, now), backward, event, tuple(days), position, left,
                    sum(1 for d in days if not d.counted and d.reason != "event"), counted_due != row.due_date)


def _skipped(step, calendar) -> TimelineDay:
    kind, detail = step.reason
    if kind in (HOLIDAY, DECREE) and step.day not in calendar.exceptions:
        detail = holiday_name(step.day, str(get_locale() or "en")) or detail  # in the reader's language
    return TimelineDay(step.day, False, reason=kind, detail=detail)


@lru_cache(maxsize=8)
def _weekdays(locale: str) -> tuple[str, ...]:
    """Short weekday names, Monday first, in the page's language (a band shows dozens of days)."""
    monday = date(2024, 1, 1)
    return tuple(babel_dates.format_date(monday + timedelta(days=i), "EEE", locale=locale) for i in range(7))

