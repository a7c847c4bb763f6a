"""The names of the facts the rules weigh (rules/grounds.py: application_facts and state_facts), and of a
review's outcomes, so a fact reads "label: value in words", never "documents_unreliable=True"."""
from __future__ import annotations

from portal.applications.models import REISSUE
from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register

FACTS = {
    # from the application and its documents
    "main_complex": _l("Main hardware-software complex"),
    "main_channels": _l("Communication channels of the main complex"),
    "backup_complexes": _l("Backup hardware-software complexes"),
    "support_24_7": _l("24/7 technical support"),
    "ui_languages": _l("Languages of the user interface"),
    "security_test_act": _l("Information-security test act"),
    "state_service_integration": _l("Integration with the state service"),
    "consent_personal_data": _l("Consent to the collection and processing of personal data"),
    "consent_secrets": _l("Consent to the use of information constituting secrets protected by law"),
    # from the state information systems (п.13) and the clerk's finding
    "security_test_act_positive": _l("The information-security test act is positive"),
    "court_ban": _l("A court has banned the activity"),
    "court_deprived_special_right": _l("A court has deprived the applicant of the special right"),
    "documents_unreliable": _l("The documents or the data in them are unreliable"),
}
# ReviewDecision.outcome, by stage
OUTCOMES = {
    "complete": _l("The package of documents is complete"),
    "incomplete": _l("Motivated refusal of further consideration of the application"),
    "grounds": _l("Grounds for refusal found"),
    "no_grounds": _l("No grounds for refusal found"),
}
# A document the completeness check found wrong (findings' "problem").
PROBLEMS = {
    "missing": _l("missing"),
    "expired": _l("expired"),
}

# A condition of п.4 as the rules (rules/grounds.py) or the clerk found it; "unknown" when a fact is missing.
CONDITION_STATUSES = {
    "met": _l("met"),
    "not_met": _l("not met"),
    "unknown": _l("unknown"),
}


def _incomplete_heading(p):
    """п.12 refuses an incomplete re-issuance, п.7 an incomplete application."""
    if p["kind"] == REISSUE:
        return [(_l("Motivated refusal of further consideration of the application (п.12)"), {})]
    return [(_l("Motivated refusal of further consideration of the application (п.7)"), {})]


# The heading of a decision of the review on the case page, with its paragraph: `{"kind": application.kind}`.
HEADINGS = {
    "complete": _l("The package of documents is complete (п.7)"),
    "incomplete": _incomplete_heading,
    "grounds": _l("Grounds for refusal found (п.9)"),
    "no_grounds": _l("No grounds for refusal found (п.8)"),
}

register("fact", FACTS)
register("condition_status", CONDITION_STATUSES)
register("review_heading", HEADINGS)
register("review_outcome", OUTCOMES)
register("document_problem", PROBLEMS)
