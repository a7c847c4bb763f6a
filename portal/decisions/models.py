"""A final decision of a case, drafted by a clerk and signed by the signatory with their own EDS (п.11)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime
from portal.extensions import db

CERTIFICATE, REFUSAL = "certificate", "refusal"
DRAFTED, SIGNED = "drafted", "signed"


class Decision(db.Model):
    """The certificate or the motivated refusal: its content, its number and its signed XML."""

    __tablename__ = "decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=DRAFTED)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    content: Mapped[dict] = mapped_column(JSON)
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drafted_at = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at = mapped_column(UTCDateTime)
    issued_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Who signed, read from the verified certificate (portal.signatures.services.signer_record): the EDS stamp.
    signer: Mapped[dict | None] = mapped_column(JSON)

    application = relationship("Application")
    signed_by = relationship("User", foreign_keys=[signed_by_id])
