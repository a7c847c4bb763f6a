"""What the case page shows of the review: decisions for everyone, the workbench for staff."""
from __future__ import annotations

from portal.law.services import law_for
from portal.review.services import decisions


def review_context(application, user) -> dict:
    law = law_for(application)
    names = {doc.code: doc.name for doc in law.document_list(application.kind, application.route).documents}
    # The clerk's departures from the rules' findings, with their reasons, are for the provider's staff (the
    # supervisor) and the authority (item 13 of issue 14); the applicant sees the decisions and their reasoning.
    context = {"decisions": decisions(application), "document_names": names,
               "ground_texts": {g.number: g.text for g in law.grounds},
               "condition_texts": {c.code: c.text for c in law.conditions},
               "show_overrides": user.is_staff, "workbench": None}
    if user.is_staff:
        context["workbench"] = {"facts": application.latest_state_facts}  # read with the case (CASE_PAGE)
    return context
