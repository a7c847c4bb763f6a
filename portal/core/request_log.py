"""One structured log line per request, tied together by a request id (X-Request-ID)."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

log = logging.getLogger("tyndau.request")
# An id from the proxy is kept only if it is short and plain; anything else is replaced.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """Log records as JSON objects, so a log collector can read them without parsing text."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_request_log(app: Flask) -> None:
    if not app.testing and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        user = g.get("user")
        log.info("request", extra={"fields": {
            "request_id": request_id, "method": request.method, "path": request.path,
            "status": response.status_code, "user_id": user.id if user is not None else None,
            "ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
        }})
        return response
