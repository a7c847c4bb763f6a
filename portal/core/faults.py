"""Test-only pauses at the risky moments of intake, so the fault tests can kill a worker right there.

`pause("submit")` sleeps FAULT_SUBMIT_DELAY seconds, `pause("upload.stored")` FAULT_UPLOAD_STORED_DELAY
seconds, and so on (the point's name upper-cased, dots as underscores). Nothing is read, and nothing
ever sleeps, when TYNDAU_ENV is production. tests/production/test_faults.py is the only user.
"""
from __future__ import annotations

import json
import os
import sys
import time

from flask import current_app


def pause(point: str) -> None:
    if current_app.config.get("TYNDAU_ENV") == "production":
        return
    seconds = os.environ.get("FAULT_" + point.upper().replace(".", "_") + "_DELAY")
    if not seconds:
        return
    # One line on stderr (gunicorn's log) names the process, so the test knows which worker to kill.
    print(json.dumps({"fault_pause": point, "pid": os.getpid(), "seconds": float(seconds)}), file=sys.stderr,
          flush=True)
    time.sleep(float(seconds))
