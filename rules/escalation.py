"""What the deadline sweeper should do about one deadline at a moment `now`.

deadline: {"id": row id, "kind": deadline id ("service", "complaint_forward",
...), "state": "open" (any other state is closed), "due_at": aware datetime
(18:30 Asia/Almaty of the last day), "paragraph": optional, else taken from the law}.

Effects, each with a stable key "<id>:<effect>:<due date>" for a unique
constraint (a recomputed due date, e.g. a new hearing day, warns again):

* warn: the deadline is open and `now` is from 00:00 Asia/Almaty of the
  working day before the due day up to due_at (so on that working day, any
  days off after it, and the due day itself).
* mark_missed and flag_overdue: open and now > due_at.
* auto_forward, for complaint_forward only: open and now from the moment
  rules.deadlines.auto_forward_at() of the due day (17:00 Asia/Almaty of the
  term's last working day, before the term ends at 18:30), so the complaint
  and the administrative case go to the reviewing body in time (п. 17) and
  the automatic forward is never itself a breach. A sweeper that comes only
  after due_at still forwards (and the term is marked missed).

next_check() gives the next of these moments after `now`, for the sweeper.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from .calendar import ALMATY, WorkingCalendar
from .deadlines import auto_forward_at
from .engine import emit, evaluate, m, ruleset, when_all
from .law import LawVersion, load_seed_versions, version_in_force

with ruleset("escalation"):

    @when_all((m.t == "deadline") & (m.open == True) & (m.now >= m.warn_from) & (m.now <= m.due_at))  # noqa: E712
    def warn(c):
        emit(c, {"effect": "warn"})

    @when_all((m.t == "deadline") & (m.open == True) & (m.now > m.due_at))  # noqa: E712
    def missed(c):
        emit(c, {"effect": "mark_missed"})
        emit(c, {"effect": "flag_overdue"})

    @when_all((m.t == "deadline") & (m.open == True) & (m.now >= m.forward_from)  # noqa: E712
              & (m.kind == "complaint_forward"))
    def auto_forward(c):
        emit(c, {"effect": "auto_forward"})


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_TICK = timedelta(microseconds=1)
FORWARDED = "complaint_forward"  # the one term the sweeper acts on itself (п. 17)
_ORDER = ("warn", "mark_missed", "flag_overdue", "auto_forward")


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("aware datetimes only")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def warn_from(due_date: date, calendar: WorkingCalendar) -> datetime:
    """When warnings begin: 00:00 Asia/Almaty of the working day before the due day."""
    return datetime.combine(calendar.subtract_workdays(due_date, 1), time.min, tzinfo=ALMATY)


def next_check(kind: str, due_at: datetime, now: datetime, calendar: WorkingCalendar) -> datetime:
    """The first moment after `now` at which an open deadline has a new effect due: its warning, the
    automatic forward of a complaint, or just after its end."""
    due_date = due_at.astimezone(ALMATY).date()
    moments = [warn_from(due_date, calendar), due_at + _TICK]
    if kind == FORWARDED:
        moments.append(auto_forward_at(due_date))
    return min((moment for moment in moments if moment > now), default=due_at + _TICK)


def escalate(deadline: dict, now: datetime, calendar: WorkingCalendar, law: LawVersion | None = None) -> list[dict]:
    """Effects due for `deadline` at `now`: [{key, effect, deadline_id, kind, paragraph}]."""
    due_at = deadline["due_at"]
    due_date = due_at.astimezone(ALMATY).date()
    fact = {
        "t": "deadline",
        "kind": deadline["kind"],
        "open": deadline.get("state") == "open",
        "now": _micros(now),
        "due_at": _micros(due_at),
        "warn_from": _micros(warn_from(due_date, calendar)),
        "forward_from": _micros(auto_forward_at(due_date)),
    }
    paragraph = deadline.get("paragraph")
    if not paragraph:
        law = law or version_in_force(load_seed_versions(), due_date)
        paragraph = law.paragraphs[deadline["kind"]]
    effects = sorted({o["effect"] for o in evaluate("escalation", [fact])}, key=_ORDER.index)
    return [
        {"key": f"{deadline['id']}:{effect}:{due_date.isoformat()}", "effect": effect,
         "deadline_id": deadline["id"], "kind": deadline["kind"], "paragraph": paragraph}
        for effect in effects
    ]
