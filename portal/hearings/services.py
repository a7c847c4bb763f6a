"""Operations of п.9–п.10: the notice, the slots, the applicant's answer and the hearing's record."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.applications.models import GROUNDS_FOUND, HEARING_HELD, PRELIMINARY_REFUSAL, Application
from portal.calendar.services import current_calendar
from portal.core.clock import ALMATY, now_utc
from portal.core.concurrency import check_version
from portal.core.errors import InvalidDecision, WrongStage
from portal.core.i18n import official_date, official_datetime
from portal.core.i18n import lazy_gettext as _l
from portal.deadlines.models import MET, MISSED, OPEN
from portal.deadlines.services import warning_moment
from portal.documents import services as documents
from portal.events import services as events
from portal.extensions import db
from portal.hearings import position_xml
from portal.hearings.models import METHODS, WRITTEN, HearingRecord, HearingSlot, PreliminaryRefusal
from portal.law.services import law_for
from portal.notifications import hooks as notifications
from portal.notifications import worker
from portal.review.models import ReviewDecision
from portal.review.services import review_decision
from portal.signatures import services as signatures
from rules.deadlines import HEARING, HEARING_NOTICE, hearing_deadline
from rules.hearing import hearing_window, is_late, position_awaited_until, position_days, slot_starts

SLOT_MINUTES = 30


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
    """What the clerk must know before sending: the last lawful moment, whether it passed, the window if sent now."""
    latest = _deadline(application, HEARING_NOTICE)
    today = _local_day(now)
    # A notice sent after 18:30 (or on a day off) counts on the next working day (rules/calendar.py act_day),
    # and the notice's term ends at 18:30 of its last day: the check compares moments, not dates.
    first, last = hearing_window(_notice_day(now), current_calendar(), law_for(application))
    late = is_late(now, latest.due_at if latest else None)
    return {"last_day": latest.due_date if latest else None, "last_moment": latest.due_at if latest else None,
            "today": today, "in_time": not late, "late": late, "window": (first, last)}


def proposable_slots(application: Application, clerk, now: datetime) -> list[datetime]:
    """The times a notice sent now may propose (п.9): the lawful slots of its window the clerk has free."""
    starts = slot_starts(_notice_day(now), current_calendar(), law_for(application), SLOT_MINUTES)
    held = set(db.session.scalars(select(HearingSlot.starts_at).where(
        HearingSlot.clerk_id == clerk.id, HearingSlot.starts_at.in_(starts),
        HearingSlot.booked_application_id.is_not(None), HearingSlot.booked_application_id != application.id)))
    return [start for start in starts if start not in held]


def proposable_days(application: Application, now: datetime) -> list[date]:
    """The days a notice in writing sent now may await the position until (the working days of its window)."""
    return position_days(_notice_day(now), current_calendar(), law_for(application))


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
                             expected_version: int | None, now: datetime | None = None, *,
                             proposed: datetime | date | None = None, late_reason: str = "") -> PreliminaryRefusal:
    """Notify the applicant of the preliminary decision and of the hearing's time and place (п.9, п.10).

    `proposed` is the slot's start (in person, by video: the applicant is booked into it and may move it inside
    the window) or the working day by whose end the written position is awaited. A notice after its last lawful
    moment goes out only with `late_reason`: the hearing_notice term is then missed (it was), and the notice is
    kept as the act that broke it, for the supervisor to see; the case goes on from the actual notice.
    """
    now = now or now_utc()
    check_version(application, expected_version)
    if application.status != GROUNDS_FOUND:
        raise WrongStage()
    errors = {}
    if method not in METHODS:
        errors["method"] = _l("Choose how the hearing is held.")
    if not place.strip():
        errors["place"] = _l("Give the address, the video link, or where the written position is sent.")
    proposed_at = _proposed_moment(application, clerk, method, proposed, now, errors)
    terms = notice_terms(application, now)
    reason = (late_reason or "").strip()
    if terms["late"] and not reason:
        errors["late_reason"] = _l(
            "The last lawful moment for the notice was %(moment)s (п.10). Give the reason it is sent late: the "
            "notice is then recorded as a breach of п.10 and shown to the supervisor.",
            moment=official_datetime(terms["last_moment"]))
    if errors:
        raise InvalidDecision(errors)
    refusal = PreliminaryRefusal(application_id=application.id, grounds=proposed_grounds(application),
                                 method=method, place=place.strip(), sent_at=now, clerk_id=clerk.id,
                                 proposed_at=proposed_at, late_reason=reason if terms["late"] else None)
    db.session.add(refusal)
    slot = None
    if method != WRITTEN:
        _open_slots(clerk, _notice_day(now), law_for(application))
        slot = _book_proposed(application, clerk, proposed_at, now)
        refusal.invitation_sequence = 1  # the proposed time is an invitation the calendar file carries
    notice = _deadline(application, HEARING_NOTICE)
    if notice is not None and terms["late"]:
        _record_breach(application, notice, refusal, now)
    elif notice is not None and notice.state == OPEN:
        notice.state, notice.met_at, notice.next_check_at = MET, now, None
    _move_hearing_deadline(application, _notice_day(now))
    application.status = PRELIMINARY_REFUSAL
    late = ({"late": True, "late_reason": reason, "last_moment": terms["last_moment"].isoformat()}
            if terms["late"] else {})
    events.record(application, "preliminary_refusal.sent", actor=clerk, grounds=[g["number"] for g in refusal.grounds],
                  method=method, proposed_at=proposed_at.isoformat(), **late)
    notifications.preliminary_refusal_sent(application, refusal, slot, now)
    return refusal


def _proposed_moment(application: Application, clerk, method: str, proposed, now: datetime, errors: dict):
    """The moment the notice names (п.9), or None with the error next to the field that should name it."""
    if method == WRITTEN:
        day = proposed.astimezone(ALMATY).date() if isinstance(proposed, datetime) else proposed
        days = proposable_days(application, now)
        if not isinstance(day, date):
            errors["written_by"] = _l("Give the date by which the written position is awaited: the notice must "
                                      "name the time of the hearing (п.9).")
        elif day not in days:
            errors["written_by"] = _l("Choose a working day of the hearing's window, %(first)s to %(last)s (п.10).",
                                      first=official_date(days[0]), last=official_date(days[-1]))
        else:
            return position_awaited_until(day)
    elif method in METHODS:
        if not isinstance(proposed, datetime):
            errors["slot"] = _l("Choose the time of the hearing: the notice must name its time and place (п.9).")
        elif proposed not in proposable_slots(application, clerk, now):
            errors["slot"] = _l("This time is not a free lawful time of the hearing's window for a notice sent now. "
                                "Choose another one.")
        else:
            return proposed
    return None


def _book_proposed(application: Application, clerk, start: datetime, now: datetime) -> HearingSlot:
    """Book the case into the proposed slot; the database lets only one case hold it."""
    slot = db.session.scalar(select(HearingSlot).where(HearingSlot.clerk_id == clerk.id,
                                                       HearingSlot.starts_at == start))
    taken = db.session.execute(
        update(HearingSlot).where(HearingSlot.id == slot.id, HearingSlot.booked_application_id.is_(None))
        .values(booked_application_id=application.id, booked_at=now)).rowcount
    if taken != 1:
        raise InvalidDecision({"slot": _l("This time has just been taken by another hearing. Choose another one.")})
    db.session.refresh(slot)
    return slot


def _record_breach(application: Application, notice, refusal: PreliminaryRefusal, now: datetime) -> None:
    """п.10 broken: the term is missed (as the sweeper would have marked it), done late now, linked to the notice."""
    if notice.state == OPEN:
        notice.state = MISSED
        events.record(application, "deadline.missed", at=now, code=notice.code, due=notice.due_date.isoformat(),
                      paragraph=notice.paragraph)
        notifications.deadline_escalated("deadline.missed", notice, now)
    notice.met_at, notice.next_check_at = now, None
    application.overdue_since = application.overdue_since or now
    db.session.flush()
    refusal.late_deadline_id = notice.id


def late_notices(deadlines) -> dict[int, PreliminaryRefusal]:
    """The late notices linked to these terms, by the term's id (pages of deadlines show the breach and its reason).

    Only a hearing_notice term missed and then done (met_at set) can have one: other pages cost no statement.
    """
    ids = [d.id for d in deadlines if d.code == HEARING_NOTICE and d.state == MISSED and d.met_at is not None]
    if not ids:
        return {}
    rows = db.session.scalars(select(PreliminaryRefusal).where(PreliminaryRefusal.late_deadline_id.in_(ids)))
    return {row.late_deadline_id: row for row in rows}


def _move_hearing_deadline(application: Application, notice_day: date) -> None:
    """п.10: the hearing's term runs from the actual notice, not from the latest lawful one."""
    planned = hearing_deadline(notice_day, current_calendar(), law_for(application))
    row = _deadline(application, HEARING)
    if row is None:
        return
    row.starts_from, row.starts_on = HEARING_NOTICE, notice_day
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
    hearing = _deadline(application, HEARING)
    if hearing is not None and hearing.state == OPEN:
        hearing.state, hearing.met_at, hearing.next_check_at = MET, now, None
    application.status = HEARING_HELD
    # A waived hearing was not held: the event says so, for the timeline to show it as waived (issue 16).
    events.record(application, "hearing.recorded", actor=clerk, outcome=values["outcome"],
                  attended=bool(values.get("attended")), waived=refusal_of(application).waived_at is not None)
    return record


