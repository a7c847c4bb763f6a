"""The rules engine: durable_rules behind evaluate(). The only module importing it.

What durable-rules 2.0.28 does, and what we do about it:

* Rule state lives in process memory, at most 1,024 live sessions per
  ruleset. Every evaluation gets its own sid and deletes its state in
  `finally`, so sessions never pile up.
* when_all(a, b) means two *correlated facts*, not "a and b": write one
  condition with `&`, e.g. when_all((m.t == "doc") & (m.missing == True)).
* A fact that no rule matches raises MessageNotHandledException; in a batch
  (assert_facts) the whole batch is reported "not handled" while the other
  facts still match and their actions still run: normal here.
* Deleting a session in which no action ran crashes the process (see
  _SENTINEL): every session runs a no-op action first.
* Rulesets are declared once, at import (with `ruleset` below); the host is
  created on first use, again in a forked worker (it checks os.getpid()).
  Its timers and background dispatch threads are never used: actions run
  synchronously inside evaluate(). Calls are serialised by a lock.

How evaluate() drives a session. durable's Python layer (a JSON round trip
per fact, per action and for get_state, a Closure per action) cost several
times the matching itself, so evaluate() drives durable's rete
(durable_rules_engine) directly, with the rulesets durable's host compiled:

1. the sentinel fact and the facts go in with ONE assert_facts call, except
   facts this process has already seen no rule take (_Matches: skipped) or
   not seen yet (asserted one by one, once, to learn which they are); if an
   assert fails, _settle() still runs the sentinel before the delete;
2. the actions are taken from the session's agenda one by one and called
   here with a small context `c`: c.m (or c.<alias>) is the matched fact,
   c.s.sid the session (there is no other session state); durable gives the
   fact back as the text we sent, so it is looked up rather than parsed;
3. a fact derived by an action (derive) is asserted into the same session
   at once, as durable did; its actions come later in the same loop;
4. an exception in an action does not stop the others (as in durable); the
   first one is raised afterwards as RuleError (chained to it). No session
   state is read back (no get_state): actions report only through emit().

Facts are JSON-able dicts; the keys `id` and `sid` are set by evaluate().
Actions report results with emit(c, {...}); evaluate() returns them. An
action may chain a derived fact into the same session with derive(c, {...}).
"""
from __future__ import annotations

import itertools
import json
import json.encoder as _json_encoder
import os
import threading
from contextlib import contextmanager

import durable_rules_engine as _rete  # durable-rules' own C engine (durable.engine wraps it)
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
_lock = threading.Lock()
_host: _Host | None = None
_host_pid: int | None = None
_registered: set[str] = set()
_compiled: dict[str, tuple] = {}  # name -> (rete handle, rule name -> action, _Matches), per host
_sids = itertools.count(1)  # a session lives only inside one evaluate(): a counter is a unique sid



