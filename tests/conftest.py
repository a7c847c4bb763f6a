"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL from DATABASE_URL), a client, helpers."""
from __future__ import annotations

import os
from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from portal import create_app
from portal.core.clock import now_utc, travel
from portal.extensions import db
from tests.support.html import Page

# Tables whose rows come from migrations (the law's data), kept between tests.
KEEP = {"alembic_version", "law_version", "page_version"}  # page_version only rises: never emptied
# Has keys in the tests' PKI but no account yet: its first log-in with EDS creates it.
NEW_ORGANIZATION = {"bin": "240340008887", "name": "ТОО «Jaña Pool»", "head_iin": "850209300459",
                    "head_name": "НҰРЛАНОВ ДӘУЛЕТ СЕРІКҰЛЫ"}


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    """Create the schema once per run, through the migrations (never create_all)."""
    from flask_migrate import downgrade, upgrade

    base = tmp_path_factory.mktemp("instance")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{base / 'test.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with app.app_context():
        if url.startswith("postgresql"):
            downgrade(revision="base")  # a clean schema on a reused server database
        upgrade()
    return url, base


@pytest.fixture(scope="session")
def portal_pki(tmp_path_factory):
    """The development PKI of the demo organisations (plus NEW_ORGANIZATION), made once per run."""
    from portal.demo.data import people, pki_organizations
    from portal.signatures.pki import init_pki

    base = tmp_path_factory.mktemp("pki")
    init_pki(base, [*pki_organizations(), NEW_ORGANIZATION], people=people())
    return base


@pytest.fixture
def app(_database, portal_pki, tmp_path):
    url, _base = _database
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "TRUST_STORE": str(portal_pki / "trust"),
        "UPLOADS_DIR": str(tmp_path / "uploads"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; scrypt in real use
        "MAX_UPLOAD_BYTES": 200 * 1024,
        "MAX_CONTENT_LENGTH": 700 * 1024,
        # App. 2 item 10: the portal requires a signed application by default (test_signatures_portal and the
        # signing journeys keep that); the tests of later stages submit the unsigned form to get there.
        "REQUIRE_EDS_FOR_PORTAL": False,
    })
    with app.app_context():
        _empty_tables()
        from portal.demo.cli import seed

        seed()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def client(app):
    """A browser that asks for English; the language tests choose kk and ru explicitly."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class Clock:
    """The portal's one clock in a test (portal.core.clock.travel): set() and advance() move it for every reader,
    the pages and the services alike; it runs on from there as real time passes. Services that take `now=` are
    given the moment instead."""

    def __init__(self, stack: ExitStack):
        self._stack = stack

    def set(self, moment: datetime) -> None:
        self._stack.enter_context(travel(moment))

    def advance(self, **delta) -> None:
        self.set(now_utc() + timedelta(**delta))

    def __call__(self) -> datetime:
        return now_utc()


@pytest.fixture
def clock():
    """Move the portal's clock: clock.set(moment), clock.advance(minutes=31); back to the real time after the test.

    A jump past SESSION_IDLE_MINUTES ends the session of a person signed in before it: sign in after the jump."""
    with ExitStack() as stack:
        yield Clock(stack)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of this client's session, read from a page as a browser would."""
    token = Page(client.get(path, follow_redirects=True)).attr("input[name=csrf_token]", "value")
    assert token, f"no CSRF token on {path}"
    return token


class Auth:
    """Log in as one of the demo people through the real log-in form."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str | None = None):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"username": username, "password": password or f"demo-{username}",
                                                "csrf_token": token})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/me")})


@pytest.fixture
def auth(client):
    return Auth(client)


def post_form(client, path: str, data: dict, page: str | None = None, headers=None, **kwargs):
    """POST a form with the CSRF token taken from `page` (the form's own page by default)."""
    data = {**data, "csrf_token": csrf_token(client, page or path)}
    return client.post(path, data=data, headers=headers or {}, **kwargs)
