"""The application of Appendix 1 and the hardware-software complexes it declares (п.4)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, and_, select, text
from sqlalchemy.orm import Mapped, aliased, mapped_column, relationship

from portal.accounts.models import APPLICANT, AUTHORITY, PROVIDER_ROLES
from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db
from portal.gateway.models import StateFacts
from rules.deadlines import SERVICE_TERMS

ACCREDITATION = "accreditation"
REISSUE = "reissue"
KINDS = (ACCREDITATION, REISSUE)
PORTAL = "portal"
CHANCELLERY = "chancellery"
ROUTES = (PORTAL, CHANCELLERY)

# The stages of a case, in the order of the Rules.
DRAFT = "draft"
REGISTERED = "registered"                  # п.6–п.7: awaiting the completeness check
INCOMPLETE_REFUSED = "incomplete_refused"  # п.7 / п.12: motivated refusal of further consideration (final)
UNDER_REVIEW = "under_review"              # п.8 / п.12: complete, checked against the Rules
GROUNDS_FOUND = "grounds_found"            # п.9: grounds found; the preliminary refusal is to be sent
AWAITING_DECISION = "awaiting_decision"    # no grounds: the certificate is to be drafted and signed
PRELIMINARY_REFUSAL = "preliminary_refusal"  # п.9–п.10: notice sent, the hearing is due
HEARING_HELD = "hearing_held"              # п.11: the final decision is to be drafted and signed
DECISION_DRAFTED = "decision_drafted"      # п.11: drafted, waiting for the authorised person's EDS
CERTIFICATE_ISSUED = "certificate_issued"  # Appendix 3 (final)
REFUSED = "refused"                        # Appendix 4 (final)
STATUSES = (DRAFT, REGISTERED, INCOMPLETE_REFUSED, UNDER_REVIEW, GROUNDS_FOUND, AWAITING_DECISION,
            PRELIMINARY_REFUSAL, HEARING_HELD, DECISION_DRAFTED, CERTIFICATE_ISSUED, REFUSED)
CLOSED_STATUSES = (INCOMPLETE_REFUSED, CERTIFICATE_ISSUED, REFUSED)
# A re-issuance's hold on the certificate it replaces (reissue_claim) counts in every stage but these: a draft has
# not claimed it yet, a refused case let it go. A case whose certificate was issued keeps it for good, so a
# certificate is replaced at most once (п.12). Written out for the partial index, which SQLite and PostgreSQL share.
CLAIM_RELEASED = (DRAFT, INCOMPLETE_REFUSED, REFUSED)
CLAIM_HELD = text("reissue_claim IS NOT NULL AND status NOT IN ('draft', 'incomplete_refused', 'refused')")
UI_LANGUAGES = ("kk", "ru", "en")


class Application(db.Model):
    """An application (заявление) for accreditation or re-issuance, from draft to decision."""

    __tablename__ = "application"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"route IN {ROUTES!r}", name="route"),
        Index("ix_application_org_status", "organization_id", "status"),
        # One re-issuance per certificate at a time, and one re-issued certificate per certificate ever (п.12):
        # the database refuses a second hold however the request got past the checks (two submissions at once).
        Index("uq_application_reissue_claim", "reissue_claim", unique=True,
              sqlite_where=CLAIM_HELD, postgresql_where=CLAIM_HELD),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=ACCREDITATION)
    route: Mapped[str] = mapped_column(String(20), default=PORTAL)
    status: Mapped[str] = mapped_column(String(30), default=DRAFT, index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    # Appendix 1: who asks, and where the pool's complex is.
    legal_name: Mapped[str] = mapped_column(String(300), default="")
    bin: Mapped[str] = mapped_column(String(12), default="")
    legal_address: Mapped[str] = mapped_column(String(500), default="")
    pool_name: Mapped[str] = mapped_column(String(300), default="")
    # The facts the mandatory conditions of п.4 are judged on.
    support_24_7: Mapped[bool] = mapped_column(default=False)
    ui_languages: Mapped[str] = mapped_column(String(20), default="")
    security_act_number: Mapped[str] = mapped_column(String(100), default="")
    security_act_date: Mapped[date | None] = mapped_column(Date)
    state_service_integration: Mapped[bool] = mapped_column(default=False)
    # The two consents of Appendix 1.
    consent_secrets: Mapped[bool] = mapped_column(default=False)
    consent_personal_data: Mapped[bool] = mapped_column(default=False)
    # Re-issuance: which certificate, and why.
    reissue_certificate_number: Mapped[str] = mapped_column(String(64), default="")
    reissue_reason: Mapped[str] = mapped_column(Text, default="")
    # The number of the certificate this re-issuance holds (Decision.number of the organisation's current
    # certificate), taken at submission or at signing when the certificate is free; empty while it holds none
    # (a paper case naming a certificate that cannot be re-issued: the provider refuses it under п.12).
    reissue_claim: Mapped[str | None] = mapped_column(String(40))

    # Registration (п.6, п.7): the moment of receipt and the registration day.
    received_at = mapped_column(UTCDateTime)
    registered_on: Mapped[date | None] = mapped_column(Date)
    law_version_id: Mapped[int | None] = mapped_column(ForeignKey("law_version.id"))
    # Set by the sweeper when a deadline of the case is missed: the supervisor and the authority see it.
    overdue_since = mapped_column(UTCDateTime)

    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: two people saving the same case cannot overwrite each other.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    organization = relationship("Organization")
    created_by = relationship("User", foreign_keys=[created_by_id])
    complexes: Mapped[list[Complex]] = relationship(
        back_populates="application", order_by="Complex.position", cascade="all, delete-orphan"
    )
    documents = relationship("Document", back_populates="application", order_by="Document.id",
                             cascade="all, delete-orphan")
    # The hearing stage, read with the case page for its next step (portal/applications/next_step.py) in the
    # case's own statement; the hearings domain writes them.
    preliminary_refusal = relationship("PreliminaryRefusal", uselist=False, viewonly=True)
    booked_slot = relationship("HearingSlot", uselist=False, viewonly=True)
    # The final decision (one per case), read with the case page; the decisions domain writes it.
    decision = relationship("Decision", uselist=False, viewonly=True)
    # The gateway's latest answer about the case (the staff's workbench), read with the case page in the case's
    # own statement: one row at most, whatever the number of answers (issue 18).
    latest_state_facts = relationship("StateFacts", uselist=False, viewonly=True,
                                      primaryjoin=lambda: _latest_state_facts_join())
    # The terms of the case's own procedure; a complaint's terms hang on the complaint.
    deadlines = relationship("Deadline", order_by="Deadline.due_at", cascade="all, delete-orphan",
                             primaryjoin="and_(Application.id == Deadline.application_id, "
                                         "Deadline.complaint_id.is_(None))", overlaps="application")

    @property
    def procedure(self) -> str:
        """The name of this case's procedure in rules.deadlines."""
        return "reissue" if self.kind == REISSUE else "accreditation"

    @property
    def service_deadline(self):
        """The term of the service (Appendix 2 item 3): when the result is due."""
        return next((d for d in self.deadlines if d.code in SERVICE_TERMS), None)

    @property
    def main_complex(self) -> Complex | None:
        return next((c for c in self.complexes if c.role == "main"), None)

    @property
    def backup_complexes(self) -> list[Complex]:
        return [c for c in self.complexes if c.role == "backup"]

    @property
    def ui_language_set(self) -> set[str]:
        return {code for code in self.ui_languages.split(",") if code}

    @property
    def is_draft(self) -> bool:
        return self.status == DRAFT

    def can_access(self, user) -> bool:
        """Who sees the case and what hangs on it (the gate of portal/core/access.py): applicants their own
        organisation's cases; provider staff and the authority the filed ones (a paper draft is the provider's)."""
        if user is None:
            return False
        if user.role == APPLICANT:
            return self.organization_id == user.organization_id
        if user.role in PROVIDER_ROLES:
            return self.status != DRAFT or self.route == CHANCELLERY
        if user.role == AUTHORITY:
            return self.status != DRAFT
        return False


class Complex(db.Model):
    """A hardware-software complex of the pool, main or backup, with its two channels (п.4 3–4)."""

    __tablename__ = "complex"
    __table_args__ = (CheckConstraint("role IN ('main', 'backup')", name="role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    role: Mapped[str] = mapped_column(String(10))
    settlement: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    provider_1: Mapped[str] = mapped_column(String(200), default="")
    provider_2: Mapped[str] = mapped_column(String(200), default="")

    application: Mapped[Application] = relationship(back_populates="complexes")


def _latest_state_facts_join():
    """The case's answer with the latest fetched_at (then id), as gateway.services.latest_state_facts orders them."""

    other = aliased(StateFacts)  # not the joined StateFacts: the join adapts that one to its alias
    latest = (select(other.id).where(other.application_id == Application.id)
              .order_by(other.fetched_at.desc(), other.id.desc()).limit(1).correlate(Application).scalar_subquery())
    return and_(StateFacts.application_id == Application.id, StateFacts.id == latest)
