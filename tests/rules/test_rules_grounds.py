"""Grounds ruleset: conditions of п. 4 and grounds of Appendix 2 item 9."""
import dataclasses

import pytest

from rules.grounds import assess, normalise
from rules.law import load_seed_versions
from tests.rules.factories import GOOD_STATE, good_application

LAW = load_seed_versions()[0]


def statuses(result):
    return {c["code"]: c["status"] for c in result["conditions"]}


def grounds(result):
    return {g["number"]: g["because"] for g in result["grounds"]}


def test_everything_met_no_grounds():
    result = assess(good_application(), GOOD_STATE, LAW)
    assert set(statuses(result).values()) == {"met"}
    assert result["grounds"] == []
    first = result["conditions"][0]
    assert first["paragraph"] == "п. 4 пп. 1)" and first["text"] == LAW.condition("location_kz").text
    assert first["decided_by"] == "main_complex.country='KZ'"


@pytest.mark.parametrize("code, changes, state", [
    ("location_kz", {"main_complex": {"country": "KG", "settlement": "Бишкек"}}, {}),
    ("security_test_act", {}, {"security_test_act_positive": False}),
    ("backup_other_settlement", {"backup_complexes": [
        {"settlement": "Алматы қаласы", "channels": [{"provider": "A"}, {"provider": "B"}]}]}, {}),
    ("backup_other_settlement", {"backup_complexes": []}, {}),
    ("backup_other_settlement", {"backup_complexes": [
        {"settlement": "Бишкек", "country": "KG", "channels": [{"provider": "A"}, {"provider": "B"}]}]}, {}),
    ("two_channels_each", {"main_channels": [{"provider": "Kazakhtelecom"}, {"provider": " kazakhtelecom"}]}, {}),
    ("two_channels_each", {"backup_complexes": [{"settlement": "Астана", "channels": [{"provider": "Kcell"}]}]}, {}),
    ("support_24_7", {"support_24_7": False}, {}),
    ("ui_three_languages", {"ui_languages": {"ru", "en"}}, {}),
    ("state_service_integration", {"state_service_integration": False}, {}),
])
def test_a_condition_not_met_is_ground_2(code, changes, state):
    result = assess(good_application(**changes), {**GOOD_STATE, **state}, LAW)
    assert statuses(result)[code] == "not_met"
    assert [c for c, s in statuses(result).items() if s != "met"] == [code]
    assert grounds(result) == {2: [code]}
    assert result["grounds"][0]["paragraph"] == "Appendix 2 item 9 sub-item 2"
    assert result["grounds"][0]["text"] == LAW.ground(2).text


def test_unknown_when_facts_are_missing():
    app = good_application(support_24_7=None, ui_languages=None, backup_complexes=None)
    del app["main_complex"]
    result = assess(app, {"security_test_act_positive": None}, LAW)
    st = statuses(result)
    assert st == {"location_kz": "unknown", "security_test_act": "unknown", "backup_other_settlement": "unknown",
                  "two_channels_each": "unknown", "support_24_7": "unknown", "ui_three_languages": "unknown",
                  "state_service_integration": "met"}
    assert result["grounds"] == []


def test_a_known_failure_beats_an_unknown_complex():
    app = good_application(main_channels=[{"provider": "A"}], backup_complexes=[{"settlement": "Астана"}])
    assert statuses(assess(app, GOOD_STATE, LAW))["two_channels_each"] == "not_met"
    app = good_application(backup_complexes=[{"settlement": "Астана"}])
    assert statuses(assess(app, GOOD_STATE, LAW))["two_channels_each"] == "unknown"


@pytest.mark.parametrize("state, number, because", [
    ({"documents_unreliable": True}, 1, "documents_unreliable=True"),
    ({"court_ban": True}, 3, "court_ban=True"),
    ({"court_deprived_special_right": True}, 4, "court_deprived_special_right=True"),
])
def test_state_facts_give_grounds(state, number, because):
    result = assess(good_application(), {**GOOD_STATE, **state}, LAW)
    assert grounds(result) == {number: [because]}
    assert result["grounds"][0]["paragraph"] == f"Appendix 2 item 9 sub-item {number}"


def test_consents():
    result = assess(good_application(consent_personal_data=False), GOOD_STATE, LAW)
    assert grounds(result) == {5: ["consent_personal_data=False"]}
    assert result["grounds"][0]["text"]["kk"] == LAW.ground(5).text["kk"]
    result = assess(good_application(consent_secrets=False), GOOD_STATE, LAW)
    assert grounds(result) == {2: ["consent_secrets=False"]}
    result = assess(good_application(consent_personal_data=None, consent_secrets=None), {}, LAW)
    assert result["grounds"] == []


def test_several_grounds_at_once():
    app = good_application(support_24_7=False, ui_languages={"ru"}, consent_personal_data=False)
    result = assess(app, {**GOOD_STATE, "court_ban": True}, LAW)
    assert grounds(result) == {2: ["support_24_7", "ui_three_languages"], 3: ["court_ban=True"],
                               5: ["consent_personal_data=False"]}


def test_numbers_come_from_the_law_version():
    three = tuple(dataclasses.replace(c, params={**c.params, "min_providers": 3}) if c.code == "two_channels_each"
                  else c for c in LAW.conditions)
    amended = dataclasses.replace(LAW, conditions=three)
    assert statuses(assess(good_application(), GOOD_STATE, amended))["two_channels_each"] == "not_met"


def test_normalise_settlements():
    assert normalise("г. Алматы") == normalise("Алматы қаласы") == normalise("  АЛМАТЫ ") == "алматы"
    assert normalise("Семёй") == normalise("Семей")
    assert normalise("Астана") != normalise("Алматы")
