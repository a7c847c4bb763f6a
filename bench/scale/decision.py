"""The final decision: drafted by the clerk, signed by a signatory; a certificate or a refusal (п.11, п.12)."""
from __future__ import annotations

from datetime import timedelta

from bench.scale.case import Case
from bench.scale.common import dumps, local_day
from bench.scale.proportions import STREETS
from bench.scale.review import ground_of
from bench.scale.timeline import outbox
from portal.applications.models import CERTIFICATE_ISSUED, DECISION_DRAFTED, REFUSED, REISSUE
from portal.decisions.services import PROVIDER
from rules import deadlines as rules_deadlines

DECIDED = (DECISION_DRAFTED, CERTIFICATE_ISSUED, REFUSED)


def _content(gen, case: Case, kind: str) -> dict:
    """What the decision says (decisions/services.py writes the same keys)."""
    content = {"bin": case.org.bin, "legal_name": case.org.name, "legal_address": case.org.address,
               "pool_name": case.details["pool_name"], "location": f"{case.details['settlement']}, {STREETS[0]}",
               "provider": PROVIDER}
    if case.kind == REISSUE:
        content["replaces"] = case.details["reissue_certificate_number"]
    if kind == "refusal":
        content["grounds"] = [ground_of(gen, case.ground)]
        if "hearing" in case.steps:
            held_at = case.steps["hearing"] - timedelta(minutes=40)
            content["hearing"] = {"held_at": held_at.isoformat(), "attended": True}
    return content


def decide(gen, case: Case) -> None:
    """Drafted after the review or the hearing; signed (and mailed) by the service term's last day."""
    if case.stage not in DECIDED:
        return
    kind = "refusal" if case.refused_path and not case.withdrawn else "certificate"
    after = case.steps.get("hearing") or case.steps.get("review")
    lo = case.days.get("hearing", case.days["review"])
    signed = case.stage != DECISION_DRAFTED
    case.days["drafted"] = case.day_of(lo, case.terms["service"] - (1 if signed else 0))
    drafted = case.steps["drafted"] = case.moment(case.days["drafted"], after)
    decision_id = case.refusal_ids["decision"] = gen.new_id("decision")
    content = _content(gen, case, kind)
    case.event(drafted, case.clerk, "decision.drafted", f'{{"kind":"{kind}"}}')
    row = {"id": decision_id, "application_id": case.app_id, "kind": kind, "status": "drafted", "number": None,
           "content": dumps(content), "drafted_by_id": case.clerk, "drafted_at": drafted, "signed_by_id": None,
           "signed_at": None, "issued_on": None, "valid_until": None, "document": None}
    if signed:
        _sign(gen, case, row)
    gen.add("decision", row)


def _sign(gen, case: Case, row: dict) -> None:
    case.days["signed"] = case.day_of(case.days["drafted"], case.terms["service"])
    signed_at = case.steps["signed"] = case.moment(case.days["signed"], case.steps["drafted"])
    issued_on = local_day(signed_at)
    kind = row["kind"]
    number = case.decision_number = f"DMP-{'C' if kind == 'certificate' else 'R'}-{issued_on.year}-{row['id']:06d}"
    valid_until = None
    if kind == "certificate":
        held = gen.certificates.get(case.org.id)
        valid_until = held[2] if case.kind == REISSUE else rules_deadlines.validity_end(issued_on, gen.law)
        gen.certificates[case.org.id] = (number, issued_on, valid_until)
    row.update(status="signed", number=number, signed_by_id=case.signatory, signed_at=signed_at,
               issued_on=issued_on, valid_until=valid_until)
    case.event(signed_at, case.signatory, "decision.signed", f'{{"kind":"{kind}","number":"{number}"}}')
    outbox(gen, case, "decision.issued", f"decision.issued:{row['id']}",
           {"application_id": case.app_id, "number": case.number, "decision_kind": kind, "decision_number": number,
            "issued_on": issued_on.isoformat(), "valid_until": valid_until.isoformat() if valid_until else None},
           signed_at)
