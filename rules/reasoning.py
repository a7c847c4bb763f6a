"""The provider's reasoning in words, written from the facts of a case (п.9, Appendix 4 "Причина отказа").

A motivated refusal must say which facts decided each ground and why they fail the condition: a
citation or a machine code ("documents_unreliable=True") is no reasoning. For each condition of п.4
and each fact behind a ground of Appendix 2 item 9 this module writes one sentence in kk, ru and en
from the templates of rules/data/reasoning/<law code>.json (the wording is data, like the law's own:
an amendment adds a file). The rules propose these sentences; the clerk confirms or edits them and
the clerk's text is what the acts print.

A template may hold a part in square brackets that only the clerk can write (ground 1: which
documents are unreliable and why); `unfinished` finds it, so such a text is never sent as it is.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from .law import LANGS

DIR = Path(__file__).parent / "data" / "reasoning"


@cache
def templates(law_code: str) -> dict:
    """The templates for the version `law_code`; a version without its own file uses the latest file."""
    path = DIR / f"{law_code}.json"
    if not path.exists():
        path = sorted(DIR.glob("*.json"))[-1]
    return json.loads(path.read_text(encoding="utf-8"))


def _each(template: dict, **values) -> dict[str, str]:
    """The template in every language, its placeholders filled per language (values may be {lang: text})."""
    return {lang: template[lang].format(**{k: (v[lang] if isinstance(v, dict) else v) for k, v in values.items()})
            for lang in LANGS}


def _join(parts: list[dict[str, str]], sep: str = "; ") -> dict[str, str]:
    return {lang: sep.join(p[lang] for p in parts) for lang in LANGS}


def _plain(text) -> str:
    return " ".join(str(text or "").split())


def same_in_all(text: str) -> dict[str, str]:
    """A text written once (a clerk's reason) stands for every language."""
    return {lang: text for lang in LANGS}


# --- the conditions of п.4 -----------------------------------------------------------------------

def condition(code: str, status: str, app: dict, state: dict, law_code: str, normalise) -> dict[str, str]:
    """The sentence that explains the status of condition `code` from the facts of the application."""
    t = templates(law_code)
    words, own = t["words"], t["conditions"][code]
    builder = _BUILDERS[code]
    key, values = builder(status, app, state, words, normalise)
    return _each(own[key], **values)


def _location(status, app, state, words, normalise):
    main = app.get("main_complex") or {}
    return status, {"settlement": _plain(main.get("settlement")) or words["no_settlement"],
                    "country": _plain(main.get("country"))}


def _act(status, app, state, words, normalise):
    act = app.get("security_test_act") or {}
    number, day = _plain(act.get("number")), act.get("date")
    if number and day:
        shown = _each(words["act"], number=number, date=_date(day))
    elif number:
        shown = _each(words["act_number"], number=number)
    else:
        shown = ""
    return status, {"act": shown}


def _date(value) -> str:
    """An ISO date as official documents write it (dd.mm.yyyy)."""
    text = str(value)
    parts = text[:10].split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 else text


def _backup(status, app, state, words, normalise):
    main = _plain((app.get("main_complex") or {}).get("settlement"))
    backups = app.get("backup_complexes") or []
    if status == "not_met" and not backups:
        return "not_met_none", {}
    shown, others = [], []
    for b in backups:
        name = _plain(b.get("settlement"))
        if not name:
            shown.append(words["no_settlement"])
        elif (b.get("country") or "KZ").strip().upper() != "KZ":
            shown.append(_each(words["abroad"], settlement=name))
        elif normalise(name) == normalise(main):
            shown.append(_each(words["same_settlement"], settlement=name))
        else:
            shown.append(same_in_all(name))
            others.append(same_in_all(name))
    main_shown = same_in_all(main) if main else words["no_settlement"]
    return status, {"main": main_shown, "backups": _join(shown) if shown else "",
                    "others": _join(others, ", ") if others else ""}


def _complexes(app, words, normalise) -> list[tuple[dict, list[str] | None]]:
    """(the name of each complex, its distinct providers or None when not stated), main first."""
    def providers(channels):
        if channels is None:
            return None
        seen, names = set(), []
        for ch in channels:
            name = _plain(ch.get("provider"))
            if normalise(name) and normalise(name) not in seen:
                seen.add(normalise(name))
                names.append(name)
        return names

    out = [(words["main_complex"], providers(app.get("main_channels")))]
    for b in app.get("backup_complexes") or []:
        settlement = _plain(b.get("settlement"))
        out.append((_each(words["backup_complex"], settlement=settlement or "—"), providers(b.get("channels"))))
    return out


def _channels(status, app, state, words, normalise):
    listed = _complexes(app, words, normalise)

    def described(name, names):
        return _each(words["providers_of"], complex=name,
                     providers=(", ".join(names) if names else words["no_providers"]))

    complexes = _join([described(name, names) for name, names in listed])
    failing = [name for name, names in listed if names is not None and len(names) < 2]
    return status, {"complexes": complexes, "failing": _join(failing, ", ") if failing else ""}


def _flag(status, app, state, words, normalise):
    return status, {}


def _languages(status, app, state, words, normalise):
    given = {str(x).strip().lower() for x in (app.get("ui_languages") or ())}
    order = ("kk", "ru", "en")
    names = words["languages"]

    def listed(codes):
        if not codes:
            return words["none"]
        return {lang: ", ".join(names[lang][c] for c in codes) for lang in LANGS}

    return status, {"have": listed([c for c in order if c in given]),
                    "missing": listed([c for c in order if c not in given])}


_BUILDERS = {
    "location_kz": _location,
    "security_test_act": _act,
    "backup_other_settlement": _backup,
    "two_channels_each": _channels,
    "support_24_7": _flag,
    "ui_three_languages": _languages,
    "state_service_integration": _flag,
}


# --- the facts behind grounds 1, 3, 4, 5 and the consent of ground 2 ---------------------------------

def fact(name: str, law_code: str) -> dict[str, str]:
    """The sentence for a fact that is itself a ground (a court decision, a missing consent, ...)."""
    return dict(templates(law_code)["facts"][name])


def unfinished(text: str, law_code: str) -> bool:
    """Whether `text` still holds a part in square brackets the clerk was to replace."""
    for sentence in templates(law_code)["facts"].values():
        for lang in LANGS:
            start = sentence[lang].find("[")
            if start != -1 and sentence[lang][start:].rstrip(".") in text:
                return True
    return False
