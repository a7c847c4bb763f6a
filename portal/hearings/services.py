"""Operations of п.9–п.10: the notice, the slots, the applicant's answer and the hearing's record."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.applications.models import GROUNDS_FOUND, HEARING_HELD, PRELIMINARY_REFUSAL, Application
from portal.calendar_admin.services import current_calendar
from portal.core.clock import ALMATY, now_utc
from portal.core.concurrency import check_version
from portal.core.i18n import official_date, official_datetime
from portal.core.i18n import lazy_gettext as _l
from portal.deadlines.models import MET, OPEN
from portal.deadlines.services import warning_moment
from portal.events import services as events
from portal.extensions import db
from portal.hearings import position_xml
from portal.hearings.models import METHODS, WRITTEN, HearingRecord, HearingSlot, PreliminaryRefusal
from portal.law.services import law_for
from portal.notifications import hooks as notifications
from portal.review.models import ReviewDecision
from portal.signatures import services as signatures
from portal.review.services import InvalidDecision, WrongStage
from rules.deadlines import hearing_deadline
from rules.hearing import hearing_window, slot_starts

SLOT_MINUTES = 30


class NoticeTooLate(Exception):
    """п.10: the notice can no longer go out in time; `last_day` was the last lawful day."""

    def __init__(self, last_day: date):
        super().__init__(f"the last lawful day for the notice was {last_day.isoformat()}")
        self.last_day = last_day


class SlotUnavailable(Exception):
    """Someone else holds the slot, or it is no longer offered."""


def _deadline(application: Application, code: str):
    return next((d for d in application.deadlines if d.code == code), None)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()


def _notice_day(sent_at: datetime) -> date:
    """The working day a notice sent at `sent_at` counts on: that day up to 18:30, else the next working day."""
    return current_calendar().act_day(sent_at)


def refusal_of(application: Application) -> PreliminaryRefusal | None:
    return db.session.scalar(select(PreliminaryRefusal).filter_by(application_id=application.id))


# --- the notice (п.9, п.10) ------------------------------------------------------------------

def notice_terms(application: Application, now: datetime) -> dict:
    """What the clerk must know before sending: the last lawful day and the hearing window if sent now."""
    latest = _deadline(application, "hearing_notice")
    today = _local_day(now)
    # A notice sent after 18:30 (or on a day off) counts on the next working day (rules/calendar.py act_day),
    # and the notice's term ends at 18:30 of its last day: the check compares moments, not dates.
    first, last = hearing_window(_notice_day(now), current_calendar(), law_for(application))
    return {"last_day": latest.due_date if latest else None, "last_moment": latest.due_at if latest else None,
            "today": today, "in_time": latest is None or now <= latest.due_at, "window": (first, last)}


def proposed_grounds(application: Application) -> list[dict]:
    """The grounds the clerk kept at the review, with their texts in three languages and the reasons."""
    decision = db.session.scalar(select(ReviewDecision).filter_by(application_id=application.id, stage="review")
                                 .order_by(ReviewDecision.decided_at.desc()).limit(1))
    law = law_for(application)
    kept = decision.decided.get("grounds", []) if decision else []
    reasons = (decision.decided.get("added", {}) if decision else {})
    # The reasoning in words the clerk confirmed at the review (issue 14 item 3); `because` stays for the record.
    reasoning = (decision.decided.get("reasoning", {}) if decision else {})
    return [{"number": n, "paragraph": law.ground(n).paragraph, "text": law.ground(n).text,
             "reason": reasons.get(str(n), ""), "reasoning": reasoning.get(str(n)) or {},
             "because": _because(decision, n)} for n in kept]


def _because(decision, number: int) -> list:
    for ground in (decision.proposed.get("grounds", []) if decision else []):
        if ground.get("number") == number:
            return ground.get("because", [])
    return []


def send_preliminary_refusal(application: Application, clerk, method: str, place: str,
                             expected_version: int | None, now: datetime | None = None) -> PreliminaryRefusal:
    """Notify the applicant of the preliminary decision and the hearing; refuse a notice that is too late."""
    now = now or now_utc()
    check_version(application, expected_version)
    if application.status != GROUNDS_FOUND:
        raise WrongStage()
    errors = {}
    if method not in METHODS:
        errors["method"] = _l("Choose how the hearing is held.")
    if not place.strip():
        errors["place"] = _l("Give the address, the video link, or where the written position is sent.")
    if errors:
        raise InvalidDecision(errors)
    terms = notice_terms(application, now)
    if not terms["in_time"]:
        raise NoticeTooLate(terms["last_day"])
    refusal = PreliminaryRefusal(application_id=application.id, grounds=proposed_grounds(application),
                                 method=method, place=place.strip(), sent_at=now, clerk_id=clerk.id)
    db.session.add(refusal)
    if method != WRITTEN:
        _open_slots(clerk, _notice_day(now), law_for(application))
    notice = _deadline(application, "hearing_notice")
    if notice is not None and notice.state == OPEN:
        notice.state, notice.met_at, notice.next_check_at = MET, now, None
    _move_hearing_deadline(application, _notice_day(now))
    application.status = PRELIMINARY_REFUSAL
    events.record(application, "preliminary_refusal.sent", actor=clerk, grounds=[g["number"] for g in refusal.grounds],
                  method=method)
    notifications.preliminary_refusal_sent(application, refusal)
    return refusal


def _move_hearing_deadline(application: Application, notice_day: date) -> None:
    """п.10: the hearing's term runs from the actual notice, not from the latest lawful one."""
    planned = hearing_deadline(notice_day, current_calendar(), law_for(application))
    row = _deadline(application, "hearing")
    if row is None:
        return
    row.starts_from, row.starts_on = "hearing_notice", notice_day
    row.due_date, row.due_at = planned.due_date, planned.due_at
    row.next_check_at = warning_moment(row)


