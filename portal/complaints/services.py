"""Operations on complaints: filing and registration, the provider's side (п.17, п.18), the authority's (п.19).

Each function changes the complaint, its deadlines and the case's event log together; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
import uuid

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.applications.models import DRAFT, Application
from portal.calendar.services import current_calendar
from portal.complaints import complaint_xml
from portal.complaints.documents import decision_xml
from portal.complaints.models import (ADDRESSEES, AT_AUTHORITY, AT_PROVIDER, AUTHORITY_ORDER, AUTHORITY_OUTCOMES,
                                      DECIDED, DECISION, FAVOURABLE_ACT, INACTION, ACTION, NOT_CONSIDERED,
                                      PARTLY_SATISFIED, SATISFIED, TO_AUTHORITY, Complaint)
from portal.core.clock import ALMATY, now_utc
from portal.core.concurrency import check_version
from portal.core.errors import DomainError, WrongStage
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import cite, official_date
from portal.core.labels import label
from portal.deadlines import effects
from portal.deadlines.services import warning_moment
from portal.decisions import services as decisions
from portal.deadlines.models import CLOSED, MET, MISSED, OPEN, Deadline
from portal.decisions.models import SIGNED, Decision
from portal.documents import services as documents
from portal.events import services as events
from portal.extensions import db
from portal.hearings.models import HearingRecord, PreliminaryRefusal
from portal.law.services import law_in_force
from portal.notifications import hooks as notifications
from portal.review.models import ReviewDecision
from portal.signatures import services as signatures
from rules import deadlines as rules_deadlines
from rules.deadlines import (COMPLAINT_AUTHORITY, COMPLAINT_FORWARD, COMPLAINT_PROVIDER, HEARING, HEARING_NOTICE,
                            REGISTRATION)

# Room for the arguments of a real complaint, not for a book.
MAX_TEXT = 20000


class InvalidComplaint(DomainError):
    """A complaint, or a step on it, with field errors to show next to the fields: {field name: message}."""


# Said both by the form (next to the field, with the other errors) and by the service (its own guard).
REMEDY_MISSING = _l("Write what the provider must do.")
REMEDY_DUE_MISSING = _l("Set the day by which the provider must do it.")
REMEDY_DUE_PAST = _l("The day must be after today.")
FULLY_SATISFIES_UNCONFIRMED = _l("Confirm that the act satisfies every demand of the complaint in full; otherwise "
                                 "forward the complaint with the case.")


class ForwardTermOver(WrongStage):
    """п.17: the 3 working days are over, so a favourable act no longer keeps the complaint with the provider."""


# --- what a complaint can be about -----------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    """Something of the case the applicant can complain about: ref "decision:5", its kind and the object."""

    ref: str
    kind: str
    obj: object = None


def subjects_for(application: Application, now: datetime | None = None) -> list[Subject]:
    """The decisions, actions and inactions of the provider on this case, newest kinds first."""
    now = now or now_utc()
    out: list[Subject] = []
    for decision in db.session.scalars(select(Decision).filter_by(application_id=application.id, status=SIGNED)):
        out.append(Subject(f"decision:{decision.id}", DECISION, decision))
    for review in db.session.scalars(select(ReviewDecision).filter_by(application_id=application.id)
                                     .order_by(ReviewDecision.decided_at)):
        if review.outcome in ("incomplete", "grounds"):
            out.append(Subject(f"review:{review.id}", DECISION, review))
    for refusal in db.session.scalars(select(PreliminaryRefusal).filter_by(application_id=application.id)):
        out.append(Subject(f"preliminary_refusal:{refusal.id}", DECISION, refusal))
    for record in db.session.scalars(select(HearingRecord).filter_by(application_id=application.id)):
        out.append(Subject(f"hearing:{record.id}", ACTION, record))
    for deadline in missed_deadlines(application, now):
        out.append(Subject(f"deadline:{deadline.id}", INACTION, deadline))
    out.append(Subject("case", ACTION, application))
    return out


# Terms that apply only at one stage: the hearing notice once grounds are found, the hearing once notified.
_CONDITIONAL = {HEARING_NOTICE: ("grounds_found",), HEARING: ("preliminary_refusal",)}


def missed_deadlines(application: Application, now: datetime) -> list[Deadline]:
    """The case's terms that ran out without the step they call for: the provider's inaction."""
    return [d for d in application.deadlines
            if d.code != REGISTRATION and (d.state == MISSED or (d.state == OPEN and now > d.due_at))
            and (d.code not in _CONDITIONAL or application.status in _CONDITIONAL[d.code])]


def subject_by_ref(application: Application, ref: str, now: datetime | None = None) -> Subject | None:
    """The subject `ref` if the applicant can complain about it now."""
    return next((s for s in subjects_for(application, now) if s.ref == ref), None)


def resolve_subject(complaint: Complaint) -> Subject:
    """What a filed complaint is about, whatever became of it since (for showing it)."""
    models = {"decision": Decision, "review": ReviewDecision, "preliminary_refusal": PreliminaryRefusal,
              "hearing": HearingRecord, "deadline": Deadline}
    name, _sep, ident = complaint.subject_ref.partition(":")
    # Only ids the portal itself wrote (ASCII digits, a column's range): anything else shows as "the case".
    obj = (db.session.get(models[name], int(ident))
           if name in models and ident.isascii() and ident.isdigit() and len(ident) <= 9 else None)
    if obj is not None and getattr(obj, "application_id", None) != complaint.application_id:
        obj = None
    return Subject(complaint.subject_ref, complaint.subject_kind, obj if obj is not None else complaint.application)


def inaction_facts(deadline: Deadline) -> str:
    """The facts of an inaction, filled in for the applicant (they edit them before filing)."""
    return str(_l("The term \"%(term)s\" (%(paragraph)s) of case %(number)s ended on %(day)s, and the step it "
                  "calls for has not been taken.", term=label(deadline.code, "deadline"),
                  paragraph=cite(deadline.paragraph), number=deadline.application.number, day=official_date(deadline.due_date)))


# --- filing and registration (п.16; registration as п.6, п.7) --------------------------------

def new_submission_key() -> str:
    return uuid.uuid4().hex


def _validate(application: Application, values: dict, now: datetime) -> Subject:
    errors = {}
    subject = subject_by_ref(application, values.get("subject") or "", now)
    if subject is None:
        errors["subject"] = _l("Choose what the complaint is about.")
    if values.get("addressee") not in ADDRESSEES:
        errors["addressee"] = _l("Choose to whom the complaint is addressed.")
    for name, message in (("demands", _l("Write what you ask for.")),
                          ("arguments", _l("Write why: the facts and your arguments."))):
        text = (values.get(name) or "").strip()
        if not text:
            errors[name] = message
        elif len(text) > MAX_TEXT:
            errors[name] = _l("At most %(max)d characters.", max=MAX_TEXT)
    if errors:
        raise InvalidComplaint(errors)
    return subject


def file_complaint(application: Application, actor, values: dict, attachments=(), signed: bytes | None = None,
                   submission_key: str | None = None, received_at: datetime | None = None) -> tuple[Complaint, bool]:
    """Register a complaint on the case; returns (complaint, created).

    With `signed`, the values are read from the verified document only (the form's are ignored).
    A repeated submission_key returns the complaint already filed with it (created False).
    """
    if application.status == DRAFT:
        raise WrongStage()
    if submission_key:
        existing = db.session.scalar(select(Complaint).filter_by(submission_key=submission_key))
        if existing is not None:
            return existing, False
    received_at = received_at or now_utc()
    report = None
    if signed is not None:
        report = signatures.check_or_refuse(signed, purpose="sign", expect_bin=application.organization.bin)
        values = complaint_xml.read(report.content, application)
        if values is None:
            raise signatures.SignatureRefused("complaint.not_complaint", report)
    subject = _validate(application, values, received_at)
    calendar = current_calendar()
    registered_on = calendar.registration_date(received_at)
    to_authority = values["addressee"] == TO_AUTHORITY
    complaint = Complaint(
        application_id=application.id, organization_id=application.organization_id, filed_by_id=actor.id,
        submission_key=submission_key or None, subject_kind=subject.kind, subject_ref=subject.ref,
        subject_text=_snapshot(subject),
        addressee=values["addressee"], demands=values["demands"].strip(), arguments=values["arguments"].strip(),
        received_at=received_at, registered_on=registered_on,
        status=AT_AUTHORITY if to_authority else AT_PROVIDER,
        authority_registered_on=registered_on if to_authority else None)
    try:
        with db.session.begin_nested():
            db.session.add(complaint)
            db.session.flush()
    except IntegrityError:
        # The same form sent twice at once: the other request filed it.
        existing = db.session.scalar(select(Complaint).filter_by(submission_key=submission_key))
        if existing is None:
            raise
        return existing, False
    complaint.number = f"C-{registered_on.year}-{complaint.id:06d}"
    for upload in attachments:
        document = documents.store_upload(application, complaint.attachment_code, upload, actor)
        events.record(application, "document.attached", actor=actor, code=complaint.attachment_code,
                      name=document.original_name, sha256=document.sha256)
    _open_deadlines(complaint, "complaint-authority" if to_authority else "complaint-provider", received_at,
                    registered_on)
    if report is not None:
        signatures.record(application, "complaint", signed, report, actor)
    events.record(application, "complaint.filed", actor=actor, at=received_at, complaint=complaint.number,
                  subject=subject.ref, addressee=complaint.addressee, signed=report is not None)
    notifications.complaint_registered(complaint)
    return complaint, True


def _snapshot(subject: Subject) -> str:
    """A plain description of the subject as it was when filed (the object may change later)."""
    obj = subject.obj
    if isinstance(obj, Deadline):
        return f"deadline {obj.code} ({obj.paragraph}), last day {obj.due_date.isoformat()}"
    number = getattr(obj, "number", None)
    return f"{subject.ref}{f' {number}' if number else ''}"[:500]


def _open_deadlines(complaint: Complaint, procedure: str, received_at: datetime, registered_on: date) -> None:
    _law_record, law = law_in_force(registered_on)
    planned = rules_deadlines.plan(procedure, received_at, current_calendar(), law, registered_on=registered_on)
    for item in planned.values():
        if item.id == COMPLAINT_PROVIDER:
            # п.18's review is the reviewing body's, counted from its registration there (models.py): with the
            # provider only the 3 WD of п.17 run, so no term is opened that the provider may not meet.
            continue
        _add_deadline(complaint, item, met=item.id == REGISTRATION, met_at=received_at)


def _add_deadline(complaint: Complaint, item, met: bool = False, met_at: datetime | None = None) -> Deadline:
    row = Deadline(application_id=complaint.application_id, complaint=complaint, code=item.id, term=item.term,
                   starts_from=item.starts_from[0], starts_on=item.starts_from[1], due_date=item.due_date,
                   due_at=item.due_at, paragraph=item.paragraph, state=MET if met else OPEN,
                   met_at=met_at if met else None)
    row.next_check_at = None if met else warning_moment(row)
    db.session.add(row)
    return row


def _end_deadline(complaint: Complaint, code: str, now: datetime, met: bool) -> None:
    """Close a term: met when its step was taken (late ones keep "missed" and get the moment), else closed."""
    row = complaint.deadline(code)
    if row is None:
        return
    if met:
        row.met_at = now
        if row.state == OPEN:
            row.state = MET
    elif row.state == OPEN:
        row.state = CLOSED
    row.next_check_at = None


# --- the provider (п.17, п.18) ---------------------------------------------------------------

def adopt_favourable_act(complaint: Complaint, supervisor, act: str, expected_version: int | None,
                         now: datetime | None = None, fully_satisfies: bool = False) -> None:
    """п.17 second paragraph, APPK art. 91(4): within 3 WD of its arrival, an act that FULLY satisfies every demand
    of the complaint; the complaint then closes as satisfied by it. The supervisor confirms `fully_satisfies`:
    an act that satisfies only part of it does not keep the complaint, which must be forwarded.
    """
    now = now or now_utc()
    check_version(complaint, expected_version)
    if complaint.status != AT_PROVIDER:
        raise WrongStage()
    forward_term = complaint.deadline(COMPLAINT_FORWARD)
    if forward_term is not None and now > forward_term.due_at:
        raise ForwardTermOver()
    errors = {}
    if not (act or "").strip():
        errors["act"] = _l("Describe the favourable act and what it does.")
    if not fully_satisfies:
        errors["fully_satisfies"] = FULLY_SATISFIES_UNCONFIRMED
    if errors:
        raise InvalidComplaint(errors)
    _decide(complaint, supervisor, FAVOURABLE_ACT, "provider", act.strip(), now)
    _end_deadline(complaint, COMPLAINT_FORWARD, now, met=True)
    _end_deadline(complaint, COMPLAINT_PROVIDER, now, met=True)  # complaints filed before issue 14 have it
    events.record(complaint.application, "complaint.favourable_act", actor=supervisor, complaint=complaint.number,
                  fully_satisfies=True)
    notifications.complaint_decided(complaint)


def forward(complaint: Complaint, actor=None, now: datetime | None = None, expected_version: int | None = None,
            record=events.record) -> bool:
    """п.17: send the complaint with the administrative case to the authority; actor None = the sweeper.

    Returns False when it was no longer with the provider (already forwarded or decided). `record` writes its event
    (the sweeper's batch gives its own, so the event keeps its place among the batch's).
    """
    now = now or now_utc()
    check_version(complaint, expected_version)
    if complaint.status != AT_PROVIDER:
        if actor is not None:
            raise WrongStage()
        return False
    registered_on = current_calendar().registration_date(now)
    complaint.status, complaint.forwarded_at = AT_AUTHORITY, now
    complaint.forwarded_by_id = actor.id if actor is not None else None
    complaint.forwarded_automatically = actor is None
    complaint.authority_registered_on = registered_on
    _end_deadline(complaint, COMPLAINT_FORWARD, now, met=True)
    _end_deadline(complaint, COMPLAINT_PROVIDER, now, met=False)
    _law_record, law = law_in_force(registered_on)
    # The reviewing body decides a complaint addressed to the provider within п.18's 5 WD of its registration there.
    planned = rules_deadlines.plan("complaint-forwarded", now, current_calendar(), law, registered_on=registered_on)
    _add_deadline(complaint, planned[COMPLAINT_AUTHORITY])
    record(complaint.application, "complaint.forwarded", actor=actor, at=now, complaint=complaint.number,
           automatic=actor is None, registered_on=registered_on.isoformat())
    notifications.complaint_forwarded(complaint)
    return True


def _decide(complaint: Complaint, user, outcome: str, by: str, reasons: str, now: datetime) -> None:
    complaint.status, complaint.outcome, complaint.decided_by = DECIDED, outcome, by
    complaint.decided_at, complaint.decided_by_id, complaint.reasons = now, user.id, reasons


# --- the quality-control authority (п.19, п.20) ----------------------------------------------

def _authority_values(complaint: Complaint, values: dict, now: datetime) -> dict:
    """The authority's decision as typed, checked (п.19); InvalidComplaint with the field errors otherwise."""
    outcome = values.get("outcome")
    reasons, remedy = (values.get("reasons") or "").strip(), (values.get("remedy") or "").strip()
    remedy_due = values.get("remedy_due")
    errors = {}
    if outcome not in AUTHORITY_OUTCOMES:
        errors["outcome"] = _l("Choose the decision.")
    if not reasons:
        errors["reasons"] = (_l("Give the reason why the complaint is left without consideration.")
                             if outcome == NOT_CONSIDERED else _l("Give the reasons for the decision."))
    remedied = outcome in (SATISFIED, PARTLY_SATISFIED)
    if remedied:
        if not remedy:
            errors["remedy"] = REMEDY_MISSING
        if remedy_due is None:
            errors["remedy_due"] = REMEDY_DUE_MISSING
        elif remedy_due <= now.astimezone(ALMATY).date():
            errors["remedy_due"] = REMEDY_DUE_PAST
    if errors:
        raise InvalidComplaint(errors)
    return {"outcome": outcome, "reasons": reasons, "remedy": remedy if remedied else "",
            "remedy_due": remedy_due if remedied else None}


def _as_decided(complaint: Complaint, checked: dict, now: datetime) -> SimpleNamespace:
    """The complaint as the decision would leave it if signed now: what its document says; nothing is stored."""
    return SimpleNamespace(decision_number=f"QC-{now.astimezone(ALMATY).year}-{complaint.id:06d}",
                           number=complaint.number, application=complaint.application, decided_at=now,
                           demands=complaint.demands, **checked)


def authority_document(complaint: Complaint, values: dict, now: datetime | None = None) -> bytes:
    """The authority's decision as typed, as the XML its official signs in NCALayer today (п.19)."""
    now = now or now_utc()
    if complaint.status != AT_AUTHORITY:
        raise WrongStage()
    return decision_xml(_as_decided(complaint, _authority_values(complaint, values, now), now))


def decide_by_authority(complaint: Complaint, official, values: dict, expected_version: int | None,
                        signed: bytes, now: datetime | None = None) -> None:
    """п.19: the authority's decision within 15 WD, signed by its official with their own EDS; the applicant may
    then go to court (п.20).

    The signature must be the official's (IIN), for the authority (AUTHORITY_BIN), with the right to sign, over
    the document these values make today; otherwise SignatureRefused and nothing changes.
    """
    now = now or now_utc()
    check_version(complaint, expected_version)
    if complaint.status != AT_AUTHORITY:
        raise WrongStage()
    checked = _authority_values(complaint, values, now)
    decided = _as_decided(complaint, checked, now)
    report = signatures.verify_official(signed, official, body_bin=current_app.config["AUTHORITY_BIN"],
                                        expected=decision_xml(decided))
    _decide(complaint, official, checked["outcome"], "authority", checked["reasons"], now)
    if checked["remedy"]:
        complaint.remedy, complaint.remedy_due = checked["remedy"], checked["remedy_due"]
    complaint.decision_number = decided.decision_number
    complaint.decision_document = signed
    complaint.decision_signer = signatures.signer_record(report, official, now)
    _end_deadline(complaint, COMPLAINT_AUTHORITY, now, met=True)
    signatures.record(complaint.application, "complaint_decision", signed, report, official)
    events.record(complaint.application, "complaint.decided", actor=official, complaint=complaint.number,
                  outcome=checked["outcome"], by="authority", decision=complaint.decision_number)
    if checked["remedy"]:
        _open_order(complaint, now)
    notifications.complaint_decided(complaint)


# --- the authority's order binds the provider (п.19; Law on state services art. 25) ------------

def _open_order(complaint: Complaint, now: datetime) -> Deadline:
    """The provider's term to carry out what the authority ordered, by the day the authority set.

    Not a term of the Rules, so it does not pretend to be one: no working days are counted, its "paragraph" is the
    authority's decision (its number), and it ends when the provider's working day ends (18:30 Almaty) on the day
    the order names, or on the next working day when that day is not one (a term whose last day is a day off ends
    on the next working day, Civil Code of the RK). Escalated by the sweeper like the others.
    """
    calendar = current_calendar()
    due = calendar.next_workday(complaint.remedy_due)
    decided_on = now.astimezone(ALMATY).date()
    row = Deadline(application_id=complaint.application_id, complaint=complaint, code=AUTHORITY_ORDER, term=0,
                   starts_from="authority_decision", starts_on=decided_on, due_date=due,
                   due_at=calendar.end_of_day(due), paragraph=complaint.decision_number, state=OPEN)
    row.next_check_at = warning_moment(row)
    db.session.add(row)
    events.record(complaint.application, "complaint.order_opened", at=now, complaint=complaint.number,
                  decision=complaint.decision_number, due=due.isoformat())
    return row


def carry_out_order(complaint: Complaint, actor, note: str, expected_version: int | None,
                    now: datetime | None = None) -> None:
    """The provider records that it did what the authority ordered, and what exactly: the order's term closes
    (met; a late one stays missed, with the moment it was done)."""
    now = now or now_utc()
    check_version(complaint, expected_version)
    if not complaint.order_pending:
        raise WrongStage()
    note = (note or "").strip()
    if not note:
        raise InvalidComplaint({"note": _l("Write what was done to carry out the order.")})
    complaint.remedy_done_at, complaint.remedy_done_by_id, complaint.remedy_done_note = now, actor.id, note
    _end_deadline(complaint, AUTHORITY_ORDER, now, met=True)
    events.record(complaint.application, "complaint.order_carried_out", actor=actor, at=now,
                  complaint=complaint.number, decision=complaint.decision_number, note=note)


# --- the sweeper's hook ----------------------------------------------------------------------

def auto_forward(deadline: Deadline, now: datetime, record=events.record) -> bool:
    """п.17: nothing happened by 17:00 of the last of the 3 WD, so the sweeper forwards the complaint inside the
    term (rules/escalation.py); once: the effect row guards it."""
    complaint = deadline.complaint
    return complaint is not None and forward(complaint, None, now, record=record)


def mark_overdue(deadline: Deadline, now: datetime) -> None:
    if deadline.complaint is not None:
        deadline.complaint.overdue_since = deadline.complaint.overdue_since or now


# The sweeper's effects on a complaint's terms (portal/deadlines/effects.py): its batch records the events.
effects.register("auto_forward", lambda deadline, now, batch: auto_forward(deadline, now, record=batch.event),
                 subject=effects.COMPLAINT)
effects.register("flag_overdue", lambda deadline, now, batch: mark_overdue(deadline, now), subject=effects.COMPLAINT)



def find_decision(number: str) -> Complaint | None:
    """The complaint whose authority's decision (п.19), signed, has this number: /verify/number's second register."""
    return db.session.scalar(select(Complaint).where(Complaint.decision_number == number,
                                                     Complaint.decision_document.is_not(None)))


decisions.register_complaint_decisions(find_decision)
