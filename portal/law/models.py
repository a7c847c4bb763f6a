"""A version of the Rules' numbers, lists and wording."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class LawVersionRecord(db.Model):
    """One version of the law's data (terms, document lists, conditions, grounds)."""

    __tablename__ = "law_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    act: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    data: Mapped[dict] = mapped_column(JSON)
