"""Subject and body of a message, rendered from its kind and context in a chosen language.

Rendering happens at send time (and, for the subject, whenever the cabinet shows it, in the
reader's language): one path for every use, the texts of a queued mail follow the catalogs
as they are when it leaves, and the worker stores what it actually sent.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from portal.core.labels import label

# Kinds sharing a body: the template says which it is from `kind`.
TEMPLATE_OF = {"hearing.rescheduled": "hearing.booked", "deadline.missed": "deadline.warning"}


def link(endpoint: str, **values) -> str:
    """An absolute address on the portal (PORTAL_URL), buildable without a request, e.g. in the worker."""
    base = urlsplit(current_app.config["PORTAL_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def _typed(context: dict) -> dict:
    """JSON gives back strings: "*_at" become moments and "*_on"/"*_until" days again, for the date filters."""
    typed = dict(context)
    for key, value in context.items():
        if isinstance(value, str) and value:
            if key.endswith("_at"):
                typed[key] = datetime.fromisoformat(value)
            elif key.endswith(("_on", "_until")):
                typed[key] = date.fromisoformat(value)
    return typed


def _render(name: str, message, lang: str) -> str:
    with force_locale(lang):
        return render_template(name, c=_typed(message.context or {}), kind=message.kind, link=link)


def subject(message, lang: str | None = None) -> str:
    """One line: a header cannot carry a line break."""
    context = json.dumps(message.context or {}, sort_keys=True, default=str)
    return _subject(message.kind, context, lang or message.language)


# A subject depends only on the kind, the context (a message's never changes) and the language: the cabinet
# shows twenty of them on every visit, so each is said once per process. Catalogs change only on a deploy.
@lru_cache(maxsize=8192)
def _subject(kind: str, context: str, lang: str) -> str:
    c = _typed(json.loads(context))
    with force_locale(lang):
        text = label(kind, "notification_subject", c)  # portal/notifications/labels.py
    prefix = f"[Tyndau {c['number']}] " if c.get("number") else "[Tyndau] "
    return " ".join((prefix + text).split())


def body(message, lang: str | None = None) -> str:
    name = TEMPLATE_OF.get(message.kind, message.kind)
    return _render(f"notifications/{name}.txt", message, lang or message.language).strip() + "\n"


def email(message, subject_text: str, body_text: str) -> EmailMessage:
    """The MIME message; its Message-ID is the row's, so a resend after a crash is recognisably the same mail."""
    sender = current_app.config["MAIL_FROM"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient_email
    mail["Subject"] = subject_text
    mail["Date"] = format_datetime(message.send_after)
    mail["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a portal
    mail["X-Tyndau-Kind"] = message.kind
    mail.set_content(body_text)
    mail["Content-Language"] = message.language  # after set_content, which replaces every Content-* header
    return mail
