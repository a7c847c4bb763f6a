"""A complaint about the refusal (п.16), on the route of portal/complaints/services.py (issue 14).

To the provider (most): within 3 working days of its arrival the provider either adopts a favourable act that
fully satisfies it (п.17, closed), or forwards it with the case to the authority — by a supervisor's hand, or by
the sweeper at 17:00 of the third day. The authority decides a forwarded complaint within the 5 working days of
п.18 from its own registration, one addressed to it directly within the 15 of п.19; "satisfied" or "partly
satisfied" opens the provider's term to carry the order out. A step whose moment has not come yet is not taken:
the complaint is still open, its term running as the sweeper left it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bench.scale.case import Case
from bench.scale.common import at, local_day, rr
from bench.scale.deadlines import deadline_row, effect, open_term
from bench.scale.proportions import FAVOURABLE_ACT_SHARE, FORWARDED_BY_HAND_SHARE, TO_AUTHORITY_SHARE
from bench.scale.timeline import outbox
from portal.applications.models import REFUSED
from portal.complaints.models import (AT_AUTHORITY, AT_PROVIDER, AUTHORITY_ORDER, DECIDED, FAVOURABLE_ACT,
                                      NOT_CONSIDERED, PARTLY_SATISFIED, SATISFIED, TO_AUTHORITY, TO_PROVIDER)
from portal.complaints.models import REFUSED as COMPLAINT_REFUSED
from rules.deadlines import Deadline, auto_forward_at

AUTHORITY_OUTCOMES = (COMPLAINT_REFUSED, COMPLAINT_REFUSED, PARTLY_SATISFIED, SATISFIED, NOT_CONSIDERED)
LAST_HAND_MINUTE = 8 * 60      # a person's step by 17:00, before the sweeper's automatic forward


class Filed:
    """One complaint while it is generated: its row (filled in as it moves) and the case it is on."""

    def __init__(self, gen, case: Case, ref: str, text: str, received: datetime):
        self.gen, self.case, self.received = gen, case, received
        self.id = gen.new_id("complaint")
        self.registered_on = gen.days.calendar.registration_date(received)
        self.number = f"C-{self.registered_on.year}-{self.id:06d}"
        self.about = {"complaint": self.number}
        to_authority = gen.rand() < TO_AUTHORITY_SHARE
        self.row = {
            "id": self.id, "number": self.number, "submission_key": None, "application_id": case.app_id,
            "organization_id": case.org.id, "filed_by_id": case.org.user_id, "subject_kind": "decision",
            "subject_ref": ref, "subject_text": text, "addressee": TO_AUTHORITY if to_authority else TO_PROVIDER,
            "demands": "Отменить отказ и выдать свидетельство об аккредитации.",
            "arguments": "Основания отказа отпали: представлены недостающие документы и новый акт испытаний.",
            "received_at": received, "registered_on": self.registered_on,
            "status": AT_AUTHORITY if to_authority else AT_PROVIDER, "forwarded_at": None, "forwarded_by_id": None,
            "forwarded_automatically": False, "authority_registered_on": self.registered_on if to_authority else None,
            "outcome": None, "decided_by": None, "decided_at": None, "decided_by_id": None, "reasons": "",
            "remedy": "", "remedy_due": None, "remedy_done_at": None, "remedy_done_by_id": None,
            "remedy_done_note": "", "decision_number": None, "overdue_since": None, "created_at": received,
            "version": 1}
        self.due_on: dict[str, str] = {}   # "forward_due_on", "authority_due_on": the terms told to the applicant

    @property
    def to_authority(self) -> bool:
        return self.row["addressee"] == TO_AUTHORITY

    def moment(self, day: date, earliest: datetime, latest: datetime | None = None) -> datetime | None:
        """A moment of that working day (09:00–17:00) after `earliest`, or None when it is still to come."""
        rand = self.gen.rand
        value = at(day, rr(rand, LAST_HAND_MINUTE))
        if value <= earliest:
            value = earliest + timedelta(minutes=rr(rand, 30, 240))
        if latest is not None and value >= latest:
            value = max(earliest + timedelta(minutes=1), latest - timedelta(minutes=5))
        return value if value < self.gen.now else None

    def term(self, planned: Deadline, met_at: datetime | None, since: datetime) -> int:
        """The row of one of its terms: met at `met_at`, or still running; returns its id."""
        gen = self.gen
        deadline_id = gen.new_id("deadline")
        state, next_check = "met", None
        if met_at is None:
            state, next_check, _missed = open_term(gen, self.case, deadline_id, planned.id, planned.due_date,
                                                   planned.due_at, planned.paragraph, since, self.about)
        return deadline_row(gen, self.case, planned, state, met_at, next_check, since, complaint_id=self.id,
                            id=deadline_id)

    def notify(self, kind: str, when: datetime, **context) -> None:
        case = self.case
        outbox(self.gen, case, kind, f"{kind}:{self.id}",
               {"application_id": case.app_id, "number": case.number, "complaint_id": self.id,
                "complaint": self.number, "addressee": self.row["addressee"], **context}, when)


def complaint(gen, case: Case) -> None:
    """File a complaint about the case's refusal a few days after it, and take it as far as its terms allow."""
    if case.stage == REFUSED and "decision" in case.refusal_ids:
        ref, about_at = f"decision:{case.refusal_ids['decision']}", case.steps["signed"]
        text = f"{ref} {case.decision_number}"
    elif "review" in case.refusal_ids:
        ref = text = f"review:{case.refusal_ids['review']}"
        about_at = case.steps["completeness"]
    else:
        return
    day = gen.days.after(local_day(about_at), 1 + rr(gen.rand, 6))
    received = at(day, rr(gen.rand, 9 * 60))
    if received <= about_at:
        received = about_at + timedelta(minutes=rr(gen.rand, 30, 240))
    if received >= gen.now:
        return  # the refusal is too recent: no complaint yet
    gen.summary.complaints += 1
    filed = Filed(gen, case, ref, text, received)
    case.event(received, case.org.user_id, "complaint.filed", {"addressee": filed.row["addressee"],
                                                                "complaint": filed.number, "signed": False,
                                                                "subject": ref})
    plan = gen.days.exact_plan("complaint-authority" if filed.to_authority else "complaint-provider", received,
                               filed.registered_on)
    filed.term(plan["registration"], received, received)
    key = "complaint_authority" if filed.to_authority else "complaint_forward"
    filed.due_on = {f"{key.removeprefix('complaint_')}_due_on": plan[key].due_date.isoformat()}
    filed.notify("complaint.registered", received, registered_on=filed.registered_on.isoformat(), **filed.due_on)
    if filed.to_authority:
        at_authority(filed, plan["complaint_authority"], received)
    else:
        with_provider(filed, plan["complaint_forward"])
    gen.add("complaint", filed.row)


