"""A complaint about a decision, an action or the inaction of the provider (п.16–п.20)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import APPLICANT, AUTHORITY, PROVIDER_ROLES
from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db

# What the complaint is about (п.16: "решение, действие (бездействие)").
DECISION, ACTION, INACTION = "decision", "action", "inaction"
SUBJECTS = (DECISION, ACTION, INACTION)
# To whom it was filed (п.16 second paragraph; п.19 for the authority).
TO_PROVIDER, TO_AUTHORITY = "provider", "authority"
ADDRESSEES = (TO_PROVIDER, TO_AUTHORITY)

# Where the complaint is, and who may do what with it (п.16–п.20; APPK art. 91).
#
# The route the portal allows, as read from the Rules (a lawyer may change it here):
# * With the provider (п.17): the provider and the officials whose act, action or inaction is appealed have two
#   steps only. Within 3 working days of the complaint's arrival they may adopt a favourable act that FULLY
#   satisfies every demand of the complaint (п.17 second paragraph, APPK art. 91(4)), which closes it; otherwise
#   they forward it with the administrative case to the reviewing body (п.16: here the quality-control
#   authority). They never refuse it or satisfy it in part themselves: that would be the staff whose act is
#   appealed deciding on their own act. If the ministry ever designates a higher official as the reviewing body,
#   that is a separate role with its own term, never the staff whose act is appealed.
# * At the reviewing body: it decides a complaint addressed to the provider within the 5 working days of п.18
#   ("жалоба, поступившая в адрес услугодателя, подлежит рассмотрению в течение 5 рабочих дней со дня ее
#   регистрации"), counted from its registration by the reviewing body (the day it got the complaint and the
#   case), because the body that reviews is the one that registers what it reviews, and a term counted from the
#   provider's registration could be over before the body has the complaint, a term nobody could meet. A complaint
#   addressed to the authority itself has the 15 working days of п.19 from its registration. Both are the term
#   "complaint_authority" of the complaint, with the paragraph that gives it (п.18 or п.19).
# * After the authority's decision: "satisfied" or "partly satisfied" binds the provider, with what to do and by
#   when (remedy, remedy_due): the term "authority_order" of the provider, until it records what it did. The
#   applicant may then go to court (п.20).
AT_PROVIDER = "at_provider"      # п.17: 3 WD to forward it, unless a favourable act fully satisfies it
AT_AUTHORITY = "at_authority"    # п.18 (5 WD) or п.19 (15 WD) from its registration at the authority
DECIDED = "decided"              # closed with an outcome
STATUSES = (AT_PROVIDER, AT_AUTHORITY, DECIDED)

# How it ended.
FAVOURABLE_ACT = "favourable_act"   # п.17 second paragraph: the provider fully satisfied it itself
SATISFIED = "satisfied"
PARTLY_SATISFIED = "partly_satisfied"
REFUSED = "refused"
NOT_CONSIDERED = "not_considered"   # left without consideration, with the reason
OUTCOMES = (FAVOURABLE_ACT, SATISFIED, PARTLY_SATISFIED, REFUSED, NOT_CONSIDERED)
AUTHORITY_OUTCOMES = (SATISFIED, PARTLY_SATISFIED, REFUSED, NOT_CONSIDERED)  # п.18, п.19

# The provider's term to carry out the authority's order; not a term of the Rules: its last day is the order's.
AUTHORITY_ORDER = "authority_order"


class Complaint(db.Model):
    """One complaint of an applicant about its case: where it is, its deadlines, and how it ended."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(f"subject_kind IN {SUBJECTS!r}", name="subject_kind"),
        CheckConstraint(f"addressee IN {ADDRESSEES!r}", name="addressee"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        Index("ix_complaint_status", "status", "registered_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The filing form's one-time key: a double click or a retried request files the complaint once.
    submission_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    subject_kind: Mapped[str] = mapped_column(String(20))
    # What exactly: "decision:<id>", "review:<id>", "preliminary_refusal:<id>", "hearing:<id>",
    # "deadline:<id>" (inaction) or "case"; shown as a link. No foreign key: a complaint outlives its subject.
    subject_ref: Mapped[str] = mapped_column(String(60), default="case")
    subject_text: Mapped[str] = mapped_column(String(500), default="")
    addressee: Mapped[str] = mapped_column(String(20))
    demands: Mapped[str] = mapped_column(Text, default="")
    arguments: Mapped[str] = mapped_column(Text, default="")

    # Registration, as for applications (п.6, п.7 by analogy): receipt and registration day.
    received_at = mapped_column(UTCDateTime)
    registered_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=AT_PROVIDER)

    # п.17: forwarded to the reviewing body with the administrative case (by hand or by the sweeper).
    forwarded_at = mapped_column(UTCDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    forwarded_automatically: Mapped[bool] = mapped_column(default=False)
    authority_registered_on: Mapped[date | None] = mapped_column(Date)

    # The outcome: a favourable act (п.17), the provider's decision (п.18) or the authority's (п.19).
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(20))   # provider | authority
    decided_at = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reasons: Mapped[str] = mapped_column(Text, default="")
    remedy: Mapped[str] = mapped_column(Text, default="")          # what the provider must do
    remedy_due: Mapped[date | None] = mapped_column(Date)          # and by when
    # The provider carried the order out: when, who, and what it did (closes the term "authority_order").
    remedy_done_at = mapped_column(UTCDateTime)
    remedy_done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    remedy_done_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    decision_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    decision_document: Mapped[bytes | None] = mapped_column(LargeBinary)   # the signed XML
    # The authority's official who signed it, from the certificate (portal.signatures.services.signer_record).
    decision_signer: Mapped[dict | None] = mapped_column(JSON)

    overdue_since = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    application = relationship("Application", backref="complaints")
    organization = relationship("Organization")
    filed_by = relationship("User", foreign_keys=[filed_by_id])
    decided_by_user = relationship("User", foreign_keys=[decided_by_id])
    forwarded_by = relationship("User", foreign_keys=[forwarded_by_id])
    remedy_done_by = relationship("User", foreign_keys=[remedy_done_by_id])
    deadlines = relationship("Deadline", back_populates="complaint", order_by="Deadline.due_at",
                             cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status != DECIDED

    @property
    def attachment_code(self) -> str:
        """The document code its attachments carry on the case."""
        return f"complaint:{self.id}"

    @property
    def order_pending(self) -> bool:
        """The authority ordered the provider to act and it has not recorded doing so yet."""
        return self.decided_by == "authority" and bool(self.remedy) and self.remedy_done_at is None

    def deadline(self, code: str):
        return next((d for d in self.deadlines if d.code == code), None)

    def can_access(self, user) -> bool:
        """Who sees the complaint (the gate of portal/core/access.py): applicants their organisation's; the
        provider's staff and the authority all."""
        if user is None:
            return False
        if user.role == APPLICANT:
            return self.organization_id == user.organization_id
        return user.role in PROVIDER_ROLES or user.role == AUTHORITY
