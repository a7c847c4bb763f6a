"""The names of a complaint's states, outcomes, addressees and subjects (portal/complaints/models.py)."""
from __future__ import annotations

from portal.complaints.models import (ACTION, AT_AUTHORITY, AT_PROVIDER, AUTHORITY_ORDER, DECIDED, DECISION,
                                      FAVOURABLE_ACT, INACTION, NOT_CONSIDERED, PARTLY_SATISFIED, REFUSED,
                                      SATISFIED, TO_AUTHORITY, TO_PROVIDER)
from portal.core.i18n import cite, lazy_gettext as _l, official_date
from portal.core.labels import label, register, register_resolver
from portal.decisions.models import CERTIFICATE

STATUSES = {
    AT_PROVIDER: _l("With the service provider"),
    AT_AUTHORITY: _l("With the quality-control authority"),
    DECIDED: _l("Decided"),
}
OUTCOMES = {
    FAVOURABLE_ACT: _l("Fully satisfied by a favourable act of the provider"),
    SATISFIED: _l("Satisfied"),
    PARTLY_SATISFIED: _l("Partly satisfied"),
    REFUSED: _l("Not satisfied"),
    NOT_CONSIDERED: _l("Left without consideration"),
}
ADDRESSEES = {
    TO_PROVIDER: _l("The service provider"),
    TO_AUTHORITY: _l("The quality-control authority"),
}
# What a complaint is about (п.16); ACTS below name the very act, with its date.
SUBJECTS = {
    DECISION: _l("A decision of the provider"),
    ACTION: _l("An action of the provider"),
    INACTION: _l("Inaction of the provider"),
}
# Who decided it (Complaint.decided_by).
DECIDERS = {
    "provider": _l("The service provider"),
    "authority": _l("The quality-control authority"),
}


def attachment(code) -> object | None:
    """A complaint's attachments carry "complaint:<id>" (Complaint.attachment_code)."""
    return _l("Attachment to a complaint") if str(code).startswith("complaint:") else None


# What a filed complaint's subject_ref ("decision:5", "deadline:9", "case") points at, by its first part.
SUBJECT_REFS = {
    "decision": _l("Final decision"),
    "review": _l("The review's decision"),
    "preliminary_refusal": _l("Preliminary decision to refuse"),
    "hearing": _l("The hearing"),
    "deadline": _l("Inaction of the provider"),
    "case": _l("An action of the provider"),
}


def subject_ref(ref) -> object | None:
    return SUBJECT_REFS.get(str(ref).partition(":")[0])


# The very act a complaint is about, with its number or date (complaints/_subject.html, which adds the links):
# `{{ name|label("complaint_act", {"obj": s.obj, "application": application}) }}`, name the ref's first part and
# obj what it points at (services.Subject). An obj that is not what the ref names (the case, when the act is
# gone) reads as another action on the case.
def _another(p):
    return [(_l("Another action of the provider on case %(number)s"), {"number": getattr(p["application"], "number", "")})]


def _decision(p):
    decision = p["obj"]
    if not hasattr(decision, "number"):
        return _another(p)
    text = (_l("The certificate No. %(number)s") if decision.kind == CERTIFICATE
            else _l("The motivated refusal No. %(number)s"))
    return [(text, {"number": decision.number})]


def _review(p):
    review = p["obj"]
    if not hasattr(review, "stage"):
        return _another(p)
    text = (_l("The motivated refusal of further consideration of %(day)s") if review.stage == "completeness"
            else _l("The finding of grounds for refusal of %(day)s"))
    return [(text, {"day": official_date(review.decided_at)})]


def _dated(text, attribute):
    """An act named by its day: the preliminary refusal sent, the hearing held."""
    def parts(p):
        if not hasattr(p["obj"], attribute):
            return _another(p)
        return [(text, {"day": official_date(getattr(p["obj"], attribute))})]
    return parts


def _inaction(p):
    deadline = p["obj"]
    if not hasattr(deadline, "due_date"):
        return _another(p)
    said = str(_l("Inaction: the term ended on %(day)s without its step —", day=official_date(deadline.due_date)))
    # one line of three texts: plain text, escaped in HTML as it stands
    return [(f"{said} {label(deadline.code, 'deadline')} ({cite(deadline.paragraph)})", {})]


ACTS = {
    "decision": _decision,
    "review": _review,
    "preliminary_refusal": _dated(_l("The preliminary decision to refuse of %(day)s"), "sent_at"),
    "hearing": _dated(_l("The conduct of the hearing of %(day)s"), "held_at"),
    "deadline": _inaction,
    "case": _another,
}


register("complaint_status", STATUSES)
register("complaint_outcome", OUTCOMES)
register("addressee", ADDRESSEES)
register("complaint_subject", SUBJECTS)
register("decider", DECIDERS)
# Not a term of the Rules: the provider's term to carry out the authority's order (п.19).
register("deadline", {AUTHORITY_ORDER: _l("Carrying out the order of the quality-control authority")})
register_resolver("document", attachment)
register_resolver("complaint_subject_ref", subject_ref)
register("complaint_act", ACTS)
register_resolver("complaint_act", lambda _name: _another)  # a ref the portal did not write: the case