def _open_slots(clerk, notice_day: date, law) -> None:
    """Make the clerk's lawful slots of the window exist (shared by every case the clerk hears)."""
    starts = slot_starts(notice_day, current_calendar(), law, SLOT_MINUTES)
    existing = set(db.session.scalars(select(HearingSlot.starts_at).where(
        HearingSlot.clerk_id == clerk.id, HearingSlot.starts_at.in_(starts))))
    for start in starts:
        if start not in existing:
            db.session.add(HearingSlot(clerk_id=clerk.id, starts_at=start,
                                       ends_at=start + timedelta(minutes=SLOT_MINUTES)))
    db.session.flush()


# --- the applicant's side --------------------------------------------------------------------

def booked_slot(application: Application) -> HearingSlot | None:
    return db.session.scalar(select(HearingSlot).filter_by(booked_application_id=application.id))


def offered_slots(application: Application, refusal: PreliminaryRefusal, now: datetime) -> list[HearingSlot]:
    """Free slots of the clerk inside the lawful window, and the one this case holds."""
    if refusal.method == WRITTEN or refusal.waived_at is not None:
        return []
    first, last = hearing_window(_notice_day(refusal.sent_at), current_calendar(), law_for(application))
    start = datetime.combine(first, datetime.min.time(), tzinfo=ALMATY)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=ALMATY)
    return list(db.session.scalars(select(HearingSlot).where(
        HearingSlot.clerk_id == refusal.clerk_id, HearingSlot.starts_at >= max(start, now), HearingSlot.starts_at < end,
        (HearingSlot.booked_application_id.is_(None)) | (HearingSlot.booked_application_id == application.id),
    ).order_by(HearingSlot.starts_at)))


def can_change_booking(application: Application, refusal: PreliminaryRefusal, now: datetime) -> bool:
    """Booking or rescheduling is open until the booked hearing begins, while no record exists."""
    if application.status != PRELIMINARY_REFUSAL or refusal.waived_at is not None or refusal.method == WRITTEN:
        return False
    current = booked_slot(application)
    return current is None or current.starts_at > now


def book(application: Application, slot_id: int, actor, now: datetime | None = None) -> HearingSlot:
    """Take the slot (releasing the one held before); the database lets only one case hold it."""
    now = now or now_utc()
    refusal = refusal_of(application)
    if refusal is None or not can_change_booking(application, refusal, now):
        raise SlotUnavailable()
    if slot_id not in {s.id for s in offered_slots(application, refusal, now)}:
        raise SlotUnavailable()
    previous = booked_slot(application)
    if previous is not None and previous.id == slot_id:
        return previous
    try:
        with db.session.begin_nested():
            db.session.execute(update(HearingSlot).where(HearingSlot.booked_application_id == application.id)
                               .values(booked_application_id=None, booked_at=None))
            taken = db.session.execute(
                update(HearingSlot).where(HearingSlot.id == slot_id, HearingSlot.booked_application_id.is_(None))
                .values(booked_application_id=application.id, booked_at=now)).rowcount
            if taken != 1:
                raise SlotUnavailable()
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    refusal.invitation_sequence += 1
    slot = db.session.get(HearingSlot, slot_id)
    db.session.refresh(slot)
    events.record(application, "hearing.rescheduled" if previous else "hearing.booked", actor=actor,
                  starts_at=slot.starts_at.isoformat())
    notifications.hearing_booked(application, refusal, slot, previous is not None, now)
    return slot


