"""One generated case while it is being made: who, when, and what has happened to it so far."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bench.scale.common import LAST_MINUTE, at, rr
from bench.scale.timeline import Event
from portal.applications.models import INCOMPLETE_REFUSED


@dataclass
class Org:
    """An organisation and its applicant account (the demo ones, or one made by the generator)."""

    id: int
    user_id: int
    email: str
    bin: str
    name: str
    address: str


@dataclass
class Case:
    """The facts of one case the stages read and add to; its rows go to the generator as they are made."""

    gen: object
    stage: str
    org: Org
    overdue: bool
    complaint: bool
    demo: bool
    app_id: int
    route: str
    clerk: int
    signatory: int
    kind: str = ""
    procedure: str = ""
    terms: dict = field(default_factory=dict)     # completeness, review, service, notice: working days
    elapsed: int | None = None                    # working days from registration to today (open cases)
    registered_on: date | None = None
    created: datetime | None = None
    received: datetime | None = None
    registered_at: datetime | None = None
    author: int | None = None
    registrar: int | None = None
    number: str | None = None
    codes: list = field(default_factory=list)     # the documents attached
    plan: dict = field(default_factory=dict)
    steps: dict = field(default_factory=dict)     # step -> when it was taken
    days: dict = field(default_factory=dict)      # step -> working day after registration
    events: list = field(default_factory=list)
    refused_path: bool = False
    withdrawn: bool = False
    ground: int | None = None
    refusal_ids: dict = field(default_factory=dict)  # "review", "decision" -> the row a complaint can be about
    notice_day: date | None = None
    decision_number: str | None = None
    details: dict = field(default_factory=dict)   # the application's own fields (filing.details)

    @property
    def incomplete(self) -> bool:
        return self.stage == INCOMPLETE_REFUSED

    def event(self, when: datetime, actor, kind: str, data: dict | str = "{}") -> None:
        self.events.append(Event(when, actor, kind, data))

    def moment(self, day_index: int, earliest: datetime | None = None) -> datetime:
        """A moment of the working day `day_index` after registration, after `earliest`, never after now."""
        gen = self.gen
        day = gen.days.after(self.registered_on, day_index)
        limit = gen.base_minutes if day == gen.base else LAST_MINUTE
        value = at(day, rr(gen.rand, 0, max(1, limit)))
        if earliest is not None and value <= earliest:
            value = earliest + timedelta(minutes=rr(gen.rand, 5, 90))
        return min(value, gen.now - timedelta(minutes=1))

    def day_of(self, lo: int, hi: int) -> int:
        """A working day after registration between lo and hi, never after today."""
        if self.elapsed is not None:
            hi = min(hi, self.elapsed)
        return self.gen.rng.randint(min(lo, hi), hi)
