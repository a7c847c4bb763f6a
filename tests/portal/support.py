"""Small readers the portal tests share: the database's snapshot, the statements a request makes, the outbox's mails, a
log-in as any user, a pseudo-translation."""
from __future__ import annotations

import email
import json
import os
from datetime import datetime
from email import policy
from pathlib import Path

from sqlalchemy import event, text

from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import KEEP, csrf_token


# --- the outbox -----------------------------------------------------------------------------------

def send(runner, now: datetime | None = None) -> dict:
    args = ["outbox", "send"] + (["--now", now.isoformat()] if now else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def mails(folder: Path, kind: str | None = None) -> list[email.message.EmailMessage]:
    found = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]
    return [m for m in found if kind is None or m["X-Tyndau-Kind"] == kind]


# --- the database ---------------------------------------------------------------------------------

def snapshot(app) -> dict:
    """Every row of every table (but the law's data), and every file under the uploads folder."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in KEEP:
                continue
            result = db.session.execute(text(f"SELECT * FROM {table.name}"))
            rows[table.name] = sorted(repr(tuple(row)) for row in result)
        db.session.remove()
    files = sorted(os.path.join(d, f) for d, _, names in os.walk(app.config["UPLOADS_DIR"]) for f in names)
    return {"rows": rows, "files": files}


# --- statements ----------------------------------------------------------------------------------

class Counter:
    """Counts the statements the app sends to the database while active."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.statements: list[str] = []

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        # SQLite's explicit BEGIN (portal.configure_sqlite) has no counterpart on PostgreSQL: not a query.
        if statement.strip().upper() != "BEGIN":
            self.statements.append(statement)


# --- log-in ---------------------------------------------------------------------------------------

def login_as(client, app, user_id: int) -> None:
    """Log in through the form as any user (its password set for the test first)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        user.set_password("scale-test")
        username = user.username
        db.session.commit()
    token = csrf_token(client, "/login")
    client.post("/login", data={"username": username, "password": "scale-test", "csrf_token": token})


# --- languages ------------------------------------------------------------------------------------

class PseudoCatalog:
    """Every text "translated" into ⟦text⟧."""

    def ugettext(self, s):
        return f"⟦{s}⟧"

    def ungettext(self, s, p, n):
        return f"⟦{s if n == 1 else p}⟧"

    def upgettext(self, c, s):
        return f"⟦{s}⟧"

    def unpgettext(self, c, s, p, n):
        return f"⟦{s if n == 1 else p}⟧"


# --- the main pages (issue 18) ----------------------------------------------------------------------

def main_pages(app, case_id: int) -> dict[str, tuple[str, str]]:
    """The pages people use all day, by name: (who reads it, its address). A name with "htmx" is asked as a swap."""
    pages = {
        "applicant's cabinet": ("applicant", "/cabinet"),
        "clerk's queue, first page": ("clerk", "/staff/cases"),
        "clerk's queue, filtered": ("clerk", "/staff/cases?stage=certificate_issued&kind=accreditation"),
        "clerk's queue, filter changed over htmx": ("clerk", "/staff/cases?stage=incomplete_refused"),
        "case page (clerk)": ("clerk", f"/applications/{case_id}"),
        "case page (applicant)": ("applicant", f"/applications/{case_id}"),
        "authority's view of the staff queue": ("authority", "/staff/cases"),
        "the register": ("applicant", "/register"),
        "the register, searched": ("applicant", "/register?q=210640005550"),
    }
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    if "complaints.authority_queue" in endpoints:
        pages["authority's complaint queue"] = ("authority", "/authority/complaints")
    return pages
