"""The architecture of issue 17, read from the code: import-linter's contracts (pyproject.toml) hold.

`make test` runs lint-imports before pytest too; this test keeps the check in every pytest run, and makes
sure the contracts the issue asks for are still declared (a contract deleted would otherwise pass silently).
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEPS = {"portal.applications", "portal.review", "portal.hearings", "portal.decisions", "portal.complaints"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_contracts_of_issue_17_are_declared():
    contracts = _contracts()
    assert contracts["rules-pure"]["type"] == "forbidden"
    assert contracts["rules-pure"]["source_modules"] == ["rules"]
    assert contracts["rules-pure"]["forbidden_modules"] == ["portal"]
    signatures = contracts["signatures-serve-the-steps"]
    assert signatures["source_modules"] == ["portal.signatures"]
    assert set(signatures["forbidden_modules"]) == STEPS
    assert signatures.get("allow_indirect_imports", "False") == "False"
    assert contracts["calendar-below-deadlines"]["layers"] == ["portal.calendar_admin", "portal.deadlines",
                                                                 "portal.calendar"]
    floors = contracts["floors"]["layers"]
    layer = {name.strip(): depth for depth, names in enumerate(floors) for name in names.replace(":", "|").split("|")}
    # The steps in the procedure's order, each its own layer above the shared services; no layer of packages that
    # may import one another (":"), which is what a cycle needs.
    order = [layer[f"portal.{step}"] for step in ("complaints", "decisions", "hearings", "review",
                                                         "applications")]
    assert order == sorted(order) and len(set(order)) == 5
    assert all(layer[f"portal.{shared}"] > order[-1] for shared in ("notifications", "deadlines", "accounts",
                                                                           "events", "law", "calendar"))
    assert not any(":" in layer for layer in floors)
    # Nothing relaxes the count: imports inside functions are counted as import-linter does by default.
    assert not any(c.get("ignore_imports") for c in contracts.values())


def test_the_import_contracts_hold():
    pytest.importorskip("importlinter")
    lint = Path(sys.executable).with_name("lint-imports")  # installed beside this interpreter with the package
    result = subprocess.run([str(lint), "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    for contract in _contracts().values():
        assert contract["name"][:40] in result.stdout
