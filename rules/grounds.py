"""Mandatory conditions (п. 4) and grounds for refusal (Appendix 2 item 9).

The rules PROPOSE: a clerk reviews every condition and ground before a
preliminary decision to refuse (п. 9) and hears the applicant (п. 10).

application_facts (from the application and its documents):
    main_complex        {"country": "KZ", "settlement": "Алматы"}
    main_channels       [{"provider": "Kazakhtelecom"}, ...]
    backup_complexes    [{"settlement": "Астана", "country": "KZ" (optional),
                          "channels": [{"provider": ...}, ...]}, ...]
    support_24_7        bool
    ui_languages        set of "kk", "ru", "en"
    security_test_act   {"number": ..., "date": ...} as the applicant states it
    state_service_integration  bool
    consent_personal_data      bool   (Appendix 1, Law on personal data art. 8)
    consent_secrets            bool   (Appendix 1, secrets protected by law)
state_facts (from state information systems, п. 13; None = no answer yet):
    security_test_act_positive    bool | None
    court_ban                     bool | None
    court_deprived_special_right  bool | None
    documents_unreliable          bool | None   (the clerk's finding)

A missing or None fact makes its condition "unknown", never "not_met".
Settlements and providers are compared after normalising case, spaces, dots
and "г."/"город"/"қаласы". Giving no consent to the use of secrets (a
statement of the Appendix 1 form) is proposed as ground 2.
"""
from __future__ import annotations

import re

from .engine import RuleError, derive, emit, evaluate, m, ruleset, when_all
from .law import LawVersion

with ruleset("grounds"):
    # Conditions: a measure meets the law's number, falls short of it, or is not known.
    @when_all((m.t == "measure") & (m.value >= m.required) & (m.complete == True))  # noqa: E712
    def met(c):
        _condition(c, "met")

    @when_all((m.t == "measure") & (m.value < m.required))
    def not_met(c):
        _condition(c, "not_met")

    @when_all((m.t == "measure") & (-m.value | ((m.value >= m.required) & (m.complete == False))))  # noqa: E712
    def unknown(c):
        _condition(c, "unknown")

    # Grounds (Appendix 2 item 9 sub-items 1-5).
    @when_all((m.t == "condition") & (m.status == "not_met"))
    def ground_2_condition(c):
        emit(c, {"ground": 2, "because": c.m.code})

    @when_all((m.t == "fact") & (m.name == "consent_secrets") & (m.value == False))  # noqa: E712
    def ground_2_consent(c):
        emit(c, {"ground": 2, "because": "consent_secrets=False"})

    @when_all((m.t == "fact") & (m.name == "documents_unreliable") & (m.value == True))  # noqa: E712
    def ground_1(c):
        emit(c, {"ground": 1, "because": "documents_unreliable=True"})

    @when_all((m.t == "fact") & (m.name == "court_ban") & (m.value == True))  # noqa: E712
    def ground_3(c):
        emit(c, {"ground": 3, "because": "court_ban=True"})

    @when_all((m.t == "fact") & (m.name == "court_deprived_special_right") & (m.value == True))  # noqa: E712
    def ground_4(c):
        emit(c, {"ground": 4, "because": "court_deprived_special_right=True"})

    @when_all((m.t == "fact") & (m.name == "consent_personal_data") & (m.value == False))  # noqa: E712
    def ground_5(c):
        emit(c, {"ground": 5, "because": "consent_personal_data=False"})


def _condition(c, status: str) -> None:
    code = c.m.code
    emit(c, {"condition": code, "status": status})
    derive(c, {"t": "condition", "code": code, "status": status})


_PREFIX = re.compile(r"^(г|город|city of|city)\s+|\s+(қаласы|city)$")


def normalise(name: str | None) -> str:
    """Case, ё, dots, spaces and the words for "city" do not make another settlement."""
    s = " ".join((name or "").casefold().replace("ё", "е").replace(".", " ").split())
    return _PREFIX.sub("", s).strip()


def _providers(channels) -> int | None:
    if channels is None:
        return None
    return len({normalise(ch.get("provider")) for ch in channels if normalise(ch.get("provider"))})


# Each measure: (value or None when unknown, the law's number, complete, decided_by).
def _location(app, state, params):
    country = (app.get("main_complex") or {}).get("country")
    value = None if country is None else int(country.strip().upper() == params["country"])
    return value, 1, True, f"main_complex.country={country!r}"


