"""The rules engine: durable_rules behind evaluate(). The only module importing it.

What durable-rules 2.0.28 does, and what we do about it:

* Rule state lives in process memory, at most 1,024 live sessions per
  ruleset. Every evaluation gets its own sid (a uuid) and deletes its state
  in `finally`, so sessions never pile up.
* when_all(a, b) means two *correlated facts*, not "a and b": write one
  condition with `&`, e.g. when_all((m.t == "doc") & (m.missing == True)).
* A fact that no rule matches raises MessageNotHandledException: normal here.
* Deleting a session in which no action ran crashes the process (see
  _SENTINEL): every session runs a no-op action first.
* An exception inside an action is swallowed into the session state; we
  read it back and raise RuleError.
* Rulesets are declared once, at import (with `ruleset` below); the host is
  created on first use, again in a forked worker (it checks os.getpid()).
  Its timers and background dispatch threads are never used: actions run
  synchronously inside evaluate(). Calls are serialised by a lock.

Facts are JSON-able dicts; the keys `id` and `sid` are set by evaluate().
Actions report results with emit(c, {...}); evaluate() returns them. An
action may chain a derived fact into the same session with derive(c, {...}).
"""
from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager

from durable import engine as _durable
from durable import lang as _lang
from durable.lang import c, m, when_all, when_any  # noqa: F401  (the DSL the rulesets use)

__all__ = ["RuleError", "c", "derive", "emit", "evaluate", "m", "ruleset", "when_all", "when_any"]


class RuleError(RuntimeError):
    """An action of a ruleset failed."""


class _Host(_durable.Host):
    """A durable host without background dispatch threads (no timers, no async actions)."""

    def _run(self):
        pass


_definitions: dict[str, object] = {}  # name -> durable ruleset, declared at import
_outputs: dict[str, list[dict]] = {}  # sid -> what the actions emitted
_lock = threading.Lock()
_host: _Host | None = None
_host_pid: int | None = None
_registered: set[str] = set()


def _after_fork() -> None:
    global _lock, _host, _host_pid
    _lock, _host, _host_pid = threading.Lock(), None, None
    _outputs.clear()
    _registered.clear()


os.register_at_fork(after_in_child=_after_fork)


# durable 2.0.28 never initialises a session's action context, and
# delete_state frees it: deleting a session in which no action ran frees a
# garbage pointer and crashes the process. So every ruleset has this rule and
# every session runs it first, which sets the context and resets it to NULL.
_SENTINEL = "tyndau_engine_session"


def _no_op(_closure):
    pass


@contextmanager
def ruleset(name: str):
    """Declare a ruleset: `with ruleset("name"):` then `@when_all(...)` actions."""
    if name in _definitions:
        raise ValueError(f"ruleset {name!r} is already declared")
    rs = _lang.ruleset(name)
    with rs:
        when_all(getattr(m, _SENTINEL) == 1)(_no_op)
        yield rs
    _lang._rulesets.pop(name, None)  # keep it out of durable's own global host
    _definitions[name] = rs


def _get_host() -> _Host:
    global _host, _host_pid
    if _host is None or _host_pid != os.getpid():
        _host, _host_pid = _Host(), os.getpid()
        _registered.clear()
    new = [name for name in _definitions if name not in _registered]
    if new:
        # define() builds a fresh definition each time: durable mutates the one it is given
        _host.register_rulesets(dict(_definitions[name].define() for name in new))
        _registered.update(new)
    return _host


def emit(c, output: dict) -> None:
    """From inside an action: add `output` to what evaluate() returns."""
    _outputs[c.s.sid].append(dict(output))


def derive(c, fact: dict) -> None:
    """From inside an action: assert a derived fact in the same session."""
    try:
        c.assert_fact(dict(fact))
    except _durable.MessageNotHandledException:
        pass  # no rule is about this fact


def evaluate(ruleset_name: str, facts: list[dict]) -> list[dict]:
    """Assert `facts` in a fresh session of the ruleset; return what its actions emitted."""
    if ruleset_name not in _definitions:
        raise KeyError(f"no ruleset {ruleset_name!r}")
    with _lock:
        host = _get_host()
        sid = uuid.uuid4().hex
        _outputs[sid] = []
        try:
            host.assert_fact(ruleset_name, {_SENTINEL: 1, "id": "session", "sid": sid})
            for i, fact in enumerate(facts):
                try:
                    host.assert_fact(ruleset_name, {**fact, "id": i, "sid": sid})
                except _durable.MessageNotHandledException:
                    pass  # no rule is about this fact
            error = host.get_state(ruleset_name, sid).get("exception")
            if error:
                raise RuleError(f"{ruleset_name}: {error}")
            return _outputs[sid]
        finally:
            _outputs.pop(sid, None)
            host.delete_state(ruleset_name, sid)
