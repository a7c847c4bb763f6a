"""The names of how a hearing is held and of what it concluded (portal/hearings/models.py)."""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register
from portal.hearings.models import IN_PERSON, VIDEO, WRITTEN
from portal.hearings.services import POSITION_DOCUMENT

METHODS = {
    IN_PERSON: _l("In person, at an address"),
    VIDEO: _l("By video link"),
    WRITTEN: _l("In writing"),
}
# HearingRecord.outcome
OUTCOMES = {
    "refusal_upheld": _l("The grounds for refusal are confirmed"),
    "refusal_withdrawn": _l("The grounds for refusal are withdrawn"),
}

register("hearing_method", METHODS)
register("hearing_outcome", OUTCOMES)
register("document", {POSITION_DOCUMENT: _l("Document supporting the applicant's position")})