def _security_act(app, state, params):
    positive = state.get("security_test_act_positive")
    return (None if positive is None else int(positive)), 1, True, f"security_test_act_positive={positive!r}"


def _backup(app, state, params):
    main = (app.get("main_complex") or {}).get("settlement")
    backups = app.get("backup_complexes")
    decided_by = f"main_complex.settlement={main!r}; backup settlements=" + repr(
        None if backups is None else [b.get("settlement") for b in backups])
    if not main or backups is None:
        return None, params["min_backups"], True, decided_by
    other = [b for b in backups
             if normalise(b.get("settlement")) not in ("", normalise(main))
             and (b.get("country") or "KZ").strip().upper() == "KZ"]
    return len(other), params["min_backups"], True, decided_by


def _channels(app, state, params):
    backups = app.get("backup_complexes")
    counts = [_providers(app.get("main_channels"))]
    counts += [None] if backups is None else [_providers(b.get("channels")) for b in backups]
    known = [n for n in counts if n is not None]
    decided_by = f"distinct providers per complex (main first)={counts}"
    return (min(known) if known else None), params["min_providers"], None not in counts, decided_by


def _flag(name):
    def measure(app, state, params):
        value = app.get(name)
        return (None if value is None else int(bool(value))), 1, True, f"{name}={value!r}"
    return measure


def _languages(app, state, params):
    given = app.get("ui_languages")
    if given is None:
        return None, len(params["languages"]), True, "ui_languages=None"
    have = {str(x).strip().lower() for x in given} & set(params["languages"])
    return len(have), len(params["languages"]), True, f"ui_languages={sorted(given)}"


_MEASURES = {
    "location_kz": _location,
    "security_test_act": _security_act,
    "backup_other_settlement": _backup,
    "two_channels_each": _channels,
    "support_24_7": _flag("support_24_7"),
    "ui_three_languages": _languages,
    "state_service_integration": _flag("state_service_integration"),
}
_APPLICATION_FLAGS = ("consent_personal_data", "consent_secrets")
_STATE_FLAGS = ("documents_unreliable", "court_ban", "court_deprived_special_right")


def _facts(app: dict, state: dict, law: LawVersion) -> tuple[list[dict], dict[str, str]]:
    """The facts for the ruleset, and what decided each measure (kept out of the facts: no rule reads it)."""
    facts, decided = [], {}
    for cond in law.conditions:
        value, required, complete, decided_by = _MEASURES[cond.code](app, state, cond.params)
        fact = {"t": "measure", "code": cond.code, "required": required, "complete": complete}
        if value is not None:
            fact["value"] = value
        facts.append(fact)
        decided[cond.code] = decided_by
    for name, source in [(n, app) for n in _APPLICATION_FLAGS] + [(n, state) for n in _STATE_FLAGS]:
        if source.get(name) is not None:
            facts.append({"t": "fact", "name": name, "value": bool(source[name])})
    return facts, decided


def assess(application_facts: dict, state_facts: dict, law: LawVersion) -> dict:
    """Proposed status of each condition of п. 4 and the grounds for refusal found."""
    facts, decided = _facts(application_facts, state_facts, law)
    out = evaluate("grounds", facts)
    statuses = {o["condition"]: o for o in out if "condition" in o}
    order = [c.code for c in law.conditions]
    if sorted(o["condition"] for o in out if "condition" in o) != sorted(order):
        raise RuleError("every condition must get exactly one status")
    conditions = [
        {"code": c.code, "status": statuses[c.code]["status"], "decided_by": decided[c.code],
         "paragraph": c.paragraph, "text": dict(c.text)}
        for c in law.conditions
    ]
    because: dict[int, list[str]] = {}
    for o in out:
        if "ground" in o:
            because.setdefault(o["ground"], []).append(o["because"])
    for reasons in because.values():  # conditions in the order of п. 4, then facts
        reasons.sort(key=lambda r: (order.index(r) if r in order else len(order), r))
    grounds = [
        {"number": g.number, "text": dict(g.text), "paragraph": g.paragraph, "because": because[g.number]}
        for g in law.grounds
        if g.number in because
    ]
    return {"conditions": conditions, "grounds": grounds}