def open_conditions(application: Application) -> list[dict]:
    """The conditions of п.4 the review left not met by a stated fact (unknown or not met), with their texts."""
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
    a booked hearing (the time the notice proposed, or the one the applicant moved it to), at its time; a
    waived one, from the waiver (the applicant asked for nothing more, so there is nothing to wait for); one in
    person or by video that nobody booked (a notice from before times were named), from the start of the
    window's last slot (until then the applicant could still book); one in writing, from the first working
    day after the notice as for slots (rules.hearing: the applicant keeps the rest of the notice day to
    write), and not before the position it weighs when one came through the portal, nor, while none came, before
    the moment the notice awaited it until.
    """
    if held_at > now:
        return _l("The hearing cannot be recorded before it is held: this moment is in the future.")
    refusal, slot, at = refusal_of(application), booked_slot(application), official_datetime
    bounds = [(refusal.sent_at, _l("The notice of the preliminary decision was sent on %(moment)s: the hearing "
                                   "cannot have been held earlier.", moment=at(refusal.sent_at)))]
    if refusal.waived_at is not None:
        bounds.append((refusal.waived_at, _l("The applicant declined the hearing on %(moment)s: the record cannot "
                                             "be dated earlier.", moment=at(refusal.waived_at))))
    elif slot is not None and refusal.proposed_at is not None and slot.starts_at == refusal.proposed_at:
        bounds.append((slot.starts_at, _l("The notice set the hearing for %(moment)s and the applicant kept that "
                                          "time: it cannot have been held earlier.", moment=at(slot.starts_at))))
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
        elif refusal.proposed_at is not None:
            # п.9: the notice awaited the position until this moment; without it, the applicant keeps the time named.
            bounds.append((refusal.proposed_at, _l("The notice awaited the applicant's written position until "
                                                   "%(moment)s and none has come: a hearing in writing cannot be "
                                                   "dated earlier.", moment=at(refusal.proposed_at))))
    earliest, message = max(bounds, key=lambda bound: bound[0])
    # The moment is typed to the minute: a notice sent at 10:15:42 lets the hearing be held at 10:15.
    return message if held_at < earliest.replace(second=0, microsecond=0) else None


def hearing_record(application: Application) -> HearingRecord | None:
    return db.session.scalar(select(HearingRecord).filter_by(application_id=application.id))


# --- the outbox's re-check of a hearing reminder ------------------------------------------

def reminder_gone(message, now: datetime) -> str | None:
    """Why a hearing reminder due now is no longer sent (None: it is); registered with the outbox worker."""
    slot = db.session.get(HearingSlot, message.context.get("slot_id"))
    if (slot is None or slot.booked_application_id != message.application_id
            or slot.starts_at != datetime.fromisoformat(message.context["starts_at"])):
        return "the hearing is no longer booked at this time"
    if slot.starts_at <= now:
        return "the hearing has begun"
    if db.session.get(Application, message.application_id).status != PRELIMINARY_REFUSAL:
        return "the case has left the hearing stage"
    return None


worker.register_recheck("hearing.reminder", reminder_gone)
