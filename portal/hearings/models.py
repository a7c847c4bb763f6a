"""Preliminary refusals, hearing slots and the hearing's record."""
from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.types import UTCDateTime
from portal.extensions import db

IN_PERSON, VIDEO, WRITTEN = "in_person", "video", "written"
METHODS = (IN_PERSON, VIDEO, WRITTEN)


class PreliminaryRefusal(db.Model):
    """The notice of the preliminary decision to refuse and of the hearing (п.9, п.10)."""

    __tablename__ = "preliminary_refusal"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    grounds: Mapped[list] = mapped_column(JSON)       # [{number, paragraph, text{ru,kk,en}, reason}]
    method: Mapped[str] = mapped_column(String(20))
    place: Mapped[str] = mapped_column(String(500))   # address, video link, or where to send the position
    sent_at = mapped_column(UTCDateTime)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    waived_at = mapped_column(UTCDateTime)            # the applicant declined the hearing
    position: Mapped[str] = mapped_column(Text, default="")   # the applicant's stated position
    position_at = mapped_column(UTCDateTime)
    invitation_sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE: a reschedule replaces
    # п.9 «о месте и времени»: the time the notice named — the proposed slot's start (in person, video), or the
    # moment the written position is awaited until (18:30 of a working day of the window). None before issue 14.
    proposed_at = mapped_column(UTCDateTime)
    # п.10 broken: the notice went out after its last lawful moment; the clerk's reason, and the term it missed.
    late_reason: Mapped[str | None] = mapped_column(Text)
    late_deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadline.id", ondelete="SET NULL"))

    clerk = relationship("User")
    late_deadline = relationship("Deadline")


class HearingSlot(db.Model):
    """A time the clerk can hold a hearing; at most one case holds it, and a case holds at most one."""

    __tablename__ = "hearing_slot"
    __table_args__ = (
        UniqueConstraint("clerk_id", "starts_at"),
        # The database itself forbids two bookings by one case: two tabs cannot hold two slots.
        Index("uq_hearing_slot_booked_case", "booked_application_id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    clerk_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_at = mapped_column(UTCDateTime)
    ends_at = mapped_column(UTCDateTime)
    booked_application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id", ondelete="SET NULL"))
    booked_at = mapped_column(UTCDateTime)


class HearingRecord(db.Model):
    """The minutes of the hearing kept by the clerk."""

    __tablename__ = "hearing_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    held_at = mapped_column(UTCDateTime)
    applicant_attended: Mapped[bool]
    participants: Mapped[str] = mapped_column(Text, default="")
    arguments: Mapped[str] = mapped_column(Text, default="")
    examined: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(30))   # refusal_upheld | refusal_withdrawn
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    recorded_by = relationship("User")
