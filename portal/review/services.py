"""Operations of the review: the rules propose, the clerk decides, and both are kept."""
from __future__ import annotations

from portal.applications.models import (AWAITING_DECISION, GROUNDS_FOUND, INCOMPLETE_REFUSED, PORTAL, REGISTERED,
                                        REISSUE, UNDER_REVIEW, Application)
from portal.core.clock import now_utc, today_local
from portal.core.concurrency import check_version
from portal.core.errors import InvalidDecision, WrongStage
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import localized
from portal.deadlines.models import CLOSED, MET, OPEN
from portal.events import services as events
from portal.extensions import db
from portal.gateway.services import latest_state_facts
from portal.law.services import law_for
from portal.notifications import hooks as notifications
from portal.review.models import ReviewDecision
from rules.completeness import check_completeness
from rules.deadlines import COMPLETENESS, HEARING, HEARING_NOTICE, REISSUE_REVIEW, REVIEW
from rules.grounds import assess, not_met_by_a_fact
from rules.reasoning import same_in_all, unfinished


# The clerk's free texts: a note and each reason (the forms of the review have no WTForms class).
MAX_NOTE, MAX_REASON = 10000, 2000


def _too_long(texts: dict[str, tuple[str, int]]) -> dict:
    """The fields whose text is longer than its limit, with the message of every form's max_length."""
    return {name: _l("At most %(max)d characters.", max=limit) for name, (text, limit) in texts.items()
            if len(text or "") > limit}


# --- facts for the rules ---------------------------------------------------------------------

def application_facts(application: Application) -> dict:
    """The application as rules.grounds reads it (the form declares the complex is in Kazakhstan)."""
    main = application.main_complex

    def channels(c):
        return [{"provider": p} for p in (c.provider_1, c.provider_2) if p]

    return {
        "main_complex": {"country": "KZ", "settlement": main.settlement} if main and main.settlement else None,
        "main_channels": channels(main) if main else [],
        "backup_complexes": [{"settlement": b.settlement, "channels": channels(b)}
                             for b in application.backup_complexes],
        "support_24_7": application.support_24_7,
        "ui_languages": application.ui_language_set,
        "security_test_act": ({"number": application.security_act_number,
                               "date": application.security_act_date.isoformat() if application.security_act_date else None}
                              if application.security_act_number else None),
        "state_service_integration": application.state_service_integration,
        "consent_personal_data": application.consent_personal_data,
        "consent_secrets": application.consent_secrets,
    }


def state_facts(application: Application, documents_unreliable: bool | None = None) -> dict:
    stored = latest_state_facts(application)
    facts = {"security_test_act_positive": None, "court_ban": None, "court_deprived_special_right": None}
    if stored is not None:
        act = stored.data.get("security_test_act") or {}
        facts.update(security_test_act_positive=act.get("positive"), court_ban=stored.data.get("court_ban"),
                     court_deprived_special_right=stored.data.get("court_deprived_special_right"))
    facts["documents_unreliable"] = documents_unreliable
    return facts


# --- completeness (п.7, п.12) ----------------------------------------------------------------

# A re-issuance found incomplete is refused by a decision the authorised person signs (п.12): the final decision's
# domain, above this one, registers how it is drafted (decisions.services.draft_reissue_incomplete).
_reissue_incomplete: list = []


def register_reissue_incomplete(draft) -> None:
    """`draft(application, clerk, findings, note)` drafts the refusal of a re-issuance found incomplete."""
    _reissue_incomplete[:] = [draft]


def propose_completeness(application: Application) -> list[dict]:
    attached = [{"code": d.code, "expires_on": d.expires_on} for d in application.documents]
    if application.route == PORTAL:
        attached.append({"code": "application"})  # on the portal the form itself is the application
    return check_completeness(application.kind, application.route, attached, today_local(), law_for(application))


def completeness_departure(proposal: list[dict], findings: list[dict]) -> dict:
    """Where the clerk's findings differ from the rules': {"added": [...], "removed": [...]} ("code:problem")."""
    rules = {f"{f['code']}:{f['problem']}" for f in proposal}
    clerk = {f"{f['code']}:{f['problem']}" for f in findings}
    return {"added": sorted(clerk - rules), "removed": sorted(rules - clerk)}


