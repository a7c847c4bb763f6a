"""Rules: cases per second through the completeness and conditions-and-grounds rulesets, against plain Python.

A few thousand varied cases (most complete and sound, the rest with the defects a clerk meets: a
missing or expired document, a backup in the same town, one provider for both channels, a missing
interface language, no 24/7 support, a negative test act, a court ban, a consent not given) go through
rules.completeness.check_completeness and rules.grounds.assess, as the review does; the same checks
written as plain Python here must reach the same findings, case by case. Target: >= 2,000 cases/s.
"""
from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta

TARGET = 2000
CASES = 3000
TODAY = date(2026, 3, 20)
SETTLEMENTS = ("Астана", "Алматы", "г. Караганда", "Шымкент", "Павлодар", "Актобе")
PROVIDERS = ("Kazakhtelecom", "Transtelecom", "Beeline", "Kcell", "Jusan Mobile")


def cases(count: int = CASES, seed: int = 8) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        kind = "reissue" if rng.random() < 0.2 else "accreditation"
        route = "chancellery" if rng.random() < 0.15 else "portal"
        defect = rng.choice(["none"] * 17 + ["missing", "expired", "same_town", "one_provider", "language",
                                            "no_support", "act_negative", "court_ban", "no_consent", "unknown"])
        main = rng.choice(SETTLEMENTS)
        backup = main if defect == "same_town" else rng.choice([s for s in SETTLEMENTS if s != main])
        providers = rng.sample(PROVIDERS, 2)
        second = providers[0] if defect == "one_provider" else providers[1]
        app = {"main_complex": {"country": "KZ", "settlement": main},
               "main_channels": [{"provider": providers[0]}, {"provider": providers[1]}],
               "backup_complexes": [{"settlement": backup, "channels": [{"provider": providers[0]},
                                                                       {"provider": second}]}],
               "support_24_7": defect != "no_support",
               "ui_languages": {"kk", "ru"} if defect == "language" else {"kk", "ru", "en"},
               "security_test_act": {"number": "ИБ-2026/1", "date": "2026-01-10"},
               "state_service_integration": True, "consent_personal_data": defect != "no_consent",
               "consent_secrets": True}
        state = {"security_test_act_positive": None if defect == "unknown" else defect != "act_negative",
                 "court_ban": defect == "court_ban", "court_deprived_special_right": False,
                 "documents_unreliable": None}
        codes = {"accreditation": ["application", "backup_complex_letter", "server_room_lease", "support_24_7_letter",
                                   "ui_languages_letter", "state_service_integration_letter"],
                 "reissue": ["application", "server_room_lease"]}[kind]
        attached = [{"code": c, "expires_on": (TODAY + timedelta(days=200) if c == "server_room_lease" else None)}
                    for c in codes]
        if defect == "missing":
            attached.pop(rng.randrange(1, len(attached)))
        if defect == "expired":
            attached = [{**a, "expires_on": TODAY - timedelta(days=3)} if a["code"] == "server_room_lease" else a
                        for a in attached]
        out.append({"kind": kind, "route": route, "app": app, "state": state, "attached": attached})
    return out


# --- the same checks, as plain Python ----------------------------------------------------------

def _norm(name):
    from rules.grounds import normalise

    return normalise(name)


def plain_completeness(case: dict, law) -> list[tuple[str, str]]:
    found = []
    for doc in law.document_list(case["kind"], case["route"]).documents:
        copies = [a for a in case["attached"] if a.get("code") == doc.code]
        if not copies:
            found.append((doc.code, "missing"))
        else:
            expiries = [a.get("expires_on") for a in copies]
            if None not in expiries and max(expiries) < TODAY:
                found.append((doc.code, "expired"))
    return found


