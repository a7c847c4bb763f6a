"""The clerk's review: the completeness check with the state systems' answer (п.7), then the grounds (п.9)."""
from __future__ import annotations

from datetime import timedelta

from bench.scale.case import Case
from bench.scale.common import dumps, rr
from bench.scale.timeline import outbox
from portal.applications.models import (AWAITING_DECISION, CERTIFICATE_ISSUED, DECISION_DRAFTED, GROUNDS_FOUND,
                                        HEARING_HELD, PORTAL, PRELIMINARY_REFUSAL, REFUSED, REGISTERED)
from portal.review.services import _plain
from rules.grounds import assess

REVIEWED = (GROUNDS_FOUND, AWAITING_DECISION, PRELIMINARY_REFUSAL, HEARING_HELD, DECISION_DRAFTED,
            CERTIFICATE_ISSUED, REFUSED)
# The application rules.grounds assesses for the proposals: only the state's answer differs between outcomes.
SAMPLE_APPLICATION = {
    "main_complex": {"country": "KZ", "settlement": "Астана"},
    "main_channels": [{"provider": "Kazakhtelecom"}, {"provider": "Beeline"}],
    "backup_complexes": [{"settlement": "Караганда", "channels": [{"provider": "Kazakhtelecom"},
                                                                {"provider": "Kcell"}]}],
    "support_24_7": True, "ui_languages": {"kk", "ru", "en"},
    "security_test_act": {"number": "ИБ-1", "date": "2026-01-01"}, "state_service_integration": True,
    "consent_personal_data": True, "consent_secrets": True}


def completeness(gen, case: Case) -> None:
    """The state systems asked, the package checked: complete, or refused as incomplete (п.7)."""
    if case.stage == REGISTERED:
        return
    rand, clerk = gen.rand, case.clerk
    case.days["completeness"] = case.day_of(0, case.terms["completeness"])
    checked = case.steps["completeness"] = case.moment(case.days["completeness"], case.registered_at)
    facts_at = max(checked - timedelta(minutes=rr(rand, 5, 60)), case.registered_at + timedelta(seconds=1))
    gen.add("state_facts", {"id": gen.new_id("state_facts"), "application_id": case.app_id,
                            "source": "development fixtures", "is_development": True,
                            "data": _state_answer(gen, case), "fetched_at": facts_at, "fetched_by_id": clerk})
    case.event(facts_at, clerk, "state_facts.fetched", '{"source":"development fixtures"}')
    missing = [c for c in gen.documents[(case.kind, case.route)]
               if c not in case.codes and not (c == "application" and case.route == PORTAL)]
    findings = [{"code": c, "problem": "missing"} for c in missing]
    proposed = dumps({"findings": [{"code": c, "problem": "missing", "name": gen.document_names.get(c, {}),
                                    "paragraph": gen.law.paragraphs["completeness"]} for c in missing]})
    review_id = case.refusal_ids["review"] = gen.new_id("review_decision")
    gen.add("review_decision", {
        "id": review_id, "application_id": case.app_id, "stage": "completeness",
        "outcome": "incomplete" if case.incomplete else "complete", "proposed": proposed,
        "decided": dumps({"findings": findings}),
        "note": "Не представлены документы по перечню." if case.incomplete else "", "clerk_id": clerk,
        "decided_at": checked})
    if not case.incomplete:
        case.event(checked, clerk, "completeness.complete")
        return
    case.event(checked, clerk, "completeness.refused", {"findings": findings})
    outbox(gen, case, "completeness.refused", f"completeness.refused:{case.app_id}",
           {"application_id": case.app_id, "number": case.number, "note": "Не представлены документы.",
            "findings": [{"code": f["code"], "problem": "missing", "name": gen.document_names.get(f["code"], {})}
                         for f in findings]}, checked)


def review(gen, case: Case) -> None:
    """The grounds of п.9: one kept on the refusal path, none otherwise."""
    if case.stage not in REVIEWED:
        return
    case.days["review"] = case.day_of(case.days["completeness"], case.terms["review"])
    decided = case.steps["review"] = case.moment(case.days["review"], case.steps["completeness"])
    kept = [case.ground] if case.refused_path else []
    gen.add("review_decision", {
        "id": gen.new_id("review_decision"), "application_id": case.app_id, "stage": "review",
        "outcome": "grounds" if kept else "no_grounds", "proposed": proposal(gen, case.ground),
        "decided": dumps({"grounds": kept, "documents_unreliable": None, "rejected": {}, "added": {}}),
        "note": "", "clerk_id": case.clerk, "decided_at": decided})
    case.event(decided, case.clerk, "review.decided", f'{{"grounds":[{case.ground}]}}' if kept else '{"grounds":[]}')


def _state_answer(gen, case: Case) -> str:
    ground = case.ground
    positive = ground != 2 or gen.rand() < 0.5
    return dumps({"source": "development fixtures", "is_development": True,
                  "registration": {"bin": case.org.bin, "name": case.org.name, "registered_on": "2019-03-01",
                                   "status": "active"},
                  "identity": None,
                  "security_test_act": {"number": case.details["security_act_number"],
                                        "date": case.details["security_act_date"].isoformat(), "positive": positive},
                  "court_ban": ground == 3, "court_deprived_special_right": False, "raw": {}})


def proposal(gen, ground: int | None) -> str:
    """What rules.grounds proposed, computed once per kind of outcome."""
    hit = gen.proposals.get(ground)
    if hit is None:
        state = {"security_test_act_positive": ground != 2, "court_ban": ground == 3,
                 "court_deprived_special_right": False, "documents_unreliable": True if ground == 1 else None}
        hit = gen.proposals[ground] = dumps(_plain(assess(SAMPLE_APPLICATION, state, gen.law)))
    return hit


def ground_of(gen, number: int) -> dict:
    ground = gen.law.ground(number)
    return {"number": number, "paragraph": ground.paragraph, "text": dict(ground.text), "reason": "", "because": []}
