"""Completeness of a package (п. 7, п. 12, Appendix 2 item 8).

A required document is "missing" when none of that code is attached, and
"expired" when every attached copy expired before the check day (a document
valid through its expiry day is still valid on it). Findings support the
motivated refusal of further consideration; a clerk decides.
"""
from __future__ import annotations

from datetime import date

from .engine import emit, evaluate, m, ruleset, when_all
from .law import LawVersion

with ruleset("completeness"):

    @when_all((m.t == "required") & (m.attached == False))  # noqa: E712 (durable DSL)
    def missing(c):
        emit(c, {"code": c.m.code, "problem": "missing"})

    @when_all((m.t == "required") & (m.attached == True) & (m.days_left < 0))  # noqa: E712
    def expired(c):
        emit(c, {"code": c.m.code, "problem": "expired"})


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _fact(code: str, attached: list[dict], on_date: date) -> dict:
    copies = [a for a in attached if a.get("code") == code]
    fact = {"t": "required", "code": code, "attached": bool(copies)}
    expiries = [_as_date(a.get("expires_on")) for a in copies]
    if copies and None not in expiries:  # a copy without an expiry date never expires
        fact["days_left"] = (max(expiries) - on_date).days
    return fact


def check_completeness(kind: str, route: str, attached: list[dict], on_date: date, law: LawVersion) -> list[dict]:
    """Findings {code, problem, name{ru,kk,en}, paragraph}, in the order of the list."""
    required = law.document_list(kind, route)
    basis = law.paragraphs["completeness" if kind == "accreditation" else "reissue_completeness"]
    facts = [_fact(doc.code, attached, on_date) for doc in required.documents]
    found = {f["code"]: f["problem"] for f in evaluate("completeness", facts)}
    return [
        {"code": doc.code, "problem": found[doc.code], "name": dict(doc.name),
         "paragraph": f"{basis}; {required.paragraph}"}
        for doc in required.documents
        if doc.code in found
    ]
