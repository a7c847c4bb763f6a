"""Organisations (legal entities with a BIN) and the people who use the portal."""
from __future__ import annotations

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.core.types import UTCDateTime, utcnow
from portal.extensions import db

APPLICANT = "applicant"
CLERK = "clerk"
SIGNATORY = "signatory"
SUPERVISOR = "supervisor"
AUTHORITY = "authority"
ADMIN = "admin"
ROLES = (APPLICANT, CLERK, SIGNATORY, SUPERVISOR, AUTHORITY, ADMIN)
STAFF_ROLES = (CLERK, SIGNATORY, SUPERVISOR, AUTHORITY, ADMIN)
# Staff of the service provider who work on cases (the authority reads them, see complaints).
PROVIDER_ROLES = (CLERK, SIGNATORY, SUPERVISOR)


class Organization(db.Model):
    """A legal entity (услугополучатель), identified by its BIN."""

    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(primary_key=True)
    bin: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    legal_address: Mapped[str] = mapped_column(String(500), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, db.Model):
    """A person with one role; applicants belong to an organisation. Flask-Login's user (current_user)."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint("role <> 'applicant' OR organization_id IS NOT NULL", name="applicant_org"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    iin: Mapped[str | None] = mapped_column(String(12))
    # The post of a staff member ("Вице-министр"): НУЦ РК certificates carry no title, so an act they sign
    # names the position from here beside the role the certificate gives.
    position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Written into each session at the log-in; increasing it ends every session issued before (log-out).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization | None] = relationship()

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)
        self.session_epoch = (self.session_epoch or 0) + 1  # who knew the old password is signed out

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session keeps (Flask-Login's alternative id): "<id>:<session_epoch>".

        Increasing the epoch (a log-out, a new password) makes every session issued before name no one.
        """
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    # Compared as rows are (one object per row in a database session), not by get_id() as UserMixin does: that
    # would read the columns, maybe of a row no longer in any session.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    @property
    def is_staff(self) -> bool:
        return self.role != APPLICANT


class LoginFailure(db.Model):
    """One failed password log-in for an account name: counted per account by every worker (security.py).

    The name is kept as a hash of what was typed (lower case, trimmed): it may be megabytes long, and a
    name that is no account is counted the same, so the answers do not tell which accounts exist. Rows
    older than the window are deleted as new ones come.
    """

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    __table_args__ = (Index("ix_login_failure_account_at", "account", "at"),)
