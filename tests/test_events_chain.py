"""The hash chain of event logs as pure functions (portal/events/chain.py): no app, no database."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

from portal.events import chain

ALMATY = timezone(timedelta(hours=5))
T0 = datetime(2026, 3, 20, 12, 45, tzinfo=timezone.utc)


def _events(n=4, application_id=7):
    """n events of one case, linked as record() links them, with ids as a database would give."""
    raw = [{"id": 100 + i, "application_id": application_id, "at": T0 + timedelta(minutes=i), "actor_id": 3,
            "kind": f"step.{i}", "data": {"n": i, "name": "ТОО «Jaña Pool»"}} for i in range(n)]
    links = chain.build(raw)
    return [{**event, **link} for event, link in zip(raw, links)]


def _head(events):
    return {"last_seq": events[-1]["seq"], "last_hash": events[-1]["hash"]} if events else None


def test_the_canonical_form_is_compact_sorted_utf8_json_with_utc_microseconds():
    event = {"application_id": 7, "seq": 1, "at": datetime(2026, 3, 20, 17, 45, tzinfo=ALMATY), "actor_id": None,
             "kind": "application.submitted", "data": {"route": "portal", "name": "Тыңдау"},
             "prev_hash": chain.GENESIS, "id": 5, "hash": "ignored"}
    text = chain.canonical(event).decode("utf-8")
    assert text == ('{"actor_id":null,"application_id":7,"at":"2026-03-20T12:45:00.000000Z",'
                    '"data":{"name":"Тыңдау","route":"portal"},"kind":"application.submitted",'
                    f'"prev_hash":"{chain.GENESIS}","seq":1}}')
    assert chain.event_hash(event) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert len(chain.event_hash(event)) == 64


def test_the_moment_reads_the_same_whatever_its_offset_or_form():
    moments = [datetime(2026, 3, 20, 12, 45, 0, 120, tzinfo=timezone.utc),
               datetime(2026, 3, 20, 17, 45, 0, 120, tzinfo=ALMATY), "2026-03-20T12:45:00.000120+00:00",
               "2026-03-20T12:45:00.000120Z"]
    assert {chain.canonical_at(m) for m in moments} == {"2026-03-20T12:45:00.000120Z"}
    with pytest.raises(ValueError):
        chain.canonical_at(datetime(2026, 3, 20, 12, 45))


def test_every_hashed_field_changes_the_hash():
    event = _events(1)[0]
    base = chain.event_hash(event)
    for name, value in {"application_id": 8, "seq": 2, "at": T0 + timedelta(microseconds=1), "actor_id": 4,
                        "kind": "other", "data": {"n": 1, "name": "ТОО «Jaña Pool»"}, "prev_hash": "1" * 64}.items():
        assert chain.event_hash({**event, name: value}) != base, name
    assert chain.event_hash({**event, "id": 1, "hash": "x"}) == base  # the row id and stored hash are not hashed


def test_link_follows_the_head_and_the_first_event_follows_the_genesis():
    events = _events(3)
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[0]["prev_hash"] == chain.GENESIS
    assert events[1]["prev_hash"] == events[0]["hash"] and events[2]["prev_hash"] == events[1]["hash"]
    nxt = chain.link({"application_id": 7, "at": T0, "actor_id": None, "kind": "k", "data": {}}, 3, events[2]["hash"])
    assert nxt["seq"] == 4 and nxt["prev_hash"] == events[2]["hash"]


def test_an_untouched_chain_is_intact_and_order_is_seq_not_time():
    events = _events(4)
    events[3]["at"] = T0 - timedelta(days=1)  # recorded with an earlier moment: the chain does not care
    events = [{**e, **chain.link(e, e["seq"] - 1, e["prev_hash"])} for e in events]
    report = chain.verify(events, _head(events), 7)
    assert report == chain.ChainReport(7, True, 4, head_seq=4)
    assert report.as_dict()["intact"] is True


def test_an_empty_chain_without_a_head_is_intact():
    assert chain.verify([], None).intact


def test_a_changed_event_is_reported_at_that_event():
    events = _events(5)
    events[2] = {**events[2], "data": {"n": 99}}
    report = chain.verify(events, _head(events), 7)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason, report.checked) == (
        False, 102, 3, chain.CHANGED, 3)


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link():
    events = _events(5)
    events[2] = {**events[2], "kind": "forged"}
    events[2]["hash"] = chain.event_hash(events[2])
    report = chain.verify(events, _head(events), 7)
    assert (report.broken_seq, report.reason) == (4, chain.CHANGED)


def test_a_removed_event_in_the_middle_is_missing():
    events = _events(5)
    del events[1]
    report = chain.verify(events, _head(events), 7)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason) == (False, 102, 3, chain.MISSING)


def test_removed_first_events_are_missing():
    events = _events(3)[1:]
    assert chain.verify(events, _head(events)).reason == chain.MISSING


def test_removed_last_events_are_a_head_mismatch():
    events = _events(5)
    head = _head(events)
    report = chain.verify(events[:3], head, 7)
    assert (report.intact, report.broken_id, report.broken_seq, report.reason, report.checked, report.head_seq) == (
        False, None, 4, chain.HEAD_MISMATCH, 3, 5)
    assert chain.verify([], head).reason == chain.HEAD_MISMATCH


def test_a_replaced_last_event_disagrees_with_the_head():
    events = _events(3)
    head = _head(events)
    events[2] = {**events[2], "data": {}}
    events[2]["hash"] = chain.event_hash(events[2])
    report = chain.verify(events, head)
    assert (report.broken_seq, report.reason) == (3, chain.CHANGED)


def test_events_past_the_head_or_without_a_head_are_extra():
    events = _events(4)
    report = chain.verify(events, _head(events[:3]))
    assert (report.broken_id, report.broken_seq, report.reason) == (103, 4, chain.EXTRA)
    assert chain.verify(events, None).reason == chain.EXTRA
    repeated = events[:2] + [{**events[1], "id": 999}] + events[2:]
    assert chain.verify(repeated, _head(events)).reason == chain.EXTRA


def test_events_without_a_case_chain_under_key_zero():
    assert chain.chain_key(None) == chain.NO_CASE == 0 and chain.chain_key(12) == 12
    events = _events(2, application_id=None)
    assert chain.verify(events, _head(events)).intact


def test_the_canonical_form_refuses_what_json_cannot_carry_back():
    event = _events(1)[0]
    with pytest.raises(ValueError):
        chain.event_hash({**event, "data": {"x": float("nan")}})
    assert json.loads(chain.canonical(event))["data"] == event["data"]
