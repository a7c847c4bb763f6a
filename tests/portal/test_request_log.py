"""Every request gets a request id, echoed in the response and written in one structured log line."""
from __future__ import annotations

import json
import logging

from portal.core.request_log import JsonFormatter


def test_a_request_id_is_made_or_kept_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="tyndau.request"):
        made = client.get("/healthz")
        kept = client.get("/healthz", headers={"X-Request-ID": "nginx-1234567890abcdef"})
        refused = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert kept.headers["X-Request-ID"] == "nginx-1234567890abcdef"
    assert refused.headers["X-Request-ID"] != "<script>alert(1)</script>"
    records = [r for r in caplog.records if r.name == "tyndau.request"]
    assert [r.fields["request_id"] for r in records] == [made.headers["X-Request-ID"], "nginx-1234567890abcdef",
                                                         refused.headers["X-Request-ID"]]
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["path"] == "/healthz" and line["status"] == 200 and line["method"] == "GET"
