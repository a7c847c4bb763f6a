"""What a code is called where people read it: one registry of labels, filled by the domains.

Each domain keeps the labels of its constants beside them (portal/<domain>/labels.py) and registers them
here by kind ("status", "deadline", "event", …); templates ask with one filter, `{{ code|label("status") }}`,
Python with `label(code, "status")`. This module imports no domain, so any of them may register.

A label is a lazy text (its English msgid is the catalog's key), possibly with %(name)s placeholders filled
from the params the caller gives, or a function of the params that returns the parts to join (a text with
its params, for labels that choose their wording from the params, like the events'). Codes a table cannot
list (the law's documents, "complaint:5") are named by resolvers. A code nobody named reads "Other" and is
logged: a person never reads the raw code.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import pass_eval_context
from markupsafe import Markup

from portal.core.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

OTHER = _l("Other")
SEPARATOR = " — "

_LABELS: dict[str, dict[str, Any]] = {}
_RESOLVERS: dict[str, list[Callable[[str], Any]]] = {}


class _Params(dict):
    """Params for a label's placeholders: a missing one reads as nothing, as `data.get(name, "")` did."""

    def __missing__(self, key):
        return ""


def register(kind: str, labels: Mapping[str, Any]) -> None:
    """Name the codes of one kind (a domain's constants); a code named twice keeps the last name."""
    _LABELS.setdefault(kind, {}).update(labels)


def register_resolver(kind: str, resolver: Callable[[str], Any]) -> None:
    """Name the codes of a kind no table lists: resolver(code) gives the label, or None when it is not its."""
    _RESOLVERS.setdefault(kind, []).append(resolver)


def codes(kind: str) -> set[str]:
    """The codes a table names (for the test that every constant has a label)."""
    return set(_LABELS.get(kind, {}))


def _find(code, kind: str):
    found = _LABELS.get(kind, {}).get(code if isinstance(code, str) else str(code))
    if found is None:
        for resolver in _RESOLVERS.get(kind, ()):
            found = resolver(code)
            if found is not None:
                break
    return found


def has_label(code, kind: str) -> bool:
    return _find(code, kind) is not None


def _parts(found, params: dict) -> list[tuple[Any, dict]]:
    if callable(found):
        return [(text, _Params(p)) for text, p in found(_Params(params))]
    return [(found, _Params(params))]


def _format(text, params: dict, escape: bool) -> str:
    if isinstance(text, str):  # a name as it stands (the law's texts): nothing to fill in, escaped in HTML
        return Markup.escape(text) if escape else str(text)
    text = str(text)  # a lazy text of the catalog: its %(placeholders)s filled in, the params escaped in HTML
    if "%" not in text:
        return Markup(text) if escape else text
    return Markup(text) % params if escape else text % params


def _render(code, kind: str, params: dict | None, escape: bool) -> str:
    found = _find(code, kind)
    if found is None:
        log.warning("no label for %s %r", kind, code)
        return Markup(str(OTHER)) if escape else str(OTHER)
    pieces = [_format(text, p, escape) for text, p in _parts(found, params or {})]
    joined = SEPARATOR.join(pieces)
    return Markup(joined) if escape else joined


def label(code, kind: str, params: dict | None = None) -> str:
    """The code's name in the current language, as plain text (for mails, CSV, PDF texts built in Python)."""
    return _render(code, kind, params, escape=False)


@pass_eval_context
def label_filter(eval_ctx, code, kind: str, params: dict | None = None):
    """`{{ code|label("kind") }}`, `{{ event.kind|label("event", event.data) }}`: the params escaped in HTML."""
    return _render(code, kind, params, escape=eval_ctx.autoescape)


def install(env) -> None:
    """The `label` filter for the templates."""
    env.filters["label"] = label_filter
