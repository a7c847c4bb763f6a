"""Small pieces every stage uses: moments of a working day, the calendar and the Rules' plans cached, JSON."""
from __future__ import annotations

import json
from datetime import date, datetime, time as dtime, timedelta, timezone

from portal.core.clock import ALMATY
from rules import deadlines as rules_deadlines
from rules.escalation import warn_from
from rules.identifiers import make_identifier

TICK = timedelta(microseconds=1)
ONE_YEAR = 365
LAST_MINUTE = 9 * 60 + 29       # the latest step of a day: 18:29, inside the working day that ends at 18:30

dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
sorted_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


def rr(rand, a: int, b: int | None = None) -> int:
    """random.randrange, without its argument checks (a fifth of the time, on the hot path)."""
    return int(rand() * a) if b is None else a + int(rand() * (b - a))


_NINE: dict[date, datetime] = {}


def at(day: date, minutes: int) -> datetime:
    """A moment of a local day, `minutes` after 09:00, in UTC."""
    nine = _NINE.get(day)
    if nine is None:
        nine = _NINE[day] = datetime.combine(day, dtime(9, 0), tzinfo=ALMATY).astimezone(timezone.utc)
    return nine + timedelta(minutes=minutes)


def local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()


class Days:
    """Working days and the plans of the Rules for every registration day, computed once each."""

    def __init__(self, calendar, law, law_id: int):
        self.calendar, self.law, self.law_id = calendar, law, law_id
        self._after: dict[date, list[date]] = {}
        self._plans: dict[tuple[str, date], dict] = {}
        self._warn: dict[date, datetime] = {}
        self._hearing: dict[date, tuple[date, datetime]] = {}
        self._back: dict[tuple[date, int], date] = {}

    def after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n = 0: `day` itself)."""
        days = self._after.get(day)
        if days is None:
            days, current = [day], day
            for _ in range(24):
                current = self.calendar.add_workdays(current, 1)
                days.append(current)
            self._after[day] = days
        return days[n]

    def back(self, day: date, n: int) -> date:
        key = (day, n)
        hit = self._back.get(key)
        if hit is None:
            hit = self._back[key] = self.calendar.subtract_workdays(day, n) if n else day
        return hit

    def plan(self, procedure: str, registered_on: date) -> dict:
        """The plan of a case received at 10:00 of its registration day (a case's terms count from registration)."""
        key = (procedure, registered_on)
        hit = self._plans.get(key)
        if hit is None:
            received = datetime.combine(registered_on, dtime(10, 0), tzinfo=ALMATY)
            hit = self._plans[key] = rules_deadlines.plan(procedure, received, self.calendar, self.law,
                                                          registered_on=registered_on)
        return hit

    def exact_plan(self, procedure: str, received: datetime, registered_on: date) -> dict:
        """Not cached: a complaint's forwarding term counts from its day of arrival (п.17), not registration."""
        return rules_deadlines.plan(procedure, received, self.calendar, self.law, registered_on=registered_on)

    def warn(self, due_date: date) -> datetime:
        hit = self._warn.get(due_date)
        if hit is None:
            hit = self._warn[due_date] = warn_from(due_date, self.calendar)
        return hit

    def hearing(self, notice_day: date) -> tuple[date, datetime]:
        hit = self._hearing.get(notice_day)
        if hit is None:
            planned = rules_deadlines.hearing_deadline(notice_day, self.calendar, self.law)
            hit = self._hearing[notice_day] = (planned.due_date, planned.due_at)
        return hit


def bin_of(org_id: int) -> str:
    """A valid BIN made from the organisation's id: YYMM, 4 (resident legal entity), a marker, a serial.

    Unique because the id is; the markers 9/8/7 after the 4 (never in the demo BINs) take the place of a
    check digit that cannot be made.
    """
    for marker in "987":
        first11 = (f"{10 + (org_id // 1_200_000) % 80:02d}{(org_id // 100_000) % 12 + 1:02d}4{marker}"
                   f"{org_id % 100_000:05d}")
        bin_ = make_identifier(first11)
        if bin_:
            return bin_
    raise ValueError(f"no BIN for organisation {org_id}")


def sample_pdf() -> bytes:
    """A one-page PDF with a line of text, small and valid (pdfium renders it)."""
    stream = b"BT /F1 18 Tf 72 760 Td (Tyndau: sample document of the scaled demo data) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
