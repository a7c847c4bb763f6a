"""The outbox: one row per e-mail to one recipient, written in the transaction of the change it reports."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db

PENDING, SENT, CANCELLED, FAILED = "pending", "sent", "cancelled", "failed"
STATUSES = (PENDING, SENT, CANCELLED, FAILED)


class OutboxMessage(db.Model):
    """An e-mail waiting for the worker, or the record of one sent, cancelled or given up.

    Subject and body are rendered at send time, in `language`, from `kind` and `context`;
    the worker stores what it actually sent.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        # The worker reads only what is due: its cost follows the number due, not the table's size.
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_email: Mapped[str] = mapped_column(String(200))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="kk")
    # The notification this row delivers to one recipient; the cabinet shows each topic once.
    topic: Mapped[str] = mapped_column(String(200))
    # topic + recipient: the same notification is never enqueued twice for the same person.
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    send_after = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    attempts: Mapped[int] = mapped_column(default=0)
    # Why the last attempt failed, or why the message was cancelled.
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at = mapped_column(UTCDateTime)
