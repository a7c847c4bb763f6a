"""The preliminary refusal and the hearing (п.10, п.11): the notice, a slot, a waiver or a position, the record."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bench.scale.case import Case
from bench.scale.common import at, dumps, rr
from bench.scale.review import ground_of
from bench.scale.timeline import outbox
from portal.applications.models import (CERTIFICATE_ISSUED, DECISION_DRAFTED, HEARING_HELD, PRELIMINARY_REFUSAL,
                                        REFUSED)

NOTIFIED = (PRELIMINARY_REFUSAL, HEARING_HELD, DECISION_DRAFTED, CERTIFICATE_ISSUED, REFUSED)
PLACES = {"in_person": "Астана, пр. Мәңгілік Ел, 55/14, каб. 301", "video": "https://meet.example.kz/tyndau",
          "written": "tyndau@example.kz"}
POSITION = "Основание устранено: представлен новый акт испытаний."


def _answer(gen, case: Case, method: str, sent: datetime) -> tuple[datetime | None, datetime | None]:
    """(waived, position stated): the applicant's answer to the notice, if any, and only if it has come."""
    rand = gen.rand
    waived = position = None
    if case.stage != PRELIMINARY_REFUSAL or rand() < 0.7:
        if method != "written" and rand() < 0.15:
            waived = sent + timedelta(hours=rr(rand, 1, 20))
        else:
            position = sent + timedelta(hours=rr(rand, 1, 20))
    if case.stage == PRELIMINARY_REFUSAL:
        waived = waived if waived and waived < gen.now else None
        position = position if position and position < gen.now else None
    return waived, position


def preliminary_refusal(gen, case: Case) -> None:
    """The notice of the grounds and of the hearing, the applicant's answer, and the hearing's record once held."""
    if not (case.refused_path and case.stage in NOTIFIED):
        return
    rng, app_id, applicant = gen.rng, case.app_id, case.org.user_id
    earliest = case.days["review"]
    if case.stage == PRELIMINARY_REFUSAL and not case.overdue:
        # Recently enough that the hearing's term (recounted from the notice) still runs.
        earliest = max(earliest, case.elapsed - gen.law.terms["hearing"] + (1 if gen.base_closed else 0))
    case.days["notice"] = case.day_of(earliest, case.terms["notice"])
    sent = case.steps["notice"] = case.moment(case.days["notice"], case.steps["review"])
    notice_day = case.notice_day = gen.days.after(case.registered_on, case.days["notice"])
    method = rng.choice(("in_person", "video", "video", "written"))
    grounds = [ground_of(gen, case.ground)]
    waived, position = _answer(gen, case, method, sent)
    sequence = 0
    case.event(sent, case.clerk, "preliminary_refusal.sent", {"grounds": [case.ground], "method": method})
    outbox(gen, case, "preliminary_refusal.sent", f"preliminary_refusal.sent:{app_id}",
           {"application_id": app_id, "number": case.number, "method": method, "place": PLACES[method],
            "last_on": gen.days.hearing(notice_day)[0].isoformat(),
            "grounds": [{k: g[k] for k in ("number", "paragraph", "text", "reason")} for g in grounds]}, sent)
    if method != "written" and waived is None and case.stage == PRELIMINARY_REFUSAL:
        slot = _slot(gen, case.clerk, notice_day, app_id, sent)
        if slot is not None:
            sequence = 1
            case.event(sent + timedelta(minutes=30), applicant, "hearing.booked", {"starts_at": slot.isoformat()})
    if waived is not None:
        sequence += 1
        case.event(waived, applicant, "hearing.waived")
    if position is not None:
        case.event(position, applicant, "hearing.position_stated", {"signed": False})
    gen.add("preliminary_refusal", {
        "id": gen.new_id("preliminary_refusal"), "application_id": app_id, "grounds": dumps(grounds),
        "method": method, "place": PLACES[method], "sent_at": sent, "clerk_id": case.clerk, "waived_at": waived,
        "position": POSITION if position else "", "position_at": position, "invitation_sequence": sequence})
    if case.stage != PRELIMINARY_REFUSAL:
        _record(gen, case, method, waived, position)


def _record(gen, case: Case, method: str, waived: datetime | None, position: datetime | None) -> None:
    """The hearing held and its record: the refusal upheld, or withdrawn."""
    case.days["hearing"] = case.day_of(case.days["notice"], case.days["notice"] + gen.law.terms["hearing"])
    earliest = max(t for t in (case.steps["notice"], waived, position) if t is not None)
    recorded = case.steps["hearing"] = case.moment(case.days["hearing"], earliest)
    outcome = "refusal_withdrawn" if case.withdrawn else "refusal_upheld"
    attended = waived is None and method != "written"
    gen.add("hearing_record", {
        "id": gen.new_id("hearing_record"), "application_id": case.app_id, "held_at": recorded - timedelta(minutes=40),
        "applicant_attended": attended, "participants": "Представитель заявителя; главный эксперт" if attended else "",
        "arguments": POSITION if position else "Позиция не представлена.", "examined": "Акт испытаний; выписка",
        "outcome": outcome, "recorded_by_id": case.clerk, "recorded_at": recorded, "data": "{}"})
    case.event(recorded, case.clerk, "hearing.recorded", {"outcome": outcome, "attended": attended})


def _slot(gen, clerk: int, notice_day: date, app_id: int, sent: datetime) -> datetime | None:
    """A free 30-minute slot of the clerk on the two working days after the notice, booked by this case."""
    taken = gen.slots_taken
    for offset in (1, 2):
        day = gen.days.after(notice_day, offset)
        for n in range(18):
            start = at(day, 30 * n)
            if (clerk, start) in taken or start <= gen.now:
                continue
            taken.add((clerk, start))
            gen.add("hearing_slot", {"id": gen.new_id("hearing_slot"), "clerk_id": clerk, "starts_at": start,
                                     "ends_at": start + timedelta(minutes=30), "booked_application_id": app_id,
                                     "booked_at": sent + timedelta(minutes=30)})
            return start
    return None
