"""Case events, chained by hash per case (portal/events/chain.py), and the head of each chain."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db


class Event(db.Model):
    """One stage change or action on a case; read by the timeline and by monitoring.

    seq, prev_hash and hash link it into its case's chain; only events.services.record() sets them.
    """

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("application_id", "seq"),
        # Events without a case form one chain too; NULLs are distinct to the constraint above.
        Index("uq_event_caseless_seq", "seq", unique=True,
              sqlite_where=text("application_id IS NULL"), postgresql_where=text("application_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor = relationship("User")


class EventChainHead(db.Model):
    """The last link of each chain (a case's id, or 0 for events without a case).

    Written in the same transaction as every event: it reveals events removed from the end of a
    chain, and its row lock serialises the writers of one chain.
    """

    __tablename__ = "event_chain_head"
    chain_key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