def with_provider(filed: Filed, forward: Deadline) -> None:
    """п.17: a favourable act, a forward by hand, or the sweeper's forward at 17:00 of the third working day."""
    gen, received = filed.gen, filed.received
    path = gen.rand()
    automatic = auto_forward_at(forward.due_date)
    day = gen.days.after(local_day(received), 1 + rr(gen.rand, forward.term))
    if path < FAVOURABLE_ACT_SHARE:
        acted = filed.moment(day, received, automatic)
        filed.term(forward, acted, received)
        if acted is not None:
            favourable_act(filed, acted)
        return
    if path < FAVOURABLE_ACT_SHARE + FORWARDED_BY_HAND_SHARE:
        by, forwarded = gen.supervisor_id, filed.moment(day, received, automatic)
    else:
        by, forwarded = None, automatic if automatic < gen.now else None
    deadline_id = filed.term(forward, forwarded, received)
    if forwarded is None:
        return
    if by is None:
        # What the sweeper recorded on the way: the warning of the last days, then the forward (rules/escalation).
        warned = max(gen.days.warn(forward.due_date), received)
        effect(gen, deadline_id, "warn", forward.due_date, warned, forward.paragraph)
        filed.case.event(warned, None, "deadline.warning", {"code": forward.id, "due": forward.due_date.isoformat(),
                                                           "paragraph": forward.paragraph, **filed.about})
        effect(gen, deadline_id, "auto_forward", forward.due_date, forwarded, forward.paragraph)
    send(filed, forwarded, by)


