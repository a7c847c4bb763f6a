"""One view answers both a full page load and an htmx swap of a part of it."""
from __future__ import annotations

from flask import make_response, render_template, request


def wants_partial() -> bool:
    """An htmx swap, not a history restore (which must get the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_page(template: str, partial: str | None = None, status: int = 200, **context):
    """Render `partial` for an htmx request, else the whole `template`.

    History restores ask for the page again; they get the full page, so the back button
    never shows a bare fragment.
    """
    body = render_template(partial if partial is not None and wants_partial() else template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
