"""The one next step of a case, and by when: what its reader does now, or whom it waits for until when.

`next_step` is a pure function of the case's stage, its terms (the Deadline rows the deadlines service keeps
and shows: every date here is one of theirs, never counted again), what the applicant did at the hearing
stage (HearingFacts) and who reads it. The cabinet, the case page and the complaint pages put its sentence
first. `complaint_step` does the same for a complaint, naming its terms as the complaint's own.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time

from markupsafe import Markup, escape

from portal.applications.services import missing_fields
from portal.core.clock import ALMATY
from portal.core.i18n import gettext, official_date, official_datetime
from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register
from rules.deadlines import (COMPLAINT_AUTHORITY, COMPLAINT_FORWARD, COMPLAINT_PROVIDER, COMPLETENESS, HEARING, HEARING_NOTICE,
                            REGISTRATION, REISSUE_REVIEW, REVIEW, SERVICE, SERVICE_REISSUE)

# Who reads the step: the applicant, or one of the provider's staff.
APPLICANT, CLERK, SIGNATORY = "applicant", "clerk", "signatory"
# How a step sorts in the cabinet: something to do by a date, then something to do, then waiting, then done.
ACT_BY, ACT, WAIT, DONE = 0, 1, 2, 3


@dataclass(frozen=True)
class HearingFacts:
    """What the hearing stage of a case holds (п.9, п.10): read from its notice and booked slot."""

    method: str                          # in_person | video | written
    proposed_at: datetime | None = None  # in writing: the moment the position is awaited until
    slot_at: datetime | None = None      # the booked hearing's start
    waived: bool = False
    position_stated: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """What the step is computed from: the case's stage and kind, and its own terms by code."""

    status: str
    kind: str = "accreditation"
    terms: dict | None = None            # code -> Deadline row (due_date, due_at)
    ready_to_submit: bool = False        # a draft with every field Appendix 1 cannot do without
    hearing: HearingFacts | None = None
    reissue_refused: bool = False        # п.12: a re-issuance its certificate does not allow (decisions' check)


@dataclass(frozen=True)
class NextStep:
    """One step: its sentence (with its date), whether the reader acts, and where it is done."""

    key: str
    text: Markup
    rank: int
    due: date | datetime | None = None
    endpoint: str | None = None
    link_text: str = ""
    anchor: str = ""
    per_case: bool = True  # the endpoint takes the case's id (not a list of all cases, as decisions to sign)

    @property
    def mine(self) -> bool:
        """The reader has something to do (not only to wait for someone else)."""
        return self.rank in (ACT_BY, ACT, DONE)

    def sort_key(self) -> tuple:
        """Rank first, then the nearest due moment (a term's last day counts to its end); undated last."""
        if isinstance(self.due, datetime):
            return (self.rank, self.due.timestamp())
        if isinstance(self.due, date):
            return (self.rank, datetime.combine(self.due, time.max, tzinfo=ALMATY).timestamp())
        return (self.rank, float("inf"))


def _sentence(message, **dates) -> Markup:
    """The translated sentence with each date in a <time> element (the translation decides the word order)."""
    params = {}
    for name, value in dates.items():
        shown = official_datetime(value) if isinstance(value, datetime) else official_date(value)
        params[name] = Markup('<time datetime="{}"><strong>{}</strong></time>').format(value.isoformat(), shown)
    text = escape(str(message))  # a lazy string: its translation, formatted here
    return Markup(text % params) if params else text


def _term(facts: CaseFacts, *codes: str):
    terms = facts.terms or {}
    return next((terms[c] for c in codes if c in terms), None)


def _wait(key: str, message, term, undated) -> NextStep:
    """Nothing to do for the reader: someone else acts, by the term's last day (as the deadlines table shows it)."""
    if term is None:
        return NextStep(key, _sentence(undated), WAIT)
    return NextStep(key, _sentence(message, day=term.due_date), WAIT, term.due_date)


def _act(key: str, message, undated, due, endpoint: str, link_text: str, anchor: str = "", **dates) -> NextStep:
    """Something for the reader to do, by `due` when there is one (`dates` name it in the sentence)."""
    if due is None:
        return NextStep(key, _sentence(undated), ACT, None, endpoint, link_text, anchor)
    return NextStep(key, _sentence(message, **dates), ACT_BY, due, endpoint, link_text, anchor)


_PROVIDER_WORKS = _l("Nothing to do now: the provider is working on your application.")


# --- the applicant ---------------------------------------------------------------------------