def waive(application: Application, actor, now: datetime | None = None) -> None:
    """The applicant declines the hearing; any booked slot is freed and the invitation cancelled."""
    refusal = refusal_of(application)
    if refusal is None or application.status != PRELIMINARY_REFUSAL or refusal.waived_at is not None:
        raise SlotUnavailable()
    db.session.execute(update(HearingSlot).where(HearingSlot.booked_application_id == application.id)
                       .values(booked_application_id=None, booked_at=None))
    refusal.waived_at = now or now_utc()
    refusal.invitation_sequence += 1
    events.record(application, "hearing.waived", actor=actor)
    notifications.hearing_cancelled(application, refusal)


def state_position(application: Application, text: str, actor, signed: bytes | None = None) -> None:
    """The applicant's position; when `signed` is given, its text is read from the verified document only."""
    refusal = refusal_of(application)
    if refusal is None or application.status != PRELIMINARY_REFUSAL:
        raise WrongStage()
    report = None
    if signed is not None:
        report = signatures.check_or_refuse(signed, purpose="sign", expect_bin=application.organization.bin)
        text = position_xml.read(report.content, application)
        if text is None:
            raise signatures.SignatureRefused("position.not_position", report)
    if not (text or "").strip():
        raise InvalidDecision({"position": _l("Write your position.")})
    refusal.position, refusal.position_at = text.strip(), now_utc()
    if report is not None:
        signatures.record(application, "position", signed, report, actor)
    events.record(application, "hearing.position_stated", actor=actor, signed=report is not None)


POSITION_DOCUMENT = "hearing_position"


def attach_to_position(application: Application, upload, actor):
    """A document supporting the applicant's position (п.9: to state its position on the preliminary decision)."""
    from portal.documents import services as documents

    if refusal_of(application) is None or application.status != PRELIMINARY_REFUSAL:
        raise WrongStage()
    document = documents.store_upload(application, POSITION_DOCUMENT, upload, actor)
    events.record(application, "document.attached", actor=actor, code=POSITION_DOCUMENT, name=document.original_name,
                  sha256=document.sha256)
    return document


def position_documents(application: Application) -> list:
    return [d for d in application.documents if d.code == POSITION_DOCUMENT]


# --- the record of the hearing ---------------------------------------------------------------

def record_hearing(application: Application, clerk, values: dict, expected_version: int | None,
                   now: datetime | None = None) -> HearingRecord:
    """The clerk's minutes of a hearing already held; the case then waits for the final decision (п.11)."""
    now = now or now_utc()
    check_version(application, expected_version)
    if application.status != PRELIMINARY_REFUSAL:
        raise WrongStage()
    errors = {}
    if values.get("outcome") not in ("refusal_upheld", "refusal_withdrawn"):
        errors["outcome"] = _l("Choose the outcome of the hearing.")
    if values.get("held_at") is None:
        errors["held_at"] = _l("Give the date and time of the hearing.")
    elif (problem := _not_held_then(application, values["held_at"], now)) is not None:
        errors["held_at"] = problem
    text = {name: (values.get(name) or "").strip() for name in ("participants", "arguments", "examined")}
    data, more = _record_reasons(application, values, text["arguments"])
    errors.update(more)
    if errors:
        raise InvalidDecision(errors)
    record = HearingRecord(application_id=application.id, held_at=values["held_at"],
                           applicant_attended=bool(values.get("attended")), outcome=values["outcome"],
                           recorded_by_id=clerk.id, recorded_at=now, data=data, **text)
    db.session.add(record)
    hearing = _deadline(application, "hearing")
    if hearing is not None and hearing.state == OPEN:
        hearing.state, hearing.met_at, hearing.next_check_at = MET, now, None
    application.status = HEARING_HELD
    events.record(application, "hearing.recorded", actor=clerk, outcome=values["outcome"],
                  attended=bool(values.get("attended")))
    return record


def open_conditions(application: Application) -> list[dict]:
    """The conditions of п.4 the review left not met by a stated fact (unknown or not met), with their texts."""
    from portal.review.services import review_decision

    decision = review_decision(application)
    statuses = (decision.decided.get("conditions") or {}) if decision else {}
    law = law_for(application)
    return [{"code": c.code, "text": c.text, "paragraph": c.paragraph, "status": statuses.get(c.code)}
            for c in law.conditions if statuses.get(c.code, "met") != "met"]


