"""Operations of the review: the rules propose, the clerk decides, and both are kept."""
from __future__ import annotations

from portal.applications.models import (AWAITING_DECISION, GROUNDS_FOUND, INCOMPLETE_REFUSED, PORTAL, REGISTERED,
                                        UNDER_REVIEW, Application)
from portal.core.clock import now_utc, today_local
from portal.core.concurrency import check_version
from portal.core.i18n import lazy_gettext as _l
from portal.deadlines.models import CLOSED, MET, OPEN
from portal.events import services as events
from portal.extensions import db
from portal.gateway.services import latest_state_facts
from portal.law.services import law_for
from portal.notifications import hooks as notifications
from portal.review.models import ReviewDecision
from rules.completeness import check_completeness
from rules.grounds import assess


class WrongStage(Exception):
    """The case is not at the stage this action belongs to (someone moved it on)."""


class InvalidDecision(ValueError):
    """A decision the clerk must correct; `errors` maps form fields to messages."""

    def __init__(self, errors: dict):
        super().__init__("invalid decision")
        self.errors = errors


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

def propose_completeness(application: Application) -> list[dict]:
    attached = [{"code": d.code, "expires_on": d.expires_on} for d in application.documents]
    if application.route == PORTAL:
        attached.append({"code": "application"})  # on the portal the form itself is the application
    return check_completeness(application.kind, application.route, attached, today_local(), law_for(application))


def decide_completeness(application: Application, clerk, findings: list[dict], note: str,
                        expected_version: int | None) -> ReviewDecision:
    """Record the clerk's finding; an incomplete package ends the case with a motivated refusal."""
    check_version(application, expected_version)
    if application.status != REGISTERED:
        raise WrongStage()
    if errors := _too_long({"note": (note, MAX_NOTE)}):
        raise InvalidDecision(errors)
    known = {item.code for item in law_for(application).document_list(application.kind, application.route).documents}
    if any(f["code"] not in known or f["problem"] not in ("missing", "expired") for f in findings):
        raise InvalidDecision({"findings": _l("Choose only documents of the list.")})
    if findings and not note.strip():
        raise InvalidDecision({"note": _l("Give the reasons of the motivated refusal.")})
    now = now_utc()
    outcome = "incomplete" if findings else "complete"
    decision = ReviewDecision(application_id=application.id, stage="completeness", outcome=outcome,
                              proposed={"findings": _plain(propose_completeness(application))},
                              decided={"findings": findings}, note=note.strip(), clerk_id=clerk.id, decided_at=now)
    db.session.add(decision)
    _meet(application, ("completeness",), now)
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

def propose_review(application: Application, documents_unreliable: bool | None = None) -> dict:
    return assess(application_facts(application), state_facts(application, documents_unreliable),
                  law_for(application))


def decide_review(application: Application, clerk, verdicts: dict[int, dict], added: dict[int, str], note: str,
                  documents_unreliable: bool | None, expected_version: int | None) -> ReviewDecision:
    """verdicts: proposed ground -> {"accept": bool, "reason": str}; added: ground -> reason."""
    check_version(application, expected_version)
    if application.status != UNDER_REVIEW:
        raise WrongStage()
    proposal = propose_review(application, documents_unreliable)
    proposed = {g["number"] for g in proposal["grounds"]}
    errors = {}
    for number in proposed:
        verdict = verdicts.get(number)
        if verdict is None:
            errors[f"ground-{number}"] = _l("Accept or reject this ground.")
        elif not verdict["accept"] and not verdict["reason"].strip():
            errors[f"ground-{number}-reason"] = _l("Say why you reject the ground the rules propose.")
    for number, reason in added.items():
        if number in proposed or not 1 <= number <= 5:
            errors[f"add-{number}"] = _l("This ground cannot be added.")
        elif not reason.strip():
            errors[f"add-{number}-reason"] = _l("Say which facts support this ground.")
    errors.update(_too_long({"note": (note, MAX_NOTE),
                             **{f"ground-{n}-reason": (v["reason"], MAX_REASON) for n, v in verdicts.items()},
                             **{f"add-{n}-reason": (reason, MAX_REASON) for n, reason in added.items()}}))
    if errors:
        raise InvalidDecision(errors)
    kept = sorted([n for n in proposed if verdicts[n]["accept"]] + list(added))
    now = now_utc()
    decision = ReviewDecision(
        application_id=application.id, stage="review", outcome="grounds" if kept else "no_grounds",
        proposed=_plain(proposal), note=note.strip(), clerk_id=clerk.id, decided_at=now,
        decided={"grounds": kept, "documents_unreliable": documents_unreliable,
                 "rejected": {str(n): verdicts[n]["reason"].strip() for n in proposed if not verdicts[n]["accept"]},
                 "added": {str(n): r.strip() for n, r in added.items()}})
    db.session.add(decision)
    _meet(application, ("review", "reissue_review"), now)
    if not kept:
        # No grounds, so no preliminary refusal: the hearing's terms (п.10) no longer apply and are not missed.
        _close(application, ("hearing_notice", "hearing"))
    application.status = GROUNDS_FOUND if kept else AWAITING_DECISION
    events.record(application, "review.decided", actor=clerk, grounds=kept)
    return decision


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
