"""Completeness ruleset: missing and expired documents of Appendix 2 item 8."""
from datetime import date

from rules.completeness import check_completeness
from rules.law import load_seed_versions

LAW = load_seed_versions()[0]
ON = date(2025, 3, 11)
ALL = ["application", "backup_complex_letter", "server_room_lease", "support_24_7_letter",
       "ui_languages_letter", "state_service_integration_letter"]


def attached(*codes, **expiry):
    return [{"code": c, **({"expires_on": expiry[c]} if c in expiry else {})} for c in codes]


def test_complete_package_has_no_findings():
    for route in ("portal", "chancellery"):
        assert check_completeness("accreditation", route, attached(*ALL), ON, LAW) == []
    assert check_completeness("reissue", "portal", attached("application", "server_room_lease"), ON, LAW) == []


def test_missing_documents_in_list_order():
    found = check_completeness("accreditation", "portal", attached("application", "server_room_lease"), ON, LAW)
    assert [(f["code"], f["problem"]) for f in found] == [
        ("backup_complex_letter", "missing"), ("support_24_7_letter", "missing"),
        ("ui_languages_letter", "missing"), ("state_service_integration_letter", "missing")]
    first = found[0]
    assert first["paragraph"] == "п. 7; Appendix 2 item 8 sub-item 2"
    assert first["name"] == LAW.document_list("accreditation", "portal").documents[1].name
    assert first["name"]["ru"].startswith("электронная копия письма")


def test_expired_documents():
    found = check_completeness("accreditation", "chancellery",
                               attached(*ALL, server_room_lease="2025-03-10", ui_languages_letter=ON), ON, LAW)
    assert [(f["code"], f["problem"]) for f in found] == [("server_room_lease", "expired")]
    assert found[0]["paragraph"] == "п. 7; Appendix 2 item 8 sub-item 1"


def test_a_valid_copy_beside_an_expired_one_is_enough():
    docs = attached(*ALL, server_room_lease="2024-01-01") + [{"code": "server_room_lease", "expires_on": "2026-01-01"}]
    assert check_completeness("accreditation", "portal", docs, ON, LAW) == []
    docs = attached(*ALL, server_room_lease="2024-01-01") + [{"code": "server_room_lease"}]
    assert check_completeness("accreditation", "portal", docs, ON, LAW) == []


def test_reissue_cites_paragraph_12():
    found = check_completeness("reissue", "chancellery", attached("server_room_lease"), ON, LAW)
    assert found == [{"code": "application", "problem": "missing",
                      "name": LAW.document_list("reissue", "chancellery").documents[0].name,
                      "paragraph": "п. 12, second paragraph; Appendix 2 item 8 sub-item 3"}]
    found = check_completeness("reissue", "portal", [], ON, LAW)
    assert [f["code"] for f in found] == ["application", "server_room_lease"]
    assert found[0]["paragraph"].endswith("sub-item 3 (second)")
