"""One-time log-in challenges, and the verification reports of a case's signed documents."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db

# Certificate roles that may sign for a legal entity without a power of attorney.
AUTHORISED_ROLES = ("first_head", "signing_right")


class LoginChallenge(db.Model):
    """A nonce the portal issued for log-in with EDS: valid until expires_at, usable once."""

    __tablename__ = "login_challenge"
    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False, index=True)
    used_at = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Signature(db.Model):
    """A signed XML document of a case with the verification report it got (issue 4).

    purpose says what was signed: "application" now; decisions (issue 5) add theirs.
    """

    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    # Up to 5 MB: loaded only when someone downloads or archives it, never with the case page.
    document: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    document_sha256: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict] = mapped_column(JSON)
    indication: Mapped[str] = mapped_column(String(20))
    sub_indication: Mapped[str | None] = mapped_column(String(40))
    message_key: Mapped[str] = mapped_column(String(60))
    signer_iin: Mapped[str | None] = mapped_column(String(12))
    signer_bin: Mapped[str | None] = mapped_column(String(12))
    signer_name: Mapped[str] = mapped_column(String(300), default="")
    signer_organization: Mapped[str] = mapped_column(String(300), default="")
    signer_role: Mapped[str | None] = mapped_column(String(30))
    certificate_serial: Mapped[str | None] = mapped_column(String(64))
    # The signer is neither the first head nor a person with signing right: the clerk checks why.
    flagged: Mapped[bool] = mapped_column(default=False)
    verified_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    application = relationship("Application", backref=backref(
        "signatures", order_by="Signature.id", cascade="all, delete-orphan", passive_deletes=True))
    uploaded_by = relationship("User")

    @classmethod
    def from_report(cls, report, document: bytes, purpose: str = "", **kwargs) -> Signature:
        """A row for this report; not added to the session (the public check keeps nothing)."""
        signer = report.signer
        name = " ".join(part for part in (signer.common_name, signer.given_name) if part)
        return cls(purpose=purpose, document=document, document_sha256=hashlib.sha256(document).hexdigest(),
                   report=report.to_dict(), indication=str(report.indication),
                   sub_indication=str(report.sub_indication) if report.sub_indication else None,
                   message_key=report.message_key, signer_iin=signer.iin, signer_bin=signer.bin,
                   # Clipped to the columns: the subject of an untrusted certificate can be anything.
                   signer_name=name[:300], signer_organization=(signer.organization or "")[:300],
                   signer_role=(signer.role or "")[:30] or None,
                   certificate_serial=(signer.certificate_serial or "")[:64] or None,
                   flagged=report.passed and signer.role not in AUTHORISED_ROLES,
                   verified_at=datetime.fromisoformat(report.validation_time), **kwargs)

    @property
    def passed(self) -> bool:
        return self.indication == "TOTAL_PASSED"

    @property
    def report_text(self) -> str:
        """The raw report as indented JSON, names in their own script."""
        return json.dumps(self.report, ensure_ascii=False, indent=2)
