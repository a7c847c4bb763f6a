"""The Rules as dated data: one LawVersion per amending act.

An amendment is a new JSON file in rules/data/ (or a new SQL row holding the
same dict), never an edit of code. A case follows the version in force on its
registration date (see version_in_force).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from datetime import date
from pathlib import Path
from typing import Iterable

LANGS = ("ru", "kk", "en")
KINDS = ("accreditation", "reissue")
ROUTES = ("portal", "chancellery")
DATA_DIR = Path(__file__).parent / "data"


def _text(d: dict, where: str) -> dict[str, str]:
    missing = [lang for lang in LANGS if not d.get(lang)]
    if missing:
        raise ValueError(f"{where}: no text in {', '.join(missing)}")
    return {lang: d[lang] for lang in LANGS}


@dataclass(frozen=True)
class RequiredDocument:
    """One document of an Appendix 2 item 8 list."""

    code: str
    name: dict[str, str]


@dataclass(frozen=True)
class DocumentList:
    """The ordered documents required for one kind and route."""

    kind: str
    route: str
    paragraph: str
    documents: tuple[RequiredDocument, ...]


@dataclass(frozen=True)
class Condition:
    """A mandatory condition of п. 4; params hold its numbers (e.g. min_providers)."""

    code: str
    number: int
    paragraph: str
    text: dict[str, str]
    params: dict


@dataclass(frozen=True)
class Ground:
    """A ground for refusal of Appendix 2 item 9."""

    number: int
    paragraph: str
    text: dict[str, str]


@dataclass(frozen=True)
class LawVersion:
    """The numbers and texts of the Rules in force from effective_from."""

    code: str
    act: str
    effective_from: date
    terms: dict[str, int]  # deadline id -> working days
    paragraphs: dict[str, str]  # deadline id -> citation
    documents: dict[str, dict[str, DocumentList]]  # kind -> route -> list
    conditions: tuple[Condition, ...]
    grounds: tuple[Ground, ...]
    validity_years: int = 1
    effective_from_note: str = ""

    def document_list(self, kind: str, route: str) -> DocumentList:
        return self.documents[kind][route]

    def condition(self, code: str) -> Condition:
        return next(c for c in self.conditions if c.code == code)

    def ground(self, number: int) -> Ground:
        return next(g for g in self.grounds if g.number == number)

    @classmethod
    def from_dict(cls, d: dict) -> "LawVersion":
        documents = {
            kind: {
                route: DocumentList(
                    kind,
                    route,
                    lst["paragraph"],
                    tuple(
                        RequiredDocument(doc["code"], _text(doc["name"], doc["code"]))
                        for doc in lst["documents"]
                    ),
                )
                for route, lst in routes.items()
            }
            for kind, routes in d["documents"].items()
        }
        conditions = tuple(
            Condition(c["code"], int(c["number"]), c["paragraph"], _text(c["text"], c["code"]),
                      dict(c.get("params", {})))
            for c in d["conditions"]
        )
        grounds = tuple(
            Ground(int(g["number"]), g["paragraph"], _text(g["text"], f"ground {g['number']}"))
            for g in d["grounds"]
        )
        return cls(
            code=d["code"],
            act=d["act"],
            effective_from=date.fromisoformat(d["effective_from"]),
            terms={k: int(v) for k, v in d["terms"].items()},
            paragraphs=dict(d["paragraphs"]),
            documents=documents,
            conditions=conditions,
            grounds=grounds,
            validity_years=int(d.get("validity_years", 1)),
            effective_from_note=d.get("effective_from_note", ""),
        )

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "act": self.act,
            "effective_from": self.effective_from.isoformat(),
            "effective_from_note": self.effective_from_note,
            "validity_years": self.validity_years,
            "terms": dict(self.terms),
            "paragraphs": dict(self.paragraphs),
            "documents": {
                kind: {
                    route: {
                        "paragraph": lst.paragraph,
                        "documents": [{"code": doc.code, "name": dict(doc.name)} for doc in lst.documents],
                    }
                    for route, lst in routes.items()
                }
                for kind, routes in self.documents.items()
            },
            "conditions": [
                {"code": c.code, "number": c.number, "paragraph": c.paragraph, "params": dict(c.params),
                 "text": dict(c.text)}
                for c in self.conditions
            ],
            "grounds": [{"number": g.number, "paragraph": g.paragraph, "text": dict(g.text)} for g in self.grounds],
        }


def load_seed_versions() -> list[LawVersion]:
    """Every version bundled in rules/data/, oldest first."""
    return list(_seed_versions())


@cache
def _seed_versions() -> tuple[LawVersion, ...]:
    versions = [
        LawVersion.from_dict(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(DATA_DIR.glob("*.json"))
    ]
    return tuple(sorted(versions, key=lambda v: v.effective_from))


def version_in_force(versions: Iterable[LawVersion], on_date: date) -> LawVersion:
    """The version a case registered on on_date follows: the latest one in force that day."""
    in_force = [v for v in versions if v.effective_from <= on_date]
    if not in_force:
        raise LookupError(f"no version of the Rules in force on {on_date.isoformat()}")
    return max(in_force, key=lambda v: v.effective_from)
