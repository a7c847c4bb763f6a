"""`flask law load`: an amendment of the Rules becomes a new version; cases keep the version of their registration day,
and revision 0002 loads exactly the file it was written for."""
from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest

from portal.extensions import db
from portal.law.models import LawVersionRecord
from portal.law.services import law_in_force

ROOT = Path(__file__).resolve().parents[2]
ORDER_404 = ROOT / "rules" / "data" / "order_404.json"


@pytest.fixture
def amendment(app, tmp_path):
    """A JSON file of an amendment (order 404's data with a new code and a longer review term)."""
    data = json.loads(ORDER_404.read_text(encoding="utf-8"))
    data["code"] = "142/НҚ as amended by 999/НҚ (test)"
    data["terms"] = {**data["terms"], "review": data["terms"]["review"] + 2}
    path = tmp_path / "amendment.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    yield path, data
    with app.app_context():  # law_version survives the tests' table emptying: remove what the test loaded
        db.session.execute(db.delete(LawVersionRecord).where(LawVersionRecord.code == data["code"]))
        db.session.commit()


def test_load_adds_a_version_that_governs_from_its_day(app, runner, amendment):
    path, data = amendment
    result = runner.invoke(args=["law", "load", str(path), "--effective-from", "2031-01-01"])
    assert result.exit_code == 0, result.output
    assert "cases registered before keep their version" in result.output
    with app.test_request_context():
        before, after = law_in_force(date(2030, 12, 31)), law_in_force(date(2031, 1, 1))
        assert before[0].code == "142/НҚ as amended by 404/НҚ"
        assert after[0].code == data["code"] and after[0].effective_from == date(2031, 1, 1)
        assert after[1].terms["review"] == before[1].terms["review"] + 2
    listed = runner.invoke(args=["law", "list"])
    assert listed.output.splitlines()[-1] == f"2031-01-01  {data['code']}"


def test_load_refuses_a_second_copy_an_earlier_day_and_missing_terms(app, runner, amendment, tmp_path):
    path, data = amendment
    early = runner.invoke(args=["law", "load", str(path), "--effective-from", "2023-01-01"])
    assert early.exit_code != 0 and "must take effect after the latest version" in early.output
    assert runner.invoke(args=["law", "load", str(path), "--effective-from", "2031-01-01"]).exit_code == 0
    again = runner.invoke(args=["law", "load", str(path), "--effective-from", "2032-01-01"])
    assert again.exit_code != 0 and "already loaded" in again.output
    short = dict(data, code="without the review term", terms={k: v for k, v in data["terms"].items() if k != "review"})
    bad = tmp_path / "short.json"
    bad.write_text(json.dumps(short, ensure_ascii=False), encoding="utf-8")
    refused = runner.invoke(args=["law", "load", str(bad), "--effective-from", "2033-01-01"])
    assert refused.exit_code != 0 and "terms missing: review" in refused.output
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    broken = runner.invoke(args=["law", "load", str(tmp_path / "broken.json"), "--effective-from", "2033-01-01"])
    assert broken.exit_code != 0 and "is not JSON" in broken.output
    with app.app_context():
        codes = set(db.session.scalars(db.select(LawVersionRecord.code)))
    assert codes == {"142/НҚ as amended by 404/НҚ", data["code"]}


def test_revision_0002_loads_only_the_file_it_was_written_for(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "revision_0002", ROOT / "migrations" / "versions" / "0002_law_version_order_404.py")
    revision = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision)
    assert revision.SHA256 == hashlib.sha256(ORDER_404.read_bytes()).hexdigest(), \
        "rules/data/order_404.json was edited: load an amendment with `flask law load` instead"
    assert revision._data()["code"] == "142/НҚ as amended by 404/НҚ"
    edited = tmp_path / "order_404.json"
    edited.write_bytes(ORDER_404.read_bytes().replace(b'"validity_years": 1', b'"validity_years": 2'))
    revision.DATA = edited
    with pytest.raises(RuntimeError, match="flask law load"):
        revision._data()
