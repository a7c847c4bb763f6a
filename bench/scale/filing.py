"""Filing and registration: when the case happens, the application and its documents, its receipt (п.6, п.7)."""
from __future__ import annotations

import os
from datetime import datetime, time as dtime, timedelta, timezone

from bench.scale.case import Case
from bench.scale.common import ONE_YEAR, rr
from bench.scale.proportions import (CLOSED_STAGES, PROVIDERS, REISSUE_SHARE, SETTLEMENTS, STREETS,
                                     WITHDRAWN_SHARE, WORDS)
from bench.scale.timeline import outbox
from portal.applications.models import (ACCREDITATION, AWAITING_DECISION, CERTIFICATE_ISSUED, CHANCELLERY, CLAIM_RELEASED,
                                        DECISION_DRAFTED, DRAFT, GROUNDS_FOUND, HEARING_HELD, PORTAL,
                                        PRELIMINARY_REFUSAL, REFUSED, REGISTERED, REISSUE, UNDER_REVIEW)
from portal.core.clock import ALMATY


def _use_terms(gen, case: Case, kind: str) -> None:
    terms = gen.law.terms
    reissue = kind == REISSUE
    case.kind, case.procedure = kind, "reissue" if reissue else "accreditation"
    service = terms["service_reissue" if reissue else "service"]
    case.terms = {"completeness": terms["reissue_completeness" if reissue else "completeness"],
                  "review": terms["reissue_review" if reissue else "review"], "service": service,
                  # the last lawful notice day, in working days after registration
                  "notice": service - terms["hearing_notice"]}


def elapsed(gen, stage: str, overdue: bool, t: dict) -> int:
    """Working days between registration and today for an open case at `stage`."""
    c, r, s, n = t["completeness"], t["review"], t["service"], t["notice"]
    windows = {REGISTERED: (0, c), UNDER_REVIEW: (0, r), GROUNDS_FOUND: (1, n), AWAITING_DECISION: (1, n - 1),
               PRELIMINARY_REFUSAL: (1, n), HEARING_HELD: (2, s), DECISION_DRAFTED: (1, n - 1)}
    lo, hi = windows[stage]
    if gen.base_closed and hi > lo:
        hi -= 1  # a term ending on the base day is over by now: not overdue means inside the terms still running
    if overdue:
        # Past the term of the step the case waits for.
        waiting = {REGISTERED: c, UNDER_REVIEW: r, GROUNDS_FOUND: n}.get(stage, s)
        return waiting + gen.rng.randint(1, 4)
    return gen.rng.randint(lo, max(lo, hi))