def _applicant_hearing(facts: CaseFacts, now: datetime) -> NextStep:
    hearing = facts.hearing or HearingFacts(method="in_person")
    hearing_term, service = _term(facts, HEARING), _term(facts, SERVICE, SERVICE_REISSUE)
    if hearing.waived:
        return _waived(service)
    if hearing.method == "written":
        if hearing.position_stated:
            return _wait("position_received", _l("Nothing to do: the provider weighs your written position at a "
                                                 "hearing in writing by %(day)s."), hearing_term, _PROVIDER_WORKS)
        due = hearing.proposed_at or (hearing_term.due_at if hearing_term else None)
        return _act("state_position", _l("State your position by %(moment)s."),
                    _l("State your position on the preliminary decision."), due, "hearings.hearing",
                    gettext("State your position"), "#position-form", moment=due)
    if hearing.slot_at is None:
        day = hearing_term.due_date if hearing_term else None
        return _act("choose_slot", _l("Choose a hearing time by %(day)s."), _l("Choose a hearing time."), day,
                    "hearings.hearing", gettext("Choose a time"), "#slots", day=day)
    if hearing.slot_at > now:
        message = (_l("Join the hearing by video on %(moment)s.") if hearing.method == "video"
                   else _l("Come to the hearing on %(moment)s."))
        return _act("attend", message, message, hearing.slot_at, "hearings.hearing", gettext("Open the hearing"),
                    moment=hearing.slot_at)
    return _wait("hearing_to_record", _l("Nothing to do: the provider records the hearing and prepares the final "
                                         "decision by %(day)s."), service, _PROVIDER_WORKS)


def _waived(service) -> NextStep:
    return _wait("waived", _l("You declined the hearing. Nothing to do: the provider prepares the final decision by "
                              "%(day)s."), service, _l("You declined the hearing. Nothing to do: the provider "
                                                       "prepares the final decision."))


def _read(key: str, message) -> NextStep:
    return NextStep(key, _sentence(message), DONE, None, "decisions.show", gettext("Read the decision"))


def _applicant(facts: CaseFacts, now: datetime) -> NextStep | None:
    status, service = facts.status, _term(facts, SERVICE, SERVICE_REISSUE)
    if status == "draft":
        if facts.ready_to_submit:
            return NextStep("submit", _sentence(_l("Sign and submit the application.")), ACT, None,
                            "applications.submit", gettext("Sign and submit"))
        return NextStep("fill_in", _sentence(_l("Fill in the application and attach the documents.")), ACT, None,
                        "applications.edit", gettext("Continue the application"))
    if status == "registered":
        return _wait("completeness", _l("Nothing to do: the provider checks that your documents are complete by "
                                        "%(day)s."), _term(facts, COMPLETENESS), _PROVIDER_WORKS)
    if status == "under_review":
        return _wait("review", _l("Nothing to do: the provider reviews your application until %(day)s."),
                     _term(facts, REISSUE_REVIEW, REVIEW), _PROVIDER_WORKS)
    if status == "preliminary_refusal":
        return _applicant_hearing(facts, now)
    if status in ("hearing_held", "decision_drafted") and facts.hearing and facts.hearing.waived:
        return _waived(service)
    if status in ("grounds_found", "awaiting_decision", "hearing_held", "decision_drafted"):
        return _wait("decision", _l("Nothing to do: the provider prepares the decision on your application by "
                                    "%(day)s."), service, _PROVIDER_WORKS)
    if status == "certificate_issued":
        return _read("read_certificate", _l("Read the decision: your accreditation certificate is issued."))
    if status == "refused" or (status == "incomplete_refused" and facts.kind == "reissue"):
        # п.12: a re-issuance refused further consideration has its signed Appendix 4 document too.
        return _read("read_refusal", _l("Read the decision. You may complain against it."))
    if status == "incomplete_refused":
        return NextStep("read_incomplete", _sentence(_l("Read the motivated refusal of further consideration. You may "
                                                        "complain against it, or submit a new application.")), DONE,
                        None, "applications.case", gettext("Read the refusal"), "#decisions-heading")
    return None


# --- the provider's staff ----------------------------------------------------------------------

_DRAFT_DECISION = ("draft_decision", _l("Draft the final decision by %(day)s."), _l("Draft the final decision."),
                   (SERVICE, SERVICE_REISSUE), "applications.case", _l("Draft the final decision"),
                   "#workbench-heading")
