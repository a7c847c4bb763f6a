"""The names of the terms of the Rules (rules/deadlines.py's codes), as the case page, mails and lists show them."""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register
from rules.deadlines import (COMPLAINT_AUTHORITY, COMPLAINT_FORWARD, COMPLAINT_PROVIDER, COMPLETENESS, HEARING,
                             HEARING_NOTICE, REGISTRATION, REISSUE_REVIEW, REVIEW, SERVICE, SERVICE_REISSUE)

# rules/ knows no Flask nor catalogs: its codes are named here, on the portal's side.
DEADLINES = {
    REGISTRATION: _l("Registration of the application"),
    COMPLETENESS: _l("Check of completeness; motivated refusal of further consideration if incomplete"),
    REVIEW: _l("Review of the documents against the Rules"),
    REISSUE_REVIEW: _l("Check of the re-issuance documents"),
    SERVICE: _l("Result of the service: certificate or motivated refusal"),
    SERVICE_REISSUE: _l("Result of the re-issuance"),
    HEARING_NOTICE: _l("Latest day to notify of a preliminary refusal and the hearing"),
    HEARING: _l("Latest day to hold the hearing"),
    COMPLAINT_FORWARD: _l("Forward the complaint with the case, unless a favourable act"),
    COMPLAINT_PROVIDER: _l("Decision on a complaint to the provider"),
    COMPLAINT_AUTHORITY: _l("Decision on a complaint to the quality-control authority"),
}

register("deadline", DEADLINES)
