"""The EDS stamp printed on a signed act: who signed it, with what certificate, when, and where to check it."""
from __future__ import annotations

import re
from datetime import datetime

import segno

# One attribute of an RFC 4514 name ("C=KZ,CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)"): commas inside a value are escaped.
_DN_PART = re.compile(r"((?:[^,\\]|\\.)+)")


def stamp(record: dict | None, check_url: str) -> dict | None:
    """The stamp of a signer record (signatures.services.signer_record), with dates read and the QR of check_url."""
    if not record:
        return None

    def moment(name: str) -> datetime | None:
        try:
            return datetime.fromisoformat(record[name]) if record.get(name) else None
        except (TypeError, ValueError):
            return None

    return {**record, "signed_at": moment("signed_at"), "valid_from": moment("valid_from"),
            "valid_until": moment("valid_until"), "check_url": check_url, "qr": qr_code(check_url),
            "issuer_name": issuer_name(record.get("issuer"))}


def issuer_name(issuer: str | None) -> str:
    """The certification authority by its name (the issuer's CN), as printed stamps name it; else the DN as kept."""
    for part in _DN_PART.findall(issuer or ""):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN" and value.strip():
            return re.sub(r"\\(.)", r"\1", value.strip())
    return issuer or ""


def qr_code(link: str) -> str:
    """The public check's link as an SVG data URI (printed; a phone opens the check from it)."""
    return segno.make(link, error="m").svg_data_uri(scale=4)
