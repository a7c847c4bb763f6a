"""What the rules proposed and the clerk decided (what the state systems said: portal/gateway/models.py)."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime
from portal.extensions import db


class ReviewDecision(db.Model):
    """A clerk's decision at one stage (completeness or review), with what the rules proposed."""

    __tablename__ = "review_decision"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))        # completeness | review
    outcome: Mapped[str] = mapped_column(String(20))      # complete | incomplete | no_grounds | grounds
    proposed: Mapped[dict] = mapped_column(JSON)          # the rules' output, as it was
    decided: Mapped[dict] = mapped_column(JSON)           # what the clerk kept, rejected or added, and why
    note: Mapped[str] = mapped_column(Text, default="")
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at = mapped_column(UTCDateTime)

    clerk = relationship("User")