_CLERK_STEPS = {
    # status: (key, sentence, sentence without a term, term codes, where it is done, link text, anchor)
    "registered": ("check_completeness", _l("Check completeness by %(day)s."), _l("Check completeness."),
                   (COMPLETENESS,), "review.completeness", _l("Check completeness"), ""),
    "under_review": ("review", _l("Review the application against the Rules by %(day)s."),
                     _l("Review the application against the Rules."), (REISSUE_REVIEW, REVIEW), "review.review",
                     _l("Review against the Rules"), ""),
    "grounds_found": ("send_notice", _l("Send the preliminary decision to refuse and the hearing notice by %(day)s."),
                      _l("Send the preliminary decision to refuse and the hearing notice."), (HEARING_NOTICE,),
                      "hearings.notice", _l("Send the notice"), ""),
    "preliminary_refusal": ("record_hearing", _l("Hold the hearing and record it by %(day)s."),
                            _l("Hold the hearing and record it."), (HEARING,), "hearings.record",
                            _l("Record the hearing"), ""),
    "awaiting_decision": _DRAFT_DECISION,
    "hearing_held": _DRAFT_DECISION,
}


def _clerk(facts: CaseFacts) -> NextStep | None:
    if facts.reissue_refused:  # п.12: the documents do not allow the re-issuance, whatever the stage
        term = _term(facts, SERVICE_REISSUE)
        day = term.due_date if term else None
        return _act("refuse_reissue", _l("Draft the motivated refusal (п.12) by %(day)s."),
                    _l("Draft the motivated refusal (п.12)."), day, "applications.case",
                    gettext("Draft the motivated refusal (п.12)"), "#workbench-heading", day=day)
    if facts.status == "registered" and facts.kind == "reissue":
        term = _term(facts, REISSUE_REVIEW, COMPLETENESS)
        day = term.due_date if term else None
        return _act("check_reissue", _l("Check the documents of the re-issuance by %(day)s."),
                    _l("Check the documents of the re-issuance."), day, "review.completeness",
                    gettext("Check the documents of the re-issuance (п.12)"), day=day)
    if facts.status == "preliminary_refusal" and facts.hearing and facts.hearing.waived:
        term = _term(facts, HEARING)
        day = term.due_date if term else None
        return _act("record_waiver", _l("The applicant declined the hearing: record it by %(day)s, then draft the "
                                        "final decision."),
                    _l("The applicant declined the hearing: record it, then draft the final decision."), day,
                    "hearings.record", gettext("Record the hearing"), day=day)
    if facts.status == "decision_drafted":
        return _wait("awaiting_signature", _l("Nothing to do: the authorised person signs the decision by %(day)s."),
                     _term(facts, SERVICE, SERVICE_REISSUE), _l("Nothing to do: the authorised person signs "
                                                                     "the decision."))
    spec = _CLERK_STEPS.get(facts.status)
    if spec is None:
        return None
    key, message, undated, codes, endpoint, link, anchor = spec
    term = _term(facts, *codes)
    day = term.due_date if term else None
    return _act(key, message, undated, day, endpoint, str(link), anchor, day=day)


def _signatory(facts: CaseFacts) -> NextStep | None:
    if facts.status != "decision_drafted":
        return None
    term = _term(facts, SERVICE, SERVICE_REISSUE)
    day = term.due_date if term else None
    step = _act("sign", _l("Sign the decision by %(day)s."), _l("Sign the decision."), day, "decisions.queue",
                gettext("Decisions to sign"), day=day)
    return replace(step, per_case=False)


def next_step(facts: CaseFacts, role: str, now: datetime) -> NextStep | None:
    """The one next step of the case for a reader in `role`; None when there is none for that role."""
    if role == APPLICANT:
        return _applicant(facts, now)
    if role == CLERK:
        return _clerk(facts)
    if role == SIGNATORY:
        return _signatory(facts)
    return None


def first_step(steps):
    """Of (case, step) pairs, the one to put first: something to do by the nearest date, then the rest."""
    ranked = sorted(((case, step) for case, step in steps if step is not None), key=lambda pair: pair[1].sort_key())
    return ranked[0] if ranked else None


# --- a complaint's own terms -----------------------------------------------------------------

# A complaint's terms named as the complaint's own, wherever its terms are listed (`code|label("complaint_term")`):
# the deadlines' own names are the application's ("Registration of the application").
COMPLAINT_TERMS = {
    REGISTRATION: _l("Registration of the complaint"),
    COMPLAINT_FORWARD: _l("The complaint satisfied in full by a favourable act, or forwarded to the "
                            "quality-control authority"),
    COMPLAINT_PROVIDER: _l("Decision on the complaint addressed to the provider"),
    COMPLAINT_AUTHORITY: _l("Decision on the complaint by the quality-control authority"),
    "authority_order": _l("Carrying out the decision on the complaint"),
}
register("complaint_term", COMPLAINT_TERMS)

