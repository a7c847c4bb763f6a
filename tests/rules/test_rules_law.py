"""The law as dated data: loading, round trip, versions in force, verbatim texts."""
import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from rules.law import KINDS, LANGS, ROUTES, LawVersion, load_seed_versions, version_in_force

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"


@pytest.fixture(scope="module")
def law():
    return load_seed_versions()[0]


def test_seed_version_numbers(law):
    assert law.code == "142/НҚ as amended by 404/НҚ"
    assert law.effective_from == date(2023, 9, 14)
    assert law.terms == {
        "completeness": 2, "review": 5, "service": 10, "service_reissue": 5, "reissue_review": 2,
        "reissue_completeness": 2, "hearing_notice": 3, "hearing": 2, "complaint_forward": 3,
        "complaint_provider": 5, "complaint_authority": 15,
    }
    assert law.validity_years == 1
    assert set(law.terms) <= set(law.paragraphs)
    assert law.paragraphs["hearing_notice"] == "п. 10"
    assert law.paragraphs["service"] == "Appendix 2 item 3"


def test_documents_conditions_grounds(law):
    for kind in KINDS:
        for route in ROUTES:
            lst = law.document_list(kind, route)
            assert lst.documents[0].code == "application"
            assert lst.paragraph.startswith("Appendix 2 item 8 sub-item")
            assert all(set(d.name) == set(LANGS) for d in lst.documents)
    assert [d.code for d in law.document_list("reissue", "portal").documents] == ["application", "server_room_lease"]
    assert len(law.document_list("accreditation", "chancellery").documents) == 6
    assert [c.code for c in law.conditions] == [
        "location_kz", "security_test_act", "backup_other_settlement", "two_channels_each",
        "support_24_7", "ui_three_languages", "state_service_integration"]
    assert [c.paragraph for c in law.conditions][2] == "п. 4 пп. 3)"
    assert [g.number for g in law.grounds] == [1, 2, 3, 4, 5]
    assert law.ground(5).paragraph == "Appendix 2 item 9 sub-item 5"


def test_round_trip(law):
    again = LawVersion.from_dict(json.loads(json.dumps(law.to_dict())))
    assert again == law


def test_missing_translation_is_refused(law):
    d = law.to_dict()
    del d["grounds"][0]["text"]["kk"]
    with pytest.raises(ValueError, match="kk"):
        LawVersion.from_dict(d)


def test_case_follows_version_in_force_on_registration(law):
    amended = dataclasses.replace(law, code="amendment", effective_from=date(2026, 7, 1),
                                  terms={**law.terms, "service": 7})
    versions = [amended, law]
    assert version_in_force(versions, date(2026, 6, 30)) is law
    assert version_in_force(versions, date(2026, 7, 1)) is amended
    assert version_in_force(versions, date(2030, 1, 1)).terms["service"] == 7
    with pytest.raises(LookupError):
        version_in_force(versions, date(2023, 9, 13))


@pytest.mark.skipif(not SEED_DIR.exists(), reason="shared/seed is not beside the repo")
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_texts_are_verbatim_from_the_seed(law, lang):
    seed = " ".join((SEED_DIR / f"rules-404-{lang}.txt").read_text(encoding="utf-8").split())
    texts = [d.name[lang] for routes in law.documents.values() for lst in routes.values() for d in lst.documents]
    texts += [c.text[lang] for c in law.conditions] + [g.text[lang] for g in law.grounds]
    for text in texts:
        assert " ".join(text.split()) in seed, text
