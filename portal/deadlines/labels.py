"""The names of the terms of the Rules (rules/deadlines.py's codes), as the case page, mails and lists show them."""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register, register_resolver
from portal.deadlines.services import NEAR
from rules.deadlines import (CLOSED, COMPLAINT_AUTHORITY, COMPLAINT_FORWARD, COMPLAINT_PROVIDER, COMPLETENESS,
                             HEARING, HEARING_NOTICE, MET, MISSED, OPEN, RECEIPT, REGISTRATION, REISSUE_REVIEW,
                             REVIEW, SERVICE, SERVICE_REISSUE)

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

# A term's state as the badge says it (urgency(): the stored states, and NEAR from the clock).
STATES = {
    OPEN: _l("open"),
    NEAR: _l("one working day left"),
    MET: _l("met"),
    MISSED: _l("missed"),
    CLOSED: _l("no longer applies"),
}
# The day a term counts from, on its band of days (TermBand.event: a Spec's `after`, or the row's starts_from).
TERM_STARTS = {
    REGISTRATION: _l("registered: counting starts the next day"),
    RECEIPT: _l("complaint arrived: counting starts the next day"),
    HEARING_NOTICE: _l("notice sent: counting starts the next day"),
    SERVICE: _l("end of the service term: counted back from here"),
    SERVICE_REISSUE: _l("end of the service term: counted back from here"),
}
ANY_TERM_START = _l("the event the term counts from")

register("deadline", DEADLINES)
register("deadline_state", STATES)
register("term_start", TERM_STARTS)
# Any other event a term counts from (the authority's decision, for the order of п.19) reads in general words.
register_resolver("term_start", lambda _code: ANY_TERM_START)
