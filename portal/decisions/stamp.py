"""The EDS stamp printed on a signed act: who signed it, with what certificate, when, and where to check it."""
from __future__ import annotations

from datetime import datetime

import segno


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
            "valid_until": moment("valid_until"), "check_url": check_url, "qr": qr_code(check_url)}


def qr_code(link: str) -> str:
    """The public check's link as an SVG data URI (printed; a phone opens the check from it)."""
    return segno.make(link, error="m").svg_data_uri(scale=4)
