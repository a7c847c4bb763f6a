"""A final decision of a case, drafted by a clerk and signed by the signatory with their own EDS (п.11)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime
from portal.extensions import db

CERTIFICATE, REFUSAL = "certificate", "refusal"
# A drafted decision waits for the signatory; returned, it is back with the clerk (with the signatory's comment)
# until the clerk prepares it again and sends it back (drafted); signed, it is issued.
DRAFTED, RETURNED, SIGNED = "drafted", "returned", "signed"
RETURN_COMMENT_MAX = 2000  # characters of the signatory's comment and of the clerk's answer
# Events of the provider's own work on a draft: shown to staff, never to the applicant (no act of the procedure).
INTERNAL_EVENTS = ("decision.returned", "decision.resent")
SIGNED_CERTIFICATE = text("kind = 'certificate' AND status = 'signed'")


class Decision(db.Model):
    """The certificate or the motivated refusal: its content, its number and its signed XML."""

    __tablename__ = "decision"
    __table_args__ = (
        # The public register walks the signed certificates by their end of validity, latest first
        # (portal.register.queries): a page of it reads 25 index entries, not every certificate.
        Index("ix_decision_register", "valid_until", "id",  # walked backwards: latest first
              sqlite_where=SIGNED_CERTIFICATE, postgresql_where=SIGNED_CERTIFICATE),
    )
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
    returns = relationship("DecisionReturn", order_by="DecisionReturn.returned_at, DecisionReturn.id",
                           back_populates="decision", cascade="all, delete-orphan")


class DecisionReturn(db.Model):
    """The signatory sent the draft back to the clerk with a comment; once resent, when, by whom and the answer.

    Internal to the provider: the applicant sees none of it, and no statutory term stops or changes for it.
    """

    __tablename__ = "decision_return"
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decision.id", ondelete="CASCADE"), index=True)
    returned_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str] = mapped_column(Text)
    resent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str] = mapped_column(Text, default="")  # what the clerk says of the new draft

    decision = relationship("Decision", back_populates="returns")
    returned_by = relationship("User", foreign_keys=[returned_by_id])
    resent_by = relationship("User", foreign_keys=[resent_by_id])
