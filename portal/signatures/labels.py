"""The names of what a signed document is for and of a verification's verdict (portal/signatures/messages.py)."""
from __future__ import annotations

from portal.core.labels import register
from portal.signatures.messages import _FALLBACK as INDICATIONS, PURPOSES

register("signature_purpose", PURPOSES)
register("signature_indication", INDICATIONS)