def _record_reasons(application: Application, values: dict, arguments: str) -> tuple[dict, dict]:
    """What the record keeps for the final decision, and the errors: why each ground stands, what meets each condition.

    A ground that stands after the applicant stated a position (in writing or at the hearing) is kept only with
    the clerk's answer to it (Appendix 4: a motivated refusal). Grounds withdrawn lead to a certificate, which
    needs every condition of п.4 met by a stated fact: those the review left open are stated here.
    """
    refusal = refusal_of(application)
    stands = {str(k): (v or "").strip() for k, v in (values.get("stands") or {}).items() if (v or "").strip()}
    facts = {k: (v or "").strip() for k, v in (values.get("conditions") or {}).items() if (v or "").strip()}
    errors = {f"stands-{k}": _l("At most %(max)d characters.", max=10000) for k, v in stands.items() if len(v) > 10000}
    errors.update({f"condition-{k}": _l("At most %(max)d characters.", max=10000) for k, v in facts.items()
                   if len(v) > 10000})
    if values.get("outcome") == "refusal_upheld":
        stated = bool((refusal.position or "").strip() or arguments)
        for ground in refusal.grounds:
            if stated and not stands.get(str(ground["number"])):
                errors[f"stands-{ground['number']}"] = _l(
                    "The applicant stated a position: say why this ground stands nevertheless.")
        facts = {}
    elif values.get("outcome") == "refusal_withdrawn":
        for condition in open_conditions(application):
            if not facts.get(condition["code"]):
                errors[f"condition-{condition['code']}"] = _l(
                    "A certificate needs this condition met by a stated fact: state the fact the hearing brought.")
        stands = {}
    return {"stands": stands, "conditions": facts}, errors


def _not_held_then(application: Application, held_at: datetime, now: datetime):
    """Why the hearing cannot have been held at `held_at`, or None.

    Never in the future, nor before the applicant could be heard (п.9, п.10): the notice at the earliest;
    a booked hearing, at its time; a waived one, from the waiver (the applicant asked for nothing more,
    so there is nothing to wait for); one in person or by video that nobody booked, from the start of the
    window's last slot (until then the applicant could still book); one in writing, from the first working
    day after the notice as for slots (rules.hearing: the applicant keeps the rest of the notice day to
    write), and not before the position it weighs when one came through the portal.
    """
    if held_at > now:
        return _l("The hearing cannot be recorded before it is held: this moment is in the future.")
    refusal, slot, at = refusal_of(application), booked_slot(application), official_datetime
    bounds = [(refusal.sent_at, _l("The notice of the preliminary decision was sent on %(moment)s: the hearing "
                                   "cannot have been held earlier.", moment=at(refusal.sent_at)))]
    if refusal.waived_at is not None:
        bounds.append((refusal.waived_at, _l("The applicant declined the hearing on %(moment)s: the record cannot "
                                             "be dated earlier.", moment=at(refusal.waived_at))))
    elif slot is not None:
        bounds.append((slot.starts_at, _l("The applicant booked the hearing for %(moment)s: it cannot have been "
                                          "held earlier.", moment=at(slot.starts_at))))
    elif refusal.method != WRITTEN:
        # In person or by video with nothing booked: the applicant may book any lawful slot of the window, so
        # the hearing cannot have been held before the last of them began (the clerk records it from then).
        starts = slot_starts(_notice_day(refusal.sent_at), current_calendar(), law_for(application), SLOT_MINUTES)
        if starts:
            bounds.append((starts[-1], _l("The applicant could book a hearing until %(moment)s and booked none: the "
                                          "hearing cannot be recorded as held earlier.", moment=at(starts[-1]))))
    else:
        first, _last = hearing_window(_notice_day(refusal.sent_at), current_calendar(), law_for(application))
        opens = datetime.combine(first, time.min, tzinfo=ALMATY)
        bounds.append((opens, _l("A hearing in writing is held from %(day)s, the first working day after the "
                                 "notice: it cannot be dated earlier.", day=official_date(first))))
        if refusal.position_at is not None:
            bounds.append((refusal.position_at, _l("The applicant's written position arrived on %(moment)s: a "
                                                   "hearing in writing cannot be dated earlier.",
                                                   moment=at(refusal.position_at))))
    earliest, message = max(bounds, key=lambda bound: bound[0])
    # The moment is typed to the minute: a notice sent at 10:15:42 lets the hearing be held at 10:15.
    return message if held_at < earliest.replace(second=0, microsecond=0) else None


def hearing_record(application: Application) -> HearingRecord | None:
    return db.session.scalar(select(HearingRecord).filter_by(application_id=application.id))
