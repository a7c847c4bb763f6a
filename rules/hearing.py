"""When a hearing may be held (п.10) and at which times (Appendix 2 item 7).

- The notice of the preliminary decision to refuse goes out no later than the day
  `hearing_notice` of rules.deadlines (3 working days before the service term ends).
- The hearing is held no later than 2 working days after the day of the notice: the
  window runs from the first working day after the notice to `hearing` of
  rules.deadlines.hearing_deadline(notice day). The notice day itself is excluded so
  the applicant has at least the rest of that day to prepare its position. The
  day of the notice is the working day it counts on (WorkingCalendar.act_day: a
  notice sent after 18:30 or on a day off counts on the next working day).
- Slots lie inside the provider's working hours, 9:00–18:30 Asia/Almaty, outside the
  lunch break 13:00–14:30 (Appendix 2 item 7).
- п.9 «о ... времени и месте (способе)» (kk «уақыты мен орны (тәсілі) туралы»): the notice names
  the time and the place, not only a way. In person or by video it proposes one lawful slot of the
  window (the applicant is booked into it and may move it inside the window); in writing it names
  the working day of the window by whose end (18:30) the position is awaited (`position_days`,
  `position_awaited_until`).
- A notice after the last lawful moment of п.10 (`is_late`) is still sent: п.10 binds the
  provider, it does not take away the applicant's right to be heard on the preliminary decision
  (п.9; APPK art. 73). The portal records the lateness as a breach of п.10 with the clerk's reason
  and the case goes on, the hearing's 2 working days counting from the actual notice.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from .calendar import ALMATY, WorkingCalendar
from .deadlines import hearing_deadline
from .law import LawVersion

OPENS, CLOSES = time(9, 0), time(18, 30)
LUNCH = (time(13, 0), time(14, 30))


def hearing_window(notice_day: date, calendar: WorkingCalendar, law: LawVersion) -> tuple[date, date]:
    """The first and the last day on which the hearing may be held."""
    return calendar.add_workdays(notice_day, 1), hearing_deadline(notice_day, calendar, law).due_date


def slot_starts(notice_day: date, calendar: WorkingCalendar, law: LawVersion, minutes: int = 30) -> list[datetime]:
    """Every lawful start time in the window, `minutes` apart (aware, Asia/Almaty)."""
    first, last = hearing_window(notice_day, calendar, law)
    step, starts, day = timedelta(minutes=minutes), [], first
    while day <= last:
        if calendar.is_workday(day):
            moment = datetime.combine(day, OPENS, tzinfo=ALMATY)
            while moment + step <= datetime.combine(day, CLOSES, tzinfo=ALMATY):
                if is_working_time(moment, step):
                    starts.append(moment)
                moment += step
        day += timedelta(days=1)
    return starts


def is_working_time(start: datetime, length: timedelta) -> bool:
    """True when [start, start+length) lies in working hours and outside the lunch break."""
    local = start.astimezone(ALMATY)
    end = (local + length).time()
    begins = local.time()
    if begins < OPENS or end > CLOSES or (local + length).date() != local.date():
        return False
    return end <= LUNCH[0] or begins >= LUNCH[1]


def is_lawful_slot(start: datetime, notice_day: date, calendar: WorkingCalendar, law: LawVersion,
                   minutes: int = 30) -> bool:
    first, last = hearing_window(notice_day, calendar, law)
    day = start.astimezone(ALMATY).date()
    return first <= day <= last and calendar.is_workday(day) and is_working_time(start, timedelta(minutes=minutes))


def position_days(notice_day: date, calendar: WorkingCalendar, law: LawVersion) -> list[date]:
    """The working days of the window: a notice in writing awaits the position until the end of one of them."""
    first, last = hearing_window(notice_day, calendar, law)
    days, day = [], first
    while day <= last:
        if calendar.is_workday(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def position_awaited_until(day: date) -> datetime:
    """The moment a written position named for `day` is awaited until: the end of the provider's working day."""
    return datetime.combine(day, CLOSES, tzinfo=ALMATY)


def is_late(sent_at: datetime, last_moment: datetime | None) -> bool:
    """True when a notice sent at `sent_at` comes after the last lawful moment of п.10 (moments, not dates)."""
    return last_moment is not None and sent_at > last_moment
