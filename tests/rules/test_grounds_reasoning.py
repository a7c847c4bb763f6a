"""Reasoning in words (issue 14 item 3): every condition and ground carries the facts that decided it, in kk/ru/en."""
import re

import pytest

from rules.grounds import assess, not_met_by_a_fact
from rules.law import LANGS, load_seed_versions
from rules.reasoning import unfinished
from tests.rules.factories import GOOD_STATE, good_application

LAW = load_seed_versions()[0]
MACHINE = re.compile(r"\w+=|\b(True|False|None)\b|main_complex|_kz\b|\bKZ\b")


def test_every_condition_and_ground_has_reasoning_in_three_languages_without_machine_codes():
    app = good_application(backup_complexes=[{"settlement": "Алматы", "channels": [{"provider": "A"}]}],
                           ui_languages={"ru"}, consent_secrets=False, consent_personal_data=False)
    result = assess(app, {**GOOD_STATE, "court_ban": True, "documents_unreliable": True}, LAW)
    for item in result["conditions"] + result["grounds"]:
        assert set(item["reasoning"]) == set(LANGS)
        for lang, text in item["reasoning"].items():
            assert text.strip() and not MACHINE.search(text), (lang, text)
    assert {g["number"] for g in result["grounds"]} == {1, 2, 3, 5}


def test_the_backup_in_the_same_settlement_is_named_with_the_rule_it_fails():
    app = good_application(main_complex={"country": "KZ", "settlement": "Астана"},
                           backup_complexes=[{"settlement": "г. Астана", "channels": [{"provider": "A"}, {"provider": "B"}]}])
    result = assess(app, GOOD_STATE, LAW)
    backup = next(c for c in result["conditions"] if c["code"] == "backup_other_settlement")
    assert backup["status"] == "not_met"
    assert "г. Астана (the same settlement as the main complex)" in backup["reasoning"]["en"]
    assert "subparagraph 3) of paragraph 4" in backup["reasoning"]["en"]
    assert "тот же населенный пункт, что и основной комплекс" in backup["reasoning"]["ru"]
    assert "Қағидалардың 4-тармағының 3) тармақшасы" in backup["reasoning"]["kk"]
    ground = result["grounds"][0]
    assert ground["number"] == 2 and backup["reasoning"]["ru"] in ground["reasoning"]["ru"]


def test_channels_and_languages_name_the_failing_complex_and_the_missing_language():
    app = good_application(main_channels=[{"provider": "Kazakhtelecom"}, {"provider": " kazakhtelecom"}],
                           ui_languages={"ru", "en"})
    result = {c["code"]: c for c in assess(app, GOOD_STATE, LAW)["conditions"]}
    assert "Fewer than two different providers: main complex" in result["two_channels_each"]["reasoning"]["en"]
    assert "нет на языках: государственный (казахский)" in result["ui_three_languages"]["reasoning"]["ru"]
    assert "мына тілдерде жоқ: мемлекеттік (қазақ)" in result["ui_three_languages"]["reasoning"]["kk"]


def test_an_unknown_condition_says_why_it_cannot_be_checked_and_blocks_a_certificate():
    result = assess(good_application(), {**GOOD_STATE, "security_test_act_positive": None}, LAW)
    act = next(c for c in result["conditions"] if c["code"] == "security_test_act")
    assert act["status"] == "unknown" and "(No. 12 of 15.01.2025)" in act["reasoning"]["en"]
    assert "cannot be checked" in act["reasoning"]["en"]
    assert [c["code"] for c in not_met_by_a_fact(result["conditions"])] == ["security_test_act"]


def test_ground_1_leaves_the_documents_for_the_clerk_to_name():
    result = assess(good_application(), {**GOOD_STATE, "documents_unreliable": True}, LAW)
    text = result["grounds"][0]["reasoning"]
    assert all(unfinished(text[lang], LAW.code) for lang in LANGS)
    assert not unfinished("Лицензия № 5 от 01.02.2024 не выдавалась: ответ органа № 12.", LAW.code)


@pytest.mark.parametrize("status", ["met", "not_met"])
def test_the_clerks_finding_on_a_condition_replaces_the_rules_with_its_reason(status):
    app = good_application(backup_complexes=[])
    result = assess(app, GOOD_STATE, LAW, {"backup_other_settlement": {"status": status, "reason": "Письмо № 7"}})
    backup = next(c for c in result["conditions"] if c["code"] == "backup_other_settlement")
    assert backup["status"] == status and backup["overridden"] == {"from": "not_met", "reason": "Письмо № 7"}
    assert backup["reasoning"]["kk"] == "Письмо № 7"
    assert bool(result["grounds"]) is (status == "not_met")