def _not_json(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# JSON as durable itself writes it (json.dumps(..., ensure_ascii=False)), but with one C encoder made
# once instead of one per call (no check for circular structures: facts are plain JSON-able dicts)
if _json_encoder.c_make_encoder is not None:
    _c_encoder = _json_encoder.c_make_encoder(None, _not_json, _json_encoder.c_encode_basestring, None,
                                              ": ", ", ", False, False, True)

    def _dumps(value) -> str:
        return "".join(_c_encoder(value, 0))
else:  # pragma: no cover  (a Python without the _json accelerator)
    _dumps = json.JSONEncoder(ensure_ascii=False).encode
_loads = json.loads

# durable's result codes for an assert (errors are raised by durable_rules_engine)
_NOT_HANDLED, _OBSERVED = 1, 2


def _after_fork() -> None:
    global _lock, _host, _host_pid
    _lock, _host, _host_pid = threading.Lock(), None, None
    _registered.clear()
    _compiled.clear()


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
        _compiled.clear()
    new = [name for name in _definitions if name not in _registered]
    if new:
        # define() builds a fresh definition each time: durable mutates the one it is given
        definitions = dict(_definitions[name].define() for name in new)
        actions = {name: {rule: spec["run"] for rule, spec in definition.items()}
                   for name, definition in definitions.items()}
        _host.register_rulesets(definitions)
        for name in new:
            _compiled[name] = (_host.get_ruleset(name)._handle, actions[name], _Matches())
        _registered.update(new)
    return _host


class _Matches:
    """What this process learnt about one ruleset: which facts no rule is about.

    Whether durable "handles" a fact (some rule's pattern takes it in) depends only on the fact's
    content and the ruleset, never on the session; a fact it does not handle is dropped without a
    trace. So a fact already seen to be not handled is not sent again (no JSON, no call), and a fact
    not seen before is asserted on its own once, to learn which it is. The key is the fact as given
    to evaluate() or derive() and the id evaluate() gives it (the sid, new for every evaluation, is
    added after); a fact with nested values (unhashable) is never skipped.
    """

    __slots__ = ("handled", "unhandled")
    LIMIT = 4096  # learnt facts per kind; beyond it new facts are asserted on their own, as if unseen

    def __init__(self):
        self.handled: set = set()
        self.unhandled: set = set()

    @staticmethod
    def key(fact: dict, fact_id=None):
        """The fact's content and its id; the types are part of it (True == 1 == 1.0 for Python, not for JSON)."""
        key = (fact_id, tuple(fact.items()), tuple(map(type, fact.values())))
        try:
            hash(key)
        except TypeError:  # nested values
            return None
        return key

    def learn(self, key, code: int) -> None:
        kind = self.unhandled if code == _NOT_HANDLED else self.handled
        if key is not None and len(kind) < self.LIMIT:
            kind.add(key)


class _Session:
    """One evaluation: a fresh durable session (its own sid) of one ruleset, driven by evaluate()."""

    __slots__ = ("actions", "failed", "handle", "known", "matches", "name", "outputs", "s")

    def __init__(self, name: str, handle: int, actions: dict, matches: _Matches, sid: str):
        self.name, self.handle, self.actions, self.matches = name, handle, actions, matches
        self.s = _Fact({"sid": sid})  # what an action sees as c.s
        self.known: dict[str, dict] = {}  # JSON text -> fact, for the facts this session asserted
        self.outputs: list[dict] = []  # emit()
        self.failed: list[tuple[str, Exception]] = []  # (rule, exception) of the actions that raised

    def assert_fact(self, fact: dict, key) -> tuple[int, int]:
        """Assert one fact; learn whether it is handled. Returns durable's (result code, state)."""
        text = _dumps(fact)
        self.known[text] = fact
        code, state = _rete.assert_fact(self.handle, text)
        self.matches.learn(key, code)
        return code, state

    def assert_facts(self, facts: list[dict]) -> int:
        """Assert facts known to be handled (and the sentinel) in one call; returns the state."""
        known = self.known
        texts = []
        for fact in facts:
            text = _dumps(fact)
            known[text] = fact
            texts.append(text)
        # "not handled" for a batch is normal (see the module docstring)
        _code, state = _rete.assert_facts(self.handle, "[" + ", ".join(texts) + "]")
        return state

    def run(self, state: int) -> None:
        """Run the session's agenda to the end (derived facts join it as the actions derive them)."""
        handle, actions = self.handle, self.actions
        started = _rete.start_action_for_state(handle, state)
        pending = started[1] if started else None
        while pending:
            rule, message = self._message(pending)
            try:
                actions[rule](_Context(self, message))
            except Exception as error:  # noqa: BLE001  (durable goes on with the other actions too)
                self.failed.append((rule, error))
            pending = _rete.complete_and_start_action(handle, state)

    def _message(self, pending: str) -> tuple[str, dict]:
        """The rule and the matched facts of an agenda item, e.g. '{"r_2":{"m":{...the fact...}}}'.

        durable hands back the text of the fact as it was asserted: a single-fact match of a fact
        this session asserted is looked up by its text instead of parsing the JSON again (a copy,
        as json.loads would give); anything else is parsed.
        """
        end = pending.find('"', 2)
        if pending.startswith('":{"m":', end):
            fact = self.known.get(pending[end + 7:-2])
            if fact is not None:
                return pending[2:end], {"m": dict(fact)}
        for rule, message in _loads(pending).items():
            return rule, message  # durable runs the first (and only) rule of an agenda item
        raise ValueError(f"empty agenda item {pending!r}")

    def error(self) -> RuleError:
        rule, error = self.failed[0]
        action = getattr(self.actions.get(rule), "__name__", rule)
        more = f" (and {len(self.failed) - 1} more)" if len(self.failed) > 1 else ""
        return RuleError(f"{self.name}: action {action} failed: {type(error).__name__}: {error}{more}")


class _Fact(_durable.Content):
    """A fact as an action reads it: durable's Content (c.m.code; a missing key reads None), made cheaper."""

    def __init__(self, data: dict):
        self.__dict__["_d"] = data

    def __getattr__(self, name):
        value = self._d.get(name)
        return _Fact(value) if isinstance(value, dict) else value


class _Context:
    """The `c` an action gets: c.m (or c.<alias> in a correlated rule) is the matched fact, c.s.sid the session."""

    __slots__ = ("_message", "_session", "m", "s")

    def __init__(self, session: _Session, message: dict):
        self._session, self._message, self.s = session, message, session.s
        m = message.get("m")
        self.m = None if m is None else _Fact(m)

    def __getattr__(self, name):
        value = self._message.get(name)
        return None if value is None else _Fact(value)


def emit(c, output: dict) -> None:
    """From inside an action: add `output` to what evaluate() returns."""
    c._session.outputs.append(dict(output))


def derive(c, fact: dict) -> None:
    """From inside an action: assert a derived fact in the same session (its actions run later in it)."""
    session = c._session
    key = _Matches.key(fact)
    if key is not None and key in session.matches.unhandled:
        return  # no rule is about this fact
    fact = dict(fact)
    fact.setdefault("sid", session.s.sid)
    if session.assert_fact(fact, key)[0] == _OBSERVED:
        raise _durable.MessageObservedException(fact)
    # _NOT_HANDLED: no rule is about this fact


def _settle(session: _Session, sentinel: dict, state: int | None) -> None:
    """After a failed assert: make sure the sentinel's action ran, so that the session can be deleted."""
    try:
        if state is None:  # the batch with the sentinel failed: it may or may not have got in
            _code, state = _rete.assert_fact(session.handle, _dumps(sentinel))  # "observed" if it did
        session.run(state)
    except Exception:  # noqa: BLE001, S110  (the assert's own error is the one to report)
        pass


def evaluate(ruleset_name: str, facts: list[dict]) -> list[dict]:
    """Assert `facts` in a fresh session of the ruleset; return what its actions emitted."""
    if ruleset_name not in _definitions:
        raise KeyError(f"no ruleset {ruleset_name!r}")
    with _lock:
        _get_host()
        handle, actions, matches = _compiled[ruleset_name]
        sid = str(next(_sids))
        sentinel = {_SENTINEL: 1, "id": "session", "sid": sid}
        batch, unknown = [sentinel], []
        handled, unhandled = matches.handled, matches.unhandled
        for i, fact in enumerate(facts):
            key = _Matches.key(fact, i)
            if key is None or key in handled:
                batch.append({**fact, "id": i, "sid": sid})
            elif key not in unhandled:  # else: no rule is about it, nothing to send
                unknown.append(({**fact, "id": i, "sid": sid}, key))
        session = _Session(ruleset_name, handle, actions, matches, sid)
        state = None
        try:
            try:
                state = session.assert_facts(batch)
                for fact, key in unknown:
                    session.assert_fact(fact, key)
            except BaseException:
                _settle(session, sentinel, state)
                raise
            session.run(state)  # the sentinel's no-op runs first
            if session.failed:
                raise session.error() from session.failed[0][1]
            return session.outputs
        finally:
            _rete.delete_state(handle, sid)