def decide_completeness(application: Application, clerk, findings: list[dict], note: str,
                        expected_version: int | None, override_reason: str = "") -> ReviewDecision:
    """Record the clerk's finding; an incomplete package ends the case with a motivated refusal.

    An accreditation's refusal of further consideration (п.7) is sent at once. A re-issuance's (п.12, second
    paragraph) is an Appendix 4 document signed with the EDS of the authorised person: the finding is drafted as
    that refusal (decisions.services.draft_reissue_incomplete) and the case waits for the signature; the term of
    the check is met when the signed refusal is sent.

    A clerk who departs from the rules' finding (a document the rules found in order marked missing, or the
    reverse) gives the reason; it is kept with the decision for the supervisor and the authority.
    """
    check_version(application, expected_version)
    if application.status != REGISTERED:
        raise WrongStage()
    if errors := _too_long({"note": (note, MAX_NOTE), "override_reason": (override_reason, MAX_REASON)}):
        raise InvalidDecision(errors)
    known = {item.code for item in law_for(application).document_list(application.kind, application.route).documents}
    if any(f["code"] not in known or f["problem"] not in ("missing", "expired") for f in findings):
        raise InvalidDecision({"findings": _l("Choose only documents of the list.")})
    if findings and not note.strip():
        raise InvalidDecision({"note": _l("Give the reasons of the motivated refusal.")})
    proposal = propose_completeness(application)
    departure = completeness_departure(proposal, findings)
    if (departure["added"] or departure["removed"]) and not override_reason.strip():
        raise InvalidDecision({"override_reason": _l("Your finding differs from the rules': say why.")})
    now = now_utc()
    outcome = "incomplete" if findings else "complete"
    decided = {"findings": findings}
    if departure["added"] or departure["removed"]:
        decided["override"] = {**departure, "reason": override_reason.strip()}
    decision = ReviewDecision(application_id=application.id, stage="completeness", outcome=outcome,
                              proposed={"findings": _plain(proposal)},
                              decided=decided, note=note.strip(), clerk_id=clerk.id, decided_at=now)
    db.session.add(decision)
    if findings and application.kind == REISSUE:
        _reissue_incomplete[0](application, clerk, findings, note.strip())
        return decision
    _meet(application, (COMPLETENESS,), now)
    if findings:
        application.status = INCOMPLETE_REFUSED
        _close_open(application)
        events.record(application, "completeness.refused", actor=clerk, findings=findings)
        notifications.completeness_refused(application, findings, note)
    else:
        application.status = UNDER_REVIEW
        events.record(application, "completeness.complete", actor=clerk)
    return decision


# --- conditions and grounds (п.4, п.8, Appendix 2 item 9) ------------------------------------

def propose_review(application: Application, documents_unreliable: bool | None = None,
                   findings: dict | None = None) -> dict:
    """What the rules find from the facts (and the clerk's own findings on conditions, if any)."""
    return assess(application_facts(application), state_facts(application, documents_unreliable),
                  law_for(application), findings)


def _reasoning_errors(key: str, texts: dict, law) -> dict:
    """A ground's reasoning must be written in every language shown, with no part left for the clerk to fill."""
    if any(not (text or "").strip() for text in texts.values()):
        return {key: _l("Write the reasoning of this ground: the facts that decided it and why they fail the "
                        "condition.")}
    if any(unfinished(text, law.code) for text in texts.values()):
        return {key: _l("Replace the part in square brackets with the facts.")}
    return {}


def decide_review(application: Application, clerk, verdicts: dict[int, dict], added: dict[int, str], note: str,
                  documents_unreliable: bool | None, expected_version: int | None,
                  findings: dict[str, dict] | None = None, reasonings: dict[int, dict] | None = None
                  ) -> ReviewDecision:
    """verdicts: proposed ground -> {"accept": bool, "reason": str}; added: ground -> reason.

    findings: the clerk's own finding on a condition of п.4 against the rules', {code: {"status", "reason"}},
    kept with its reason for the supervisor and the authority; reasonings: ground -> {lang: text}, the clerk's
    wording of the reasoning the rules proposed (a ground whose reasoning was not sent keeps the proposal).
    """
    check_version(application, expected_version)
    if application.status != UNDER_REVIEW:
        raise WrongStage()
    law = law_for(application)
    findings = {code: {"status": f["status"], "reason": (f.get("reason") or "").strip()}
                for code, f in (findings or {}).items() if f.get("status") in ("met", "not_met")}
    reasonings = reasonings or {}
    known = {c.code for c in law.conditions}
    errors = _finding_errors(findings, known)
    proposal = propose_review(application, documents_unreliable, {c: f for c, f in findings.items() if c in known})
    # A finding equal to the rules' own is no departure: nothing to keep.
    findings = {c["code"]: findings[c["code"]] for c in proposal["conditions"] if c.get("overridden")
                and c["overridden"]["from"] != c["status"]}
    proposed = {g["number"]: g for g in proposal["grounds"]}
    errors.update(_ground_errors(proposed, verdicts, added, reasonings, law))
    errors.update(_too_long({"note": (note, MAX_NOTE),
                             **{f"ground-{n}-reason": (v["reason"], MAX_REASON) for n, v in verdicts.items()},
                             **{f"add-{n}-reason": (reason, MAX_REASON) for n, reason in added.items()},
                             **{f"condition-{c}-reason": (f["reason"], MAX_REASON) for c, f in findings.items()},
                             **{f"ground-{n}-reasoning": (t, MAX_NOTE) for n, r in reasonings.items()
                                for t in r.values()}}))
    kept = sorted([n for n in proposed if n in verdicts and verdicts[n]["accept"]] + list(added))
    if not kept and not errors:
        errors.update(_no_grounds_errors(proposal))
    if errors:
        raise InvalidDecision(errors)
    now = now_utc()
    decision = ReviewDecision(
        application_id=application.id, stage="review", outcome="grounds" if kept else "no_grounds",
        proposed=_plain(proposal), note=note.strip(), clerk_id=clerk.id, decided_at=now,
        decided={"grounds": kept, "documents_unreliable": documents_unreliable,
                 "rejected": {str(n): verdicts[n]["reason"].strip() for n in proposed if not verdicts[n]["accept"]},
                 "added": {str(n): r.strip() for n, r in added.items()},
                 "reasoning": _kept_reasoning(kept, proposed, added, reasonings),
                 "findings": findings,
                 "conditions": {c["code"]: c["status"] for c in proposal["conditions"]}})
    db.session.add(decision)
    _meet(application, (REVIEW, REISSUE_REVIEW), now)
    if not kept:
        # No grounds, so no preliminary refusal: the hearing's terms (п.10) no longer apply and are not missed.
        _close(application, (HEARING_NOTICE, HEARING))
    application.status = GROUNDS_FOUND if kept else AWAITING_DECISION
    extra = {"overridden": sorted(findings)} if findings else {}
    events.record(application, "review.decided", actor=clerk, grounds=kept, **extra)
    return decision


