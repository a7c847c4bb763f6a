"""What the state systems said about a case: the gateway's answers, kept with it."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.types import UTCDateTime
from portal.extensions import db


class StateFacts(db.Model):
    """One answer of the e-government gateway about a case (п.13)."""

    __tablename__ = "state_facts"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(100))
    is_development: Mapped[bool]
    data: Mapped[dict] = mapped_column(JSON)
    fetched_at = mapped_column(UTCDateTime)
    fetched_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
