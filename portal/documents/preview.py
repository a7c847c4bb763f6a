"""A PDF page drawn for the case page: in a child process with hard limits, cached on disk by the file's hash.

A few kilobytes of PDF can ask for minutes of CPU and hundreds of megabytes (a content stream repeating one
operator a million times). So pdfium never draws in the web worker: each page is drawn by render_child.py in a
process of its own, limited in CPU time (RLIMIT_CPU), address space (RLIMIT_AS) and wall time (killed by the
parent). At most PREVIEW_CONCURRENCY pages are drawn at once on a host (lock files), so the workers that are not
drawing always answer. A drawn page is kept in UPLOADS_DIR/previews/<sha256>/<page>.png: a stored file never
changes, so each page is drawn once; a page that could not be drawn is remembered for an hour (<page>.failed)
and answered at once with a small "preview not available" picture.
"""
from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
import uuid
from html import escape

from flask import current_app

from portal.core.i18n import gettext as _

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_child.py")
NOT_RENDERABLE = 2  # render_child.py: no such page, or a file pdfium does not read
FAILED_RETRY_SECONDS = 3600  # a page that could not be drawn is tried again after this long
# A view waits this long for a free drawing slot, then shows the "busy" placeholder: a sync worker waiting here
# serves nobody else, so the wait is short (a plain page is drawn in a tenth of a second).
SLOT_WAIT_SECONDS = 0.5
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SHA256 = re.compile(r"[0-9a-f]{64}")

RENDERED, NOT_A_PAGE, UNAVAILABLE, BUSY = "rendered", "not-a-page", "unavailable", "busy"


def cache_root() -> str:
    return os.path.join(current_app.config["UPLOADS_DIR"], "previews")


def _cache_dir(sha256: str) -> str:
    if not SHA256.fullmatch(sha256 or ""):
        raise ValueError("not a SHA-256")
    return os.path.join(cache_root(), sha256)


def cached_page(sha256: str, page: int) -> tuple[str, bytes | None] | None:
    """What is known of this page without drawing it: (RENDERED, png), (UNAVAILABLE, None), or None."""
    folder = _cache_dir(sha256)
    try:
        with open(os.path.join(folder, f"{page}.png"), "rb") as f:
            return RENDERED, f.read()
    except FileNotFoundError:
        pass
    try:
        if time.time() - os.path.getmtime(os.path.join(folder, f"{page}.failed")) < FAILED_RETRY_SECONDS:
            return UNAVAILABLE, None
    except FileNotFoundError:
        pass
    return None


def page_png(source: str, sha256: str, page: int, *, scale: float, side: int,
             wait: float | None = None) -> tuple[str, bytes | None]:
    """Page `page` of the PDF at `source` as PNG: (RENDERED, png), (NOT_A_PAGE, None), (UNAVAILABLE, None)
    when it cannot be drawn within the limits, or (BUSY, None) when no drawing slot came free within `wait`."""
    deadline = time.monotonic() + (SLOT_WAIT_SECONDS if wait is None else wait)
    while True:
        known = cached_page(sha256, page)  # drawn (or found undrawable) by another request meanwhile
        if known is not None:
            return known
        slot = _take_slot()
        if slot is not None:
            break
        if time.monotonic() >= deadline:
            return BUSY, None
        time.sleep(0.05)
    try:
        known = cached_page(sha256, page)  # drawn by another request while this one waited
        if known is not None:
            return known
        return _draw(source, sha256, page, scale, side)
    finally:
        os.close(slot)  # releases the lock


def _draw(source: str, sha256: str, page: int, scale: float, side: int) -> tuple[str, bytes | None]:
    folder = _cache_dir(sha256)
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, f"{page}.png")
    tmp = f"{target}.{uuid.uuid4().hex}.tmp"
    try:
        outcome = run_child(source, page, tmp, scale, side)
        if outcome == 0:
            with open(tmp, "rb") as f:
                png = f.read()
            if png.startswith(PNG_MAGIC):
                os.replace(tmp, target)
                return RENDERED, png
        if outcome == NOT_RENDERABLE:
            return NOT_A_PAGE, None
        current_app.logger.warning("preview of %s page %d not drawn within the limits (%s)", sha256, page, outcome)
        with open(os.path.join(folder, f"{page}.failed"), "w") as marker:
            marker.write(str(outcome))
        return UNAVAILABLE, None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def run_child(source: str, page: int, out: str, scale: float, side: int) -> int | str:
    """Draw in a child process under the configured limits; its exit code, or "timeout" when it was killed."""
    config = current_app.config
    command = [sys.executable, "-I", CHILD, source, str(page), out, str(max(1, int(config["PREVIEW_CPU_SECONDS"]))),
               str(int(config["PREVIEW_MEMORY_MB"])), repr(float(scale)), str(int(side))]
    try:
        return subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=config["PREVIEW_WALL_SECONDS"],
                              close_fds=True).returncode
    except subprocess.TimeoutExpired:  # subprocess.run has killed and reaped it
        return "timeout"


def _take_slot() -> int | None:
    """A lock on one of PREVIEW_CONCURRENCY slot files shared by every worker of this host, or None if all are held."""
    folder = os.path.join(cache_root(), ".slots")
    os.makedirs(folder, exist_ok=True)
    for number in range(max(1, int(current_app.config["PREVIEW_CONCURRENCY"]))):
        fd = os.open(os.path.join(folder, str(number)), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd  # held until closed, or until this process dies
        except BlockingIOError:
            os.close(fd)
    return None


def unavailable_image(busy: bool = False) -> bytes:
    """A small picture in place of a page that is not shown: read the document by downloading it."""
    first = _("The portal is busy: open the page again in a minute.") if busy else _("Preview not available.")
    second = _("Download the file to read it.")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="160" viewBox="0 0 600 160" role="img">'
        '<rect width="600" height="160" fill="#f4f4f4" stroke="#999"/>'
        f'<text x="300" y="70" font-family="sans-serif" font-size="20" text-anchor="middle">{escape(first)}</text>'
        f'<text x="300" y="105" font-family="sans-serif" font-size="18" text-anchor="middle">{escape(second)}</text>'
        "</svg>"
    ).encode()
