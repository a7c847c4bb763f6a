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

from . import reasoning
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


def _facts(app: dict, state: dict, law: LawVersion, findings: dict) -> tuple[list[dict], dict[str, str]]:
    """The facts for the ruleset, and what decided each measure (kept out of the facts: no rule reads it).

    A condition the clerk found met or not met (`findings`, with a reason) enters as that finding.
    """
    facts, decided = [], {}
    for cond in law.conditions:
        value, required, complete, decided_by = _MEASURES[cond.code](app, state, cond.params)
        if cond.code in findings:
            value, required, complete = int(findings[cond.code]["status"] == "met"), 1, True
            decided_by = "the clerk's finding"
        fact = {"t": "measure", "code": cond.code, "required": required, "complete": complete}
        if value is not None:
            fact["value"] = value
        facts.append(fact)
        decided[cond.code] = decided_by
    for name, source in [(n, app) for n in _APPLICATION_FLAGS] + [(n, state) for n in _STATE_FLAGS]:
        if source.get(name) is not None:
            facts.append({"t": "fact", "name": name, "value": bool(source[name])})
    return facts, decided


# What a ground is "because of" when it is a fact, not a condition: the fact's name (rules/reasoning.py).
_FACT_OF = {"consent_secrets=False": "consent_secrets", "documents_unreliable=True": "documents_unreliable",
            "court_ban=True": "court_ban", "court_deprived_special_right=True": "court_deprived_special_right",
            "consent_personal_data=False": "consent_personal_data"}


def assess(application_facts: dict, state_facts: dict, law: LawVersion, findings: dict | None = None) -> dict:
    """Proposed status of each condition of п. 4 and the grounds for refusal found, each with its reasoning.

    findings: the clerk's own finding on conditions, {code: {"status": "met" | "not_met", "reason": text}};
    the condition then takes that status, its reasoning is the clerk's reason, and "overridden" keeps what
    the rules had found. Every condition and ground carries "reasoning" {ru, kk, en} written from the facts.
    """
    findings = {code: f for code, f in (findings or {}).items()
                if f.get("status") in ("met", "not_met") and code in {c.code for c in law.conditions}}
    original = assess(application_facts, state_facts, law)["conditions"] if findings else None
    facts, decided = _facts(application_facts, state_facts, law, findings)
    out = evaluate("grounds", facts)
    statuses = {o["condition"]: o for o in out if "condition" in o}
    order = [c.code for c in law.conditions]
    if sorted(o["condition"] for o in out if "condition" in o) != sorted(order):
        raise RuleError("every condition must get exactly one status")
    conditions = []
    for i, c in enumerate(law.conditions):
        status = statuses[c.code]["status"]
        item = {"code": c.code, "status": status, "decided_by": decided[c.code], "paragraph": c.paragraph,
                "text": dict(c.text)}
        if c.code in findings:
            item["reasoning"] = reasoning.same_in_all(findings[c.code].get("reason", "").strip())
            item["overridden"] = {"from": original[i]["status"], "reason": findings[c.code].get("reason", "").strip()}
        else:
            item["reasoning"] = reasoning.condition(c.code, status, application_facts, state_facts, law.code, normalise)
        conditions.append(item)
    by_code = {c["code"]: c for c in conditions}
    because: dict[int, list[str]] = {}
    for o in out:
        if "ground" in o:
            because.setdefault(o["ground"], []).append(o["because"])
    for reasons in because.values():  # conditions in the order of п. 4, then facts
        reasons.sort(key=lambda r: (order.index(r) if r in order else len(order), r))

    def reasoned(reasons: list[str]) -> dict[str, str]:
        parts = [by_code[r]["reasoning"] if r in by_code else reasoning.fact(_FACT_OF[r], law.code) for r in reasons]
        return {lang: " ".join(p[lang] for p in parts) for lang in parts[0]}

    grounds = [
        {"number": g.number, "text": dict(g.text), "paragraph": g.paragraph, "because": because[g.number],
         "reasoning": reasoned(because[g.number])}
        for g in law.grounds
        if g.number in because
    ]
    return {"conditions": conditions, "grounds": grounds}


def not_met_by_a_fact(conditions: list[dict]) -> list[dict]:
    """The conditions not met by a stated fact (unknown or not met): no certificate while there is one (п.4)."""
    return [c for c in conditions if c.get("status") != "met"]