def _finding_errors(findings: dict[str, dict], known: set[str]) -> dict:
    """The clerk's own findings on conditions: each of a condition of the Rules, each with its reason."""
    errors = {}
    for code, finding in findings.items():
        if code not in known:
            errors[f"condition-{code}"] = _l("This condition is not in the Rules.")
        elif not finding["reason"]:
            errors[f"condition-{code}-reason"] = _l("Say why you depart from the rules' finding on this condition.")
    return errors


def _ground_errors(proposed: dict[int, dict], verdicts: dict[int, dict], added: dict[int, str],
                   reasonings: dict[int, dict], law) -> dict:
    """Every proposed ground accepted (with its reasoning) or rejected with a reason; every added one supported."""
    errors = {}
    for number in proposed:
        verdict = verdicts.get(number)
        if verdict is None:
            errors[f"ground-{number}"] = _l("Accept or reject this ground.")
        elif not verdict["accept"] and not verdict["reason"].strip():
            errors[f"ground-{number}-reason"] = _l("Say why you reject the ground the rules propose.")
        elif verdict["accept"]:
            errors.update(_reasoning_errors(f"ground-{number}-reasoning",
                                            {**proposed[number]["reasoning"], **reasonings.get(number, {})}, law))
    for number, reason in added.items():
        if number in proposed or not 1 <= number <= 5:
            errors[f"add-{number}"] = _l("This ground cannot be added.")
        elif not reason.strip():
            errors[f"add-{number}-reason"] = _l("Say which facts support this ground.")
        elif unfinished(reason, law.code):
            errors[f"add-{number}-reason"] = _l("Replace the part in square brackets with the facts.")
    return errors


def _no_grounds_errors(proposal: dict) -> dict:
    """п.4: a certificate needs every condition met by a stated fact; "no grounds" would lead to one."""
    if open_conditions := not_met_by_a_fact(proposal["conditions"]):
        return {"conditions": _l(
            "No grounds cannot be concluded while conditions of п.4 are not met by a stated fact: %(names)s. "
            "Obtain the facts (the state systems, the documents), or record your own finding with its reason.",
            names="; ".join(localized(c["text"]) for c in open_conditions))}
    return {}


def _kept_reasoning(kept: list[int], proposed: dict[int, dict], added: dict[int, str],
                    reasonings: dict[int, dict]) -> dict[str, dict]:
    """Each kept ground's reasoning by language: an added ground's as the clerk wrote it, a proposed one's as
    the clerk worded it (or as the rules proposed it)."""
    reasoning = {}
    for n in kept:
        if n in added:
            reasoning[str(n)] = same_in_all(added[n].strip())
        else:
            texts = {**proposed[n]["reasoning"], **reasonings.get(n, {})}
            reasoning[str(n)] = {lang: text.strip() for lang, text in texts.items()}
    return reasoning


def review_decision(application: Application) -> ReviewDecision | None:
    """The latest review (п.8) of the case."""
    return db.session.scalar(db.select(ReviewDecision).filter_by(application_id=application.id, stage="review")
                             .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc()).limit(1))


def decisions(application: Application) -> list[ReviewDecision]:
    return list(db.session.scalars(db.select(ReviewDecision).filter_by(application_id=application.id)
                                   .order_by(ReviewDecision.decided_at, ReviewDecision.id)))


# --- deadline bookkeeping --------------------------------------------------------------------

def _meet(application: Application, codes: tuple[str, ...], now) -> None:
    for deadline in application.deadlines:
        if deadline.code in codes and deadline.state == OPEN:
            deadline.state, deadline.met_at, deadline.next_check_at = MET, now, None


def _close(application: Application, codes: tuple[str, ...]) -> None:
    for deadline in application.deadlines:
        if deadline.code in codes and deadline.state == OPEN:
            deadline.state, deadline.next_check_at = CLOSED, None


def _close_open(application: Application) -> None:
    """The case ended: terms still running no longer apply (they are not missed)."""
    for deadline in application.deadlines:
        if deadline.state == OPEN:
            deadline.state, deadline.next_check_at = CLOSED, None


def _plain(value):
    """JSON-safe copy (sets become sorted lists)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
