"""The durable_rules wrapper: sessions are always cleaned up, forks get their own host."""
import os
import uuid
from pathlib import Path

import pytest

from rules import engine
from rules.engine import RuleError, emit, evaluate, m, ruleset, when_all

with ruleset("engine_test"):
    @when_all((m.kind == "n") & (m.value > 1))
    def big(c):
        emit(c, {"value": c.m.value})

    @when_all(m.kind == "fail")
    def fail(c):
        raise ValueError("broken action")

with ruleset("engine_test_leak"):
    @when_all(m.kind == "n")
    def seen(c):
        pass


def test_outputs_and_unmatched_facts():
    assert evaluate("engine_test", [{"kind": "n", "value": 2}, {"kind": "n", "value": 0},
                                    {"kind": "other"}, {"kind": "n", "value": 2}]) == [{"value": 2}, {"value": 2}]
    assert evaluate("engine_test", []) == []
    assert evaluate("engine_test", [{"kind": "other"}]) == []


def test_2000_sequential_evaluations_stay_under_the_session_limit():
    for i in range(2000):
        assert evaluate("engine_test", [{"kind": "n", "value": i + 2}]) == [{"value": i + 2}]


def in_child(check):
    """Run check() in a forked process (a broken engine must not take pytest down)."""
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            ok = check()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_the_limit_is_real_without_cleanup():
    def leak():
        host = engine._get_host()
        for n in range(1100):
            try:
                host.assert_fact("engine_test_leak", {engine._SENTINEL: 1, "sid": uuid.uuid4().hex})
            except MemoryError:
                return n == 1024
        return False

    assert in_child(leak) == 0


def test_failing_action_raises_and_cleans_up():
    with pytest.raises(RuleError, match="broken action"):
        evaluate("engine_test", [{"kind": "fail"}])
    for _ in range(1100):
        with pytest.raises(RuleError):
            evaluate("engine_test", [{"kind": "fail"}])


def test_unknown_and_duplicate_rulesets():
    with pytest.raises(KeyError):
        evaluate("no_such_ruleset", [])
    with pytest.raises(ValueError):
        with ruleset("engine_test"):
            pass


def test_a_forked_worker_makes_its_own_host():
    evaluate("engine_test", [{"kind": "n", "value": 5}])
    parent_host = engine._host

    def child():
        return (evaluate("engine_test", [{"kind": "n", "value": 3}]) == [{"value": 3}]
                and engine._host is not parent_host and engine._host_pid == os.getpid())

    assert in_child(child) == 0
    assert engine._host is parent_host


def test_only_engine_imports_durable_and_no_flask_or_database():
    sources = Path(engine.__file__).parent.rglob("*.py")
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert ("import durable" in text or "from durable" in text) == (path.name == "engine.py"), path
        for banned in ("flask", "sqlalchemy", "psycopg", "sqlite3"):
            assert f"import {banned}" not in text and f"from {banned}" not in text, (path, banned)
