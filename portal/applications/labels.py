"""The names of a case's statuses, kinds and routes (portal/applications/models.py)."""
from __future__ import annotations

from portal.applications.models import (ACCREDITATION, AWAITING_DECISION, CERTIFICATE_ISSUED, CHANCELLERY,
                                        DECISION_DRAFTED, DRAFT, GROUNDS_FOUND, HEARING_HELD, INCOMPLETE_REFUSED,
                                        PORTAL, PRELIMINARY_REFUSAL, REFUSED, REGISTERED, REISSUE, UNDER_REVIEW)
from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register

STATUSES = {
    DRAFT: _l("Draft"),
    REGISTERED: _l("Accepted and registered"),
    INCOMPLETE_REFUSED: _l("Refused further consideration: incomplete package"),
    UNDER_REVIEW: _l("Under review"),
    GROUNDS_FOUND: _l("Grounds for refusal found"),
    AWAITING_DECISION: _l("No grounds found: decision being prepared"),
    PRELIMINARY_REFUSAL: _l("Preliminary decision to refuse: hearing"),
    HEARING_HELD: _l("Hearing stage over: final decision being prepared"),
    DECISION_DRAFTED: _l("Decision drafted: awaiting signature"),
    CERTIFICATE_ISSUED: _l("Certificate issued"),
    REFUSED: _l("Refused"),
}
KINDS = {
    ACCREDITATION: _l("Accreditation"),
    REISSUE: _l("Re-issuance"),
}
ROUTES = {
    PORTAL: _l("through the portal"),
    CHANCELLERY: _l("paper, via the chancellery"),
}

register("status", STATUSES)
register("application_kind", KINDS)
register("route", ROUTES)