def favourable_act(filed: Filed, acted: datetime) -> None:
    """п.17 second paragraph: an act that fully satisfies the complaint closes it."""
    supervisor = filed.gen.supervisor_id
    filed.row.update(status=DECIDED, outcome=FAVOURABLE_ACT, decided_by="provider", decided_at=acted,
                     decided_by_id=supervisor, reasons="Отказ отменён; заявление рассматривается повторно.")
    filed.case.event(acted, supervisor, "complaint.favourable_act", {"complaint": filed.number,
                                                                     "fully_satisfies": True})
    filed.notify("complaint.decided", acted, outcome=FAVOURABLE_ACT, by="provider", decision_number=None)


def send(filed: Filed, forwarded: datetime, by: int | None) -> None:
    """The complaint and the case go to the authority, which registers it and has п.18's 5 working days."""
    gen = filed.gen
    registered_on = gen.days.calendar.registration_date(forwarded)
    filed.row.update(status=AT_AUTHORITY, forwarded_at=forwarded, forwarded_by_id=by,
                     forwarded_automatically=by is None, authority_registered_on=registered_on)
    filed.case.event(forwarded, by, "complaint.forwarded", {"automatic": by is None, "complaint": filed.number,
                                                            "registered_on": registered_on.isoformat()})
    planned = gen.days.exact_plan("complaint-forwarded", forwarded, registered_on)["complaint_authority"]
    filed.notify("complaint.forwarded", forwarded, automatic=by is None, **filed.due_on,
                 authority_due_on=planned.due_date.isoformat())
    at_authority(filed, planned, forwarded)


def at_authority(filed: Filed, planned: Deadline, since: datetime) -> None:
    """п.18, п.19: the authority's decision inside its term, if its moment has come."""
    gen = filed.gen
    day = gen.days.after(planned.starts_from[1], 1 + rr(gen.rand, planned.term))
    decided = filed.moment(day, since)
    filed.term(planned, decided, since)
    if decided is None:
        return
    outcome = gen.rng.choice(AUTHORITY_OUTCOMES)
    number = f"QC-{local_day(decided).year}-{filed.id:06d}"
    filed.row.update(status=DECIDED, outcome=outcome, decided_by="authority", decided_at=decided,
                     decided_by_id=gen.authority_id, reasons="Доводы жалобы рассмотрены по существу.",
                     decision_number=number)
    filed.case.event(decided, gen.authority_id, "complaint.decided", {"by": "authority", "complaint": filed.number,
                                                                      "decision": number, "outcome": outcome})
    filed.notify("complaint.decided", decided, outcome=outcome, by="authority", decision_number=number)
    if outcome in (SATISFIED, PARTLY_SATISFIED):
        order(filed, decided)


def order(filed: Filed, decided: datetime) -> None:
    """The provider's term to do what the authority ordered (services._open_order), carried out by now or running."""
    gen, row = filed.gen, filed.row
    calendar = gen.days.calendar
    decided_on = local_day(decided)
    row.update(remedy="Повторно рассмотреть заявление в установленный срок.",
               remedy_due=gen.days.after(decided_on, 10))
    due = calendar.next_workday(row["remedy_due"])
    planned = Deadline(AUTHORITY_ORDER, due, calendar.end_of_day(due), ("authority_decision", decided_on), 0,
                       row["decision_number"], ())
    filed.case.event(decided, None, "complaint.order_opened", {"complaint": filed.number,
                                                               "decision": row["decision_number"],
                                                               "due": due.isoformat()})
    done = filed.moment(gen.days.after(decided_on, 1 + rr(gen.rand, 8)), decided)
    if done is not None:
        note = "Заявление рассмотрено повторно; решение направлено заявителю."
        row.update(remedy_done_at=done, remedy_done_by_id=gen.supervisor_id, remedy_done_note=note)
        filed.case.event(done, gen.supervisor_id, "complaint.order_carried_out",
                         {"complaint": filed.number, "decision": row["decision_number"], "note": note})
    filed.term(planned, done, decided)