# For the applicant, a complaint waits for someone else; for the provider's staff and the authority it is work.
_COMPLAINT_STEPS = {
    # (status, who reads): (key, sentence, sentence without a term, term code, rank)
    ("at_provider", APPLICANT): (
        "complaint_forward", _l("Your complaint is with the provider: it satisfies it in full or forwards it to the "
                                "quality-control authority by %(day)s."),
        _l("Your complaint is with the provider."), COMPLAINT_FORWARD, WAIT),
    ("at_authority", APPLICANT): (
        "complaint_decision", _l("Decision on your complaint due by %(day)s."),
        _l("Your complaint is with the quality-control authority."), COMPLAINT_AUTHORITY, WAIT),
    ("order", APPLICANT): (
        "complaint_order", _l("The provider must carry out the decision on your complaint by %(day)s."),
        _l("The provider must carry out the decision on your complaint."), "authority_order", WAIT),
    ("at_provider", "provider"): (
        "complaint_forward", _l("Satisfy the complaint in full by a favourable act, or forward it to the "
                                "quality-control authority, by %(day)s."),
        _l("Satisfy the complaint in full by a favourable act, or forward it to the quality-control authority."),
        COMPLAINT_FORWARD, ACT_BY),
    ("at_authority", "authority"): (
        "complaint_decision", _l("Decide on the complaint by %(day)s."), _l("Decide on the complaint."),
        COMPLAINT_AUTHORITY, ACT_BY),
    ("at_authority", "provider"): (
        "complaint_decision", _l("Decision on the complaint by the quality-control authority due by %(day)s."),
        _l("The complaint is with the quality-control authority."), COMPLAINT_AUTHORITY, WAIT),
    ("order", "provider"): (
        "complaint_order", _l("Carry out the decision on the complaint by %(day)s."),
        _l("Carry out the decision on the complaint."), "authority_order", ACT_BY),
}


def complaint_step(status: str, terms: dict, order_pending: bool = False, role: str = APPLICANT) -> NextStep | None:
    """What a complaint waits for, named as the complaint's own term: its forwarding or decision, or the order.

    With the provider (п.17) the provider either satisfies it fully or forwards it by the forwarding term; at the
    authority (п.18, п.19) the decision on it is due by its own term; after a decision that orders the provider
    to act, the order is carried out by the day the decision set (the term "authority_order").
    """
    reader = "provider" if role in ("supervisor", CLERK) else role  # those who act for the provider on complaints
    stage = "order" if status == "decided" and order_pending else status
    spec = _COMPLAINT_STEPS.get((stage, reader))
    if spec is None:
        return None
    key, message, undated, code, rank = spec
    term = terms.get(code)
    if term is None:
        return NextStep(key, _sentence(undated), ACT if rank == ACT_BY else rank)
    return NextStep(key, _sentence(message, day=term.due_date), rank, term.due_date)


def complaint_step_of(complaint, role: str = APPLICANT) -> NextStep | None:
    """complaint_step for a complaint whose terms (complaint.deadlines) are loaded or loadable."""
    return complaint_step(complaint.status, {d.code: d for d in complaint.deadlines}, complaint.order_pending, role)


# --- the facts of a case, as the pages have them loaded ------------------------------------------

# The stages whose step depends on the hearing: the hearing itself, and the decision after a waiver.
HEARING_STAGES = ("preliminary_refusal", "hearing_held", "decision_drafted")


def hearing_of(refusal, slot=None) -> HearingFacts | None:
    """The HearingFacts of a case's notice (PreliminaryRefusal) and booked slot (HearingSlot), if it has a notice."""
    if refusal is None:
        return None
    return HearingFacts(method=refusal.method, proposed_at=refusal.proposed_at,
                        slot_at=slot.starts_at if slot is not None else None,
                        waived=refusal.waived_at is not None, position_stated=refusal.position_at is not None)


def case_facts(application, hearing: HearingFacts | None = None, reissue_refused: bool = False) -> CaseFacts:
    """The facts of a case whose own terms (application.deadlines) are loaded; a draft's fields are checked."""
    return CaseFacts(status=application.status, kind=application.kind,
                     terms={d.code: d for d in application.deadlines},
                     ready_to_submit=application.is_draft and not missing_fields(application),
                     hearing=hearing, reissue_refused=reissue_refused)


def steps_of(cases, role: str, now: datetime, hearings: dict) -> dict:
    """Each case's next step by its id (`hearings`: HearingFacts by case id, for the cases at those stages)."""
    return {case.id: next_step(case_facts(case, hearings.get(case.id)), role, now) for case in cases}
