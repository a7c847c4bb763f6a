"""The names of a complaint's states, outcomes, addressees and subjects (portal/complaints/models.py)."""
from __future__ import annotations

from portal.complaints.models import (ACTION, AT_AUTHORITY, AT_PROVIDER, AUTHORITY_ORDER, DECIDED, DECISION,
                                      FAVOURABLE_ACT, INACTION, NOT_CONSIDERED, PARTLY_SATISFIED, REFUSED,
                                      SATISFIED, TO_AUTHORITY, TO_PROVIDER)
from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register, register_resolver

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
# What a complaint is about (п.16); complaints/_subject.html names the very act, with its date.
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


register("complaint_status", STATUSES)
register("complaint_outcome", OUTCOMES)
register("addressee", ADDRESSEES)
register("complaint_subject", SUBJECTS)
register("decider", DECIDERS)
# Not a term of the Rules: the provider's term to carry out the authority's order (п.19).
register("deadline", {AUTHORITY_ORDER: _l("Carrying out the order of the quality-control authority")})
register_resolver("document", attachment)
register_resolver("complaint_subject_ref", subject_ref)
