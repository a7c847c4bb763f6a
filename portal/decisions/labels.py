"""The names of the kinds of final decision (portal/decisions/models.py)."""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register
from portal.decisions.models import CERTIFICATE, REFUSAL

KINDS = {
    CERTIFICATE: _l("Accreditation certificate"),
    REFUSAL: _l("Motivated refusal"),
}

register("decision_kind", KINDS)