def schedule(gen, case: Case) -> None:
    """Its kind and registration day: closed cases over the past year, open ones inside their stage's terms
    (past them if overdue), drafts never registered."""
    rng, days = gen.rng, gen.days
    held = gen.certificates.get(case.org.id)
    _use_terms(gen, case, REISSUE if held is not None and rng.random() < REISSUE_SHARE else ACCREDITATION)
    if case.stage == DRAFT:
        case.registered_on = None
    elif case.stage in CLOSED_STAGES:
        case.registered_on = days.back(gen.base, 12 + rr(gen.rand, ONE_YEAR * 5 // 7 - 12))
    else:
        case.elapsed = elapsed(gen, case.stage, case.overdue, case.terms)
        case.registered_on = days.back(gen.base, case.elapsed)
    if case.kind == REISSUE and case.registered_on is not None and held[1] >= case.registered_on:
        # The certificate to re-issue came later: an accreditation then.
        _use_terms(gen, case, ACCREDITATION)
        if case.elapsed is not None:
            case.elapsed = min(case.elapsed, elapsed(gen, case.stage, case.overdue, case.terms))
            case.registered_on = days.back(gen.base, case.elapsed)


def fate(gen, case: Case) -> None:
    """What the rules will find: the refusal path (grounds, a preliminary refusal, a hearing); a withdrawn
    refusal ends in a certificate."""
    rng, stage = gen.rng, case.stage
    case.refused_path = stage in (REFUSED, GROUNDS_FOUND, PRELIMINARY_REFUSAL, HEARING_HELD) or (
        stage == DECISION_DRAFTED and rng.random() < 0.25) or (
        stage == CERTIFICATE_ISSUED and rng.random() < WITHDRAWN_SHARE / 8)
    case.withdrawn = case.refused_path and (stage == CERTIFICATE_ISSUED or (
        stage in (HEARING_HELD, DECISION_DRAFTED) and rng.random() < WITHDRAWN_SHARE * 2))
    case.ground = rng.choice((2, 2, 2, 3, 1)) if case.refused_path else None


def receipt(gen, case: Case) -> None:
    """When the draft was started and the application received (evening filings register the next working day)."""
    rng, rand, days, now = gen.rng, gen.rand, gen.days, gen.now
    if case.registered_on is None:
        case.created = now - timedelta(days=rr(rand, 1, 90), minutes=rr(rand, 600))
        case.author = case.clerk if case.route == CHANCELLERY else case.org.user_id
        return
    if case.route == PORTAL and rng.random() < 0.15:
        evening = datetime.combine(days.back(case.registered_on, 1), dtime(19, rr(rand, 60)), tzinfo=ALMATY)
        received = evening.astimezone(timezone.utc)
        if days.calendar.registration_date(received) != case.registered_on:
            received = case.moment(0)
    else:
        received = case.moment(0)
    created = received - timedelta(days=rr(rand, 1, 6), minutes=rr(rand, 600))
    if case.route == CHANCELLERY:
        created = min(received + timedelta(minutes=rr(rand, 5, 60)), now - timedelta(minutes=2))
    case.received, case.created = received, created
    case.author = case.clerk if case.route == CHANCELLERY else case.org.user_id


def details(gen, case: Case) -> None:
    """The application's own fields, and its complexes (a main one, and a backup for most)."""
    rng, rand = gen.rng, gen.rand
    day = case.registered_on or case.created.date()
    held = gen.certificates.get(case.org.id)
    settlement = rng.choice(SETTLEMENTS)
    case.details = {
        "settlement": settlement,
        "pool_name": f"{rng.choice(WORDS)} {rng.choice(('Hash', 'Pool', 'Mining', 'Compute'))}",
        "security_act_number": f"ИБ-{day.year}/{rr(rand, 1, 999):03d}",
        "security_act_date": day - timedelta(days=rr(rand, 10, 200)),
        "ui_languages": "kk,ru,en" if not (case.ground == 2 and rng.random() < 0.5) else "kk,ru",
        "reissue_certificate_number": held[0] if case.kind == REISSUE else "",
        "reissue_reason": "Изменение наименования юридического лица" if case.kind == REISSUE else ""}
    case.number = f"{case.registered_on.year}-{case.app_id:06d}" if case.registered_on else None
    backup = rng.choice([s for s in SETTLEMENTS[:8] if s != settlement])
    for position, role, place in ((0, "main", settlement), (1, "backup", backup)):
        if role == "backup" and not (case.kind == ACCREDITATION or rng.random() < 0.5):
            continue
        gen.add("complex", {"id": gen.new_id("complex"), "application_id": case.app_id, "position": position,
                            "role": role, "settlement": place, "address": f"{rng.choice(STREETS)}, {rr(rand, 1, 200)}",
                            "provider_1": rng.choice(PROVIDERS[:4]), "provider_2": rng.choice(PROVIDERS[4:])})


def documents(gen, case: Case) -> datetime:
    """All of the list (the portal's form is the application), one or two missing if incomplete; a draft has some.
    Returns when the last was attached."""
    rng, rand, author = gen.rng, gen.rand, case.author
    case.event(case.created, author, "application.draft_created", f'{{"kind":"{case.kind}","route":"{case.route}"}}')
    case.event(case.created + timedelta(minutes=3), author, "application.draft_saved")
    codes = [c for c in gen.documents[(case.kind, case.route)] if not (c == "application" and case.route == PORTAL)]
    if case.incomplete and codes:
        for _ in range(min(len(codes), rng.choice((1, 1, 2)))):
            codes.remove(rng.choice(codes))
    if case.stage == DRAFT:
        codes = codes[: rr(rand, len(codes) + 1)]
    case.codes = codes
    uploaded = case.created + timedelta(minutes=5)
    day = case.registered_on or case.created.date()
    for code in codes:
        doc_id = gen.new_id("document")
        key = f"5ca1e{doc_id:027x}"
        if case.demo:
            _write_sample(gen, key)
            size, sha = len(gen.sample), gen.sample_sha
        else:
            size, sha = rr(rand, 60_000, 3_000_000), f"{rng.getrandbits(256):064x}"
        name = f"{code}.pdf"
        gen.add("document", {
            "id": doc_id, "application_id": case.app_id, "code": code, "original_name": name,
            "content_type": "application/pdf", "size": size, "sha256": sha, "storage_key": key,
            "expires_on": day + timedelta(days=rr(rand, 200, 700)) if code == "server_room_lease" else None,
            "uploaded_by_id": author, "uploaded_at": uploaded})
        case.event(uploaded, author, "document.attached", f'{{"code":"{code}","name":"{name}","sha256":"{sha}"}}')
        uploaded += timedelta(minutes=rr(rand, 1, 20))
    return uploaded


def _write_sample(gen, key: str) -> None:
    path = os.path.join(gen.uploads, key[:2], key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(gen.sample)


def register(gen, case: Case) -> None:
    """Submitted and registered (by the applicant on the portal, by the clerk at the chancellery); the terms
    planned; the applicant told the number and the last day."""
    registrar = case.clerk if case.route == CHANCELLERY else case.org.user_id
    registered_at = (max(case.received, case.created) + timedelta(seconds=2) if case.route == CHANCELLERY
                     else case.received)
    if registered_at > gen.now:
        registered_at = gen.now - timedelta(seconds=30)
    case.registrar, case.registered_at = registrar, registered_at
    registered_on = case.registered_on
    case.event(case.received, registrar, "application.submitted", f'{{"route":"{case.route}"}}')
    case.event(registered_at, registrar, "application.registered",
               f'{{"number":"{case.number}","registered_on":"{registered_on.isoformat()}"}}')
    case.plan = gen.days.plan(case.procedure, registered_on)
    case.event(registered_at, None, "deadlines.planned", gen.planned_json(case.procedure, registered_on, case.plan))
    service = case.plan["service" if case.kind == ACCREDITATION else "service_reissue"]
    outbox(gen, case, "application.accepted", f"application.accepted:{case.app_id}",
           {"application_id": case.app_id, "number": case.number, "registered_on": registered_on.isoformat(),
            "due_on": service.due_date.isoformat()}, registered_at)


def _claim(gen, case: Case) -> str | None:
    """The certificate a registered, open re-issuance holds, as registration takes it (first come, first held)."""
    number = (case.details["reissue_certificate_number"] or "").strip().upper()
    if case.kind != REISSUE or case.registered_on is None or case.stage in CLAIM_RELEASED or not number:
        return None
    if number in gen.claimed:
        return None
    gen.claimed.add(number)
    return number


def application_row(gen, case: Case, overdue_since: datetime | None, updated: datetime) -> None:
    registered = case.registered_on is not None
    gen.add("application", {
        "id": case.app_id, "number": case.number, "kind": case.kind, "route": case.route,
        "status": case.stage if registered else DRAFT, "organization_id": case.org.id,
        "created_by_id": case.author, "registered_by_id": case.registrar, "legal_name": case.org.name,
        "bin": case.org.bin, "legal_address": case.org.address, "pool_name": case.details["pool_name"],
        "support_24_7": True, "ui_languages": case.details["ui_languages"],
        "security_act_number": case.details["security_act_number"],
        "security_act_date": case.details["security_act_date"], "state_service_integration": True,
        "consent_secrets": True, "consent_personal_data": True,
        "reissue_certificate_number": case.details["reissue_certificate_number"],
        "reissue_reason": case.details["reissue_reason"], "reissue_claim": _claim(gen, case),
        "received_at": case.received,
        "registered_on": case.registered_on, "law_version_id": gen.days.law_id if registered else None,
        "overdue_since": overdue_since, "created_at": case.created, "updated_at": updated,
        "version": 2 if registered else 1})
