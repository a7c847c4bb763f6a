"""A deadline of a case, and each escalation effect it caused (at most once each)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db
# The states of a term, defined with the codes in rules/deadlines.py; closed: the case ended before the term ran out,
# so the term no longer applies.
from rules.deadlines import CLOSED, MET, MISSED, OPEN  # noqa: F401 (imported from here by the domains)


class Deadline(db.Model):
    """One term of the Rules for one case: its last day, its paragraph and its state."""

    __tablename__ = "deadline"
    __table_args__ = (
        # A case has each of its own terms once, and each complaint of it has each of its terms once.
        Index("uq_deadline_case_code", "application_id", "code", unique=True,
              sqlite_where=text("complaint_id IS NULL"), postgresql_where=text("complaint_id IS NULL")),
        UniqueConstraint("complaint_id", "code"),
        # The case page reads every term of its case, its complaints' too: the index above is partial.
        Index("ix_deadline_application_id", "application_id"),
        # The sweeper reads only what is due: its cost follows the number due, not the number open.
        Index("ix_deadline_due", "state", "next_check_at"),
        # The staff queue walks a case's own open terms by due date (applications.queries._nearest_first).
        Index("ix_deadline_open_due", "due_at", "application_id",
              sqlite_where=text("state = 'open' AND complaint_id IS NULL"),
              postgresql_where=text("state = 'open' AND complaint_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"))
    # Set for the terms of a complaint (п.17–п.19); those belong to the complaint, not the case's procedure.
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    term: Mapped[int]
    starts_from: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    due_at = mapped_column(UTCDateTime)
    paragraph: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(10), default=OPEN)
    met_at = mapped_column(UTCDateTime)
    # When the sweeper must look next: the warning moment, then the end of the term.
    next_check_at = mapped_column(UTCDateTime)
    # The working day before the due day, from whose 00:00 Almaty the term is "near" (rules.escalation.warn_from),
    # stored whenever the due day is planned or recounted, so pages show urgency without reading the calendar.
    # Empty on rows written before it existed or by hand: urgency() then counts it from the calendar.
    warn_on: Mapped[date | None] = mapped_column(Date)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    application = relationship("Application", overlaps="deadlines")
    complaint = relationship("Complaint", back_populates="deadlines")


class DeadlineEffect(db.Model):
    """An escalation effect that happened; its unique key (deadline, effect, due day) makes each happen once."""

    __tablename__ = "deadline_effect"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(String(300), default="")
