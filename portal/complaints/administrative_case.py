"""The administrative case (п.17): everything about a case in one place and in order, and as one archive.

The archive is a ZIP with the documents, the signed XML documents as received with every signed field in
words (<id>-<purpose>.fields.txt) and their verification reports,
the rules' proposals and the clerk's decisions, the hearing, the decision, the complaints, the deadlines
and the event log as JSON and PDF, and a manifest of SHA-256 sums (MANIFEST.sha256 reads with
`sha256sum -c`).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import inspect, select

from portal.complaints import queries
from portal.core.clock import now_utc
from portal.deadlines.models import Deadline
from portal.decisions.services import decision_of
from portal.documents.services import file_path
from portal.events.services import timeline, verify_chain
from portal.extensions import db
from portal.hearings.services import booked_slot, hearing_record, refusal_of
from portal.review.models import ReviewDecision
from portal.signatures import signed_fields

# Bytes columns go into the archive as files of their own, never inside the JSON.
_SKIP = {"document", "decision_document", "password_hash"}


def as_dict(row) -> dict:
    """A row's columns as JSON-ready values."""
    out = {}
    for attr in inspect(row).mapper.column_attrs:
        if attr.key in _SKIP:
            continue
        value = getattr(row, attr.key)
        if isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, bytes):
            continue
        out[attr.key] = value
    return out


@dataclass
class AdministrativeCase:
    """What the authority reads: the case and everything that happened in it, in order."""

    application: object
    documents: list
    signatures: list
    reviews: list
    refusal: object
    slot: object
    hearing: object
    decision: object
    complaints: list
    deadlines: list
    events: list
    chain: object = None


def gather(application) -> AdministrativeCase:
    return AdministrativeCase(
        application=application,
        documents=list(application.documents),
        signatures=list(application.signatures),
        reviews=list(db.session.scalars(select(ReviewDecision).filter_by(application_id=application.id)
                                        .order_by(ReviewDecision.decided_at, ReviewDecision.id))),
        refusal=refusal_of(application), slot=booked_slot(application), hearing=hearing_record(application),
        decision=decision_of(application), complaints=queries.of_case(application),
        deadlines=list(db.session.scalars(select(Deadline).filter_by(application_id=application.id)
                                          .order_by(Deadline.due_at, Deadline.id))),
        events=timeline(application), chain=chain_report(application))


def chain_report(application):
    """Whether the case's event log is intact (events.chain.ChainReport)."""
    return verify_chain(application.id)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", name, flags=re.UNICODE).strip("._") or "file"


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def build_archive(case: AdministrativeCase, log_pdf: bytes | None = None) -> bytes:
    """The ZIP of the administrative case, with MANIFEST.sha256 and manifest.json over every other file."""
    files: dict[str, bytes] = {}
    application = case.application
    files["case.json"] = _json({"application": as_dict(application),
                                "complexes": [as_dict(c) for c in application.complexes],
                                "organization": as_dict(application.organization),
                                "archived_at": now_utc().isoformat()})
    files["documents/documents.json"] = _json([as_dict(d) for d in case.documents])
    for document in case.documents:
        path = file_path(document)
        if os.path.exists(path):
            with open(path, "rb") as f:
                files[f"documents/{document.id}-{_safe(document.original_name)}"] = f.read()
    for signature in case.signatures:
        stem = f"signatures/{signature.id}-{signature.purpose}"
        files[f"{stem}.xml"] = signature.document
        # What was signed, every field in words, beside the XML kept as it was received (issue 13, item 4).
        files[f"{stem}.fields.txt"] = signed_fields.as_text(signed_fields.fields(signature.document)).encode("utf-8")
        files[f"{stem}.report.json"] = _json({**as_dict(signature), "report": signature.report})
    files["review.json"] = _json([as_dict(r) for r in case.reviews])
    files["hearing.json"] = _json({"preliminary_refusal": as_dict(case.refusal) if case.refusal else None,
                                   "slot": as_dict(case.slot) if case.slot else None,
                                   "record": as_dict(case.hearing) if case.hearing else None})
    if case.decision is not None:
        files["decision.json"] = _json(as_dict(case.decision))
        if case.decision.document:
            files[f"decision/{_safe(case.decision.number or 'draft')}.xml"] = case.decision.document
    for complaint in case.complaints:
        stem = f"complaints/{_safe(complaint.number or str(complaint.id))}"
        files[f"{stem}.json"] = _json({**as_dict(complaint), "deadlines": [as_dict(d) for d in complaint.deadlines]})
        if complaint.decision_document:
            files[f"{stem}.decision.xml"] = complaint.decision_document
    files["deadlines.json"] = _json([as_dict(d) for d in case.deadlines])
    files["events.json"] = _json({"chain": case.chain.as_dict(), "events": [as_dict(e) for e in case.events]})
    if log_pdf is not None:
        files["events.pdf"] = log_pdf
    manifest = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                for name, data in sorted(files.items())}
    files["manifest.json"] = _json({"case": application.number, "files": manifest})
    files["MANIFEST.sha256"] = "".join(f"{m['sha256']}  {name}\n" for name, m in manifest.items()).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()