def plain_assess(app: dict, state: dict, law) -> tuple[dict, list[int]]:
    statuses = {}
    for cond in law.conditions:
        p, code = cond.params, cond.code
        if code == "location_kz":
            country = (app.get("main_complex") or {}).get("country")
            value, required, complete = (None if country is None else int(country.strip().upper() == p["country"])), 1, True
        elif code == "security_test_act":
            positive = state.get("security_test_act_positive")
            value, required, complete = (None if positive is None else int(positive)), 1, True
        elif code == "backup_other_settlement":
            main = (app.get("main_complex") or {}).get("settlement")
            backups = app.get("backup_complexes")
            required, complete = p["min_backups"], True
            value = None if not main or backups is None else len(
                [b for b in backups if _norm(b.get("settlement")) not in ("", _norm(main))
                 and (b.get("country") or "KZ").strip().upper() == "KZ"])
        elif code == "two_channels_each":
            def providers(channels):
                return None if channels is None else len({_norm(c.get("provider")) for c in channels
                                                          if _norm(c.get("provider"))})
            backups = app.get("backup_complexes")
            counts = [providers(app.get("main_channels"))]
            counts += [None] if backups is None else [providers(b.get("channels")) for b in backups]
            known = [n for n in counts if n is not None]
            value, required, complete = (min(known) if known else None), p["min_providers"], None not in counts
        elif code == "ui_three_languages":
            given = app.get("ui_languages")
            required, complete = len(p["languages"]), True
            value = None if given is None else len({str(x).strip().lower() for x in given} & set(p["languages"]))
        else:
            flag = app.get(code)
            value, required, complete = (None if flag is None else int(bool(flag))), 1, True
        if value is None or (value >= required and not complete):
            statuses[code] = "unknown"
        elif value >= required:
            statuses[code] = "met"
        else:
            statuses[code] = "not_met"
    grounds = set()
    if "not_met" in statuses.values() or app.get("consent_secrets") is False:
        grounds.add(2)
    if state.get("documents_unreliable") is True:
        grounds.add(1)
    if state.get("court_ban") is True:
        grounds.add(3)
    if state.get("court_deprived_special_right") is True:
        grounds.add(4)
    if app.get("consent_personal_data") is False:
        grounds.add(5)
    return statuses, sorted(grounds)


def run(count: int = CASES) -> dict:
    from rules.completeness import check_completeness
    from rules.grounds import assess
    from rules.law import load_seed_versions, version_in_force

    law = version_in_force(load_seed_versions(), TODAY)
    sample = cases(count)

    def through_rules(case):
        findings = check_completeness(case["kind"], case["route"], case["attached"], TODAY, law)
        proposal = assess(case["app"], case["state"], law)
        return ([(f["code"], f["problem"]) for f in findings],
                ({c["code"]: c["status"] for c in proposal["conditions"]}, [g["number"] for g in proposal["grounds"]]))

    def plain(case):
        return plain_completeness(case, law), plain_assess(case["app"], case["state"], law)

    for case in sample[:50]:
        through_rules(case)  # the engine builds its host on first use
    mismatches = [i for i, case in enumerate(sample) if through_rules(case) != plain(case)]
    if mismatches:
        raise AssertionError(f"the plain checks disagree with the rules on cases {mismatches[:10]}")
    started = time.perf_counter()
    for case in sample:
        through_rules(case)
    rules_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for case in sample:
        plain(case)
    plain_seconds = time.perf_counter() - started
    rules_rate, plain_rate = count / rules_seconds, count / plain_seconds
    defects = sum(1 for case in sample if plain(case) != ([], ({c.code: "met" for c in law.conditions}, [])))
    return {"name": "rules", "figures": {
                "cases": count, "cases_with_findings": defects, "rules_cases_per_s": round(rules_rate),
                "plain_python_cases_per_s": round(plain_rate), "rules_ms_per_case": round(1000 / rules_rate, 3),
                "plain_ms_per_case": round(1000 / plain_rate, 4), "same_findings": True},
            "ratio": round(rules_rate / plain_rate, 4),
            "target": f"completeness + conditions-and-grounds rulesets >= {TARGET} cases/s (ratio: rules / plain Python)",
            "pass": rules_rate >= TARGET}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else CASES), indent=2, ensure_ascii=False))
