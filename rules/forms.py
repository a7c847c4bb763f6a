"""The fixed wording of the forms of Appendices 1, 3 and 4 to the Rules, in kk, ru and en.

The forms are the law's text: their wording is data (rules/data/forms/<law code>.json, from the seed
texts of the Rules), never a translation of the portal's own strings. `line` fills a form's blanks with
the case's data; `date` writes a date as the form's blank for it asks ("___" ______ 20__).
"""
from __future__ import annotations

import json
from datetime import date as Date
from functools import cache
from pathlib import Path

DIR = Path(__file__).parent / "data" / "forms"


@cache
def forms(law_code: str = "") -> dict:
    """The forms of the version `law_code`; a version without its own file uses the latest file."""
    path = DIR / f"{law_code}.json"
    if not law_code or not path.exists():
        path = sorted(DIR.glob("*.json"))[-1]
    return json.loads(path.read_text(encoding="utf-8"))


def line(appendix: str, key: str, lang: str, law_code: str = "", **values) -> str:
    """One fixed line of a form in `lang` (en when the form has no such language), its blanks filled."""
    texts = forms(law_code)[appendix][key]
    return texts.get(lang, texts["en"]).format(**values)


def date(appendix: str, day: Date, lang: str, law_code: str = "") -> str:
    """A date as the form writes it: «10» марта 2025 года, 2025 жылғы «10» наурыз."""
    data = forms(law_code)
    months = data["months"].get(lang, data["months"]["en"])
    return line(appendix, "date", lang, law_code, day=f"{day.day:02d}", month=months[day.month - 1], year=day.year)
