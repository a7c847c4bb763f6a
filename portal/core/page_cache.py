"""Rendered main pages kept per process, under a key made of everything they are made of (issue 18).

A page is a function of: the data in the database, the time, who reads it (their row, their session's CSRF
secret), the language, the address with its query, and the htmx headers. The key names each:

* the data: `page_version.n`, one number the database raises in the same transaction as any write made
  through the portal's engine (the commit hook below: INSERT, UPDATE or DELETE of any table, by a view, the
  sweeper, the outbox, a CLI command). It is read with the signed-in person's row (accounts.load_user),
  before the page reads anything else, so a page stored under a version holds at least that version's data;
* the time: the portal's clock to the minute, and its offset (the training clock, travel()). Terms turn
  "near" at 00:00 and end at 18:30 Almaty, whole minutes; a write made outside the portal (psql) shows within
  a minute;
* the person: their id, and the CSRF secret of their session (the page carries tokens made from it);
* the language, the full path, every HX-* header (a fragment and a page are different answers).

A page with a flashed message is neither served from nor stored in the cache (the message is read once).
Only 200 answers are kept. Access is checked before: the decorator sits under the route's role check, and a
page's own check (the case page's can_access) gave its answer for the same person on the same data.
PAGE_CACHE_SIZE pages per process (least recently used out first); 0 turns the cache off.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps
from weakref import WeakKeyDictionary

from flask import current_app, g, message_flashed, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from sqlalchemy import BigInteger, event, inspect, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from portal.core.clock import now_utc, offset
from portal.extensions import db

WROTE = "tyndau_page_version_wrote"
BUMP = "UPDATE page_version SET n = n + 1 WHERE id = 1"


class PageVersion(db.Model):
    """One row: the version of the data the pages are made of, raised by every committed write."""

    __tablename__ = "page_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


# The version as a column a query can carry along (accounts.load_user reads it with the person's row).
VERSION = select(PageVersion.n).where(PageVersion.id == 1).scalar_subquery()

# Engines whose database has the table (a database being migrated may not have it yet: no bump there).
_has_table: WeakKeyDictionary = WeakKeyDictionary()


def watch(engine) -> None:
    """Raise page_version.n in every transaction that wrote, just before it commits (atomically with it)."""

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.info[WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note(connection, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            connection.info[WROTE] = True

    @event.listens_for(engine, "commit")
    def _bump(connection):
        if not connection.info.get(WROTE) or not _table_exists(connection):
            return
        connection.exec_driver_sql(BUMP)
        connection.info[WROTE] = False

    @event.listens_for(engine, "rollback")
    def _forget(connection):
        if not connection.invalidated:  # a dead connection (the server stopped) has no info left to reset
            connection.info[WROTE] = False


def _table_exists(connection) -> bool:
    engine = connection.engine
    if not _has_table.get(engine):
        if not inspect(connection).has_table("page_version"):
            return False  # asked again next time: a migration may create it
        _has_table[engine] = True
    return True


def data_version() -> int | None:
    """The version read with the person's row (g.page_version), else read now; None: no cache for this page."""
    if "page_version" not in g:
        g.page_version = db.session.execute(select(VERSION)).scalar()
    return g.page_version


class PageCache:
    """Least recently used pages of one app in one process: key -> (body, status, headers)."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key):
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key, page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def install(app) -> None:
    app.extensions["page_cache"] = PageCache(int(app.config.get("PAGE_CACHE_SIZE", 256)))
    with app.app_context():
        watch(db.engine)
    message_flashed.connect(_note_flash, app)


def _note_flash(_app, **_extra) -> None:
    g.page_flashed = True  # the page rendered now may show it: it is not kept


def _key():
    if request.method != "GET" or session.get("_flashes"):
        return None
    version = data_version()
    if version is None:
        return None
    generate_csrf()  # as the page would: the session has its secret before the key names it
    now = now_utc()
    user = g.get("user")
    return (version, now.replace(second=0, microsecond=0), offset(), user.id if user is not None else None,
            session.get("csrf_token"), str(get_locale()), request.full_path,
            tuple(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-"))))


def cached_page(view):
    """Serve the view's page from the cache when its key is known; keep its 200 answers otherwise."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache: PageCache | None = current_app.extensions.get("page_cache")
        if cache is None or cache.size <= 0 or (key := _key()) is None:
            return view(*args, **kwargs)
        page = cache.get(key)
        if page is not None:
            body, status, headers = page
            return Response(body, status, headers)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.direct_passthrough and not g.get("page_flashed"):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "set-cookie"]
            cache.put(key, (response.get_data(), response.status_code, headers))
        return response

    return wrapped
