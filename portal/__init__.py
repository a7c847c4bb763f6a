"""Tyndau: the application factory, assembled from small configure_* steps.

The configure_* steps import inside themselves: they assemble the blueprints, hooks, CLI groups and models of
every package, which import this one (portal.extensions, portal.config) and so cannot be imported at its top."""
from __future__ import annotations

import os
import re

from flask import Flask, g, render_template

from portal.config import load_config
from portal.core.db_session import end_session
from portal.extensions import babel, csrf, db, htmx, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
        instance_path=os.environ.get("TYNDAU_INSTANCE", os.path.join(ROOT, "instance")),
    )
    app.config.from_mapping(load_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)
    configure_extensions(app)
    configure_blueprints(app)
    configure_hooks(app)
    configure_request_hooks(app)
    configure_logging(app)
    configure_templates(app)
    configure_errors(app)
    configure_cli(app)
    return app


def configure_extensions(app: Flask) -> None:
    from portal.core.i18n import select_locale

    db.init_app(app)
    app.teardown_appcontext(end_session)  # after db.init_app: it runs before Flask-SQLAlchemy's own teardown
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(os.path.dirname(__file__), "translations"))
    csrf.init_app(app)
    htmx.init_app(app)
    from portal.core.security import BoundedIntegerConverter, limiter

    limiter.init_app(app)  # after CSRF: a forged log-in is refused before it counts
    app.url_map.converters["int"] = BoundedIntegerConverter  # before any route is added
    import portal.models  # noqa: F401  (every model registered before migrations look)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    from portal.core import page_cache

    page_cache.install(app)  # the main pages' cache, and the version every write raises (issue 18)


def configure_sqlite(engine) -> None:
    """Let SQLAlchemy, not the pysqlite driver, begin transactions.

    pysqlite otherwise emits SAVEPOINT outside any transaction, so a "nested" write
    would commit on its own and survive a rollback: exactly-once effects need real ones.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=15000")

    from portal.core.concurrency import BEGIN_IMMEDIATE, WROTE

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # A transaction that will write after checking what it read takes the write lock first (lock_for_update).
        connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(BEGIN_IMMEDIATE)
                                   else "BEGIN")
        connection.info[WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(connection, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip()[:7].upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE")):
            connection.info[WROTE] = True


def configure_blueprints(app: Flask) -> None:
    from portal.accounts.views import bp as accounts
    from portal.applications.views import bp as applications
    from portal.calendar_admin.views import bp as calendar_admin
    from portal.cases import views as _cases  # noqa: F401  (the cabinet and the case page, on applications' blueprint)
    from portal.complaints.views import bp as complaints
    from portal.deadlines.views import bp as deadlines
    from portal.decisions.views import bp as decisions
    from portal.applications.monitoring import bp as monitoring
    from portal.hearings.views import bp as hearings
    from portal.main.views import bp as main
    from portal.quality.views import bp as quality
    from portal.register.views import bp as register
    from portal.review.views import bp as review
    from portal.signatures.views import bp as signatures

    for bp in (main, accounts, applications, calendar_admin, deadlines, monitoring, review, hearings, signatures,
               decisions, register, complaints, quality):
        app.register_blueprint(bp)


def configure_hooks(app: Flask) -> None:
    """The hooks by which a lower part triggers a higher one (issue 17 item 12): each domain's module registers its
    own on import (portal/deadlines/effects.py), so importing them here is all it takes, and twice is harmless."""
    import portal.applications.overdue  # noqa: F401  (a case's missed term flags it overdue)
    import portal.complaints.services  # noqa: F401  (a complaint forwarded by the sweeper, flagged overdue)
    import portal.decisions.services  # noqa: F401  (a re-issuance found incomplete; a certificate's reminder)
    import portal.hearings.services  # noqa: F401  (a hearing's reminder re-checked when due)
    import portal.notifications.hooks  # noqa: F401  (the notices of warnings and missed terms)
    import portal.register.queries  # noqa: F401  (whether a re-issuance may take its certificate)


def _connect_sources(ncalayer_url: str | None) -> str:
    """The page's own origin and NCALayer's WebSocket, exactly that address (never text that could end the rule)."""
    if ncalayer_url and re.fullmatch(r"wss?://[^\s;,'\"]+", ncalayer_url):
        return f"'self' {ncalayer_url}"
    return "'self'"


def configure_request_hooks(app: Flask) -> None:
    from portal.accounts.services import load_current_user, load_user
    from portal.core.permissions import to_login
    from portal.core.security import expire_session

    # Who is signed in: Flask-Login (the session epoch as its alternative id, no remember-me; portal/core/security.py).
    # Templates get current_user from inject() below: None, not an anonymous object, when no one is signed in.
    login_manager.init_app(app, add_context_processor=False)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(to_login)
    app.before_request(expire_session)  # an idle or too old session ends before anyone is loaded from it
    app.before_request(load_current_user)  # g.user: current_user, or None, for the views that read it

    production = app.config["TYNDAU_ENV"] == "production"

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"connect-src {_connect_sources(app.config.get('NCALAYER_URL'))}; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        )
        if production:  # nginx sends it too (deploy/nginx-tyndau.conf); a browser keeps to HTTPS for a year
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if g.get("user") is not None and "Cache-Control" not in response.headers:
            # Whatever a signed-in person is shown (cabinet, cases, decisions) stays out of shared and disk caches.
            response.headers["Cache-Control"] = "private, no-store"
        return response


def configure_logging(app: Flask) -> None:
    from portal.core.request_log import configure_request_log

    configure_request_log(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx: scheme and client address come from X-Forwarded-* of that many proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def configure_templates(app: Flask) -> None:
    from flask_babel import get_locale
    from flask_wtf.csrf import generate_csrf

    from portal.core import i18n

    app.jinja_env.filters["official_date"] = i18n.official_date
    app.jinja_env.filters["official_datetime"] = i18n.official_datetime
    app.jinja_env.filters["localized"] = i18n.localized
    app.jinja_env.filters["cite"] = i18n.cite
    app.jinja_env.filters["kilobytes"] = i18n.kilobytes
    i18n.install_template_gettext(app.jinja_env)
    configure_labels(app)
    from portal.demo.training import training_clock_context

    app.context_processor(training_clock_context)  # the training clock's banner (development and demos only)

    @app.context_processor
    def inject():
        return {
            "current_user": g.get("user"),
            "current_locale": str(get_locale() or "kk"),
            "languages": app.config["LANGUAGES"],
            "csrf_token": generate_csrf,
        }


def configure_labels(app: Flask) -> None:
    """Every domain's names of its codes, in the one registry the `label` filter reads (portal/core/labels.py)."""
    from portal.applications import labels as _applications  # noqa: F401  (each module registers on import)
    from portal.calendar import labels as _calendar  # noqa: F401
    from portal.complaints import labels as _complaints  # noqa: F401
    from portal.core import error_labels as _errors, labels  # noqa: F401
    from portal.deadlines import labels as _deadlines  # noqa: F401
    from portal.decisions import labels as _decisions  # noqa: F401
    from portal.events import labels as _events
    from portal.hearings import labels as _hearings  # noqa: F401
    from portal.law import labels as _law  # noqa: F401
    from portal.notifications import labels as _notifications  # noqa: F401
    from portal.review import labels as _review  # noqa: F401
    from portal.signatures import labels as _signatures  # noqa: F401

    labels.install(app.jinja_env)
    app.jinja_env.globals["event_details"] = _events.details


# Errors that portal.js lets htmx swap (static/js/portal.js, responseHandling): to an htmx request they answer a
# small alert placed right after the element that made the request, never a whole page inside a fragment.
SWAPPED_ERRORS = (409, 413, 429)


def error_page(code: int):
    from flask import make_response, request

    htmx_request = getattr(request, "htmx", None)
    if code in SWAPPED_ERRORS and htmx_request and not htmx_request.history_restore_request:
        response = make_response(render_template("errors_alert.html", code=code), code)
        response.headers["HX-Retarget"] = "this"
        response.headers["HX-Reswap"] = "afterend"
    else:
        response = make_response(render_template("errors.html", code=code), code)
    response.vary.add("HX-Request")
    return response


def configure_errors(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 429, 500, 503):
        app.register_error_handler(code, lambda e, code=code: error_page(code))

    from sqlalchemy.orm.exc import StaleDataError

    def changed_meanwhile(_error):
        """Two writers of one row (a double signing on PostgreSQL): the slower one's transaction is undone, 409."""
        db.session.rollback()
        return error_page(409)

    app.register_error_handler(StaleDataError, changed_meanwhile)

    from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout

    def database_unavailable(error):
        """The database is down, restarting or out of connections: the 503 page, not a 500 with a traceback.

        Nothing was committed (the request's transaction dies with its connection). pool_pre_ping replaces
        the broken connections at the next checkout, so the portal recovers by itself once the database is back.
        """
        app.logger.warning("database unavailable: %s", str(error).splitlines()[0] if str(error) else type(error))
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the connection is already gone; it is discarded)
            pass
        g.user = None  # the page must not ask the database anything more (the header names the user's organisation)
        try:
            body = render_template("errors.html", code=503)
        except Exception:  # noqa: BLE001  (whatever else is broken, the answer stays a plain 503)
            from portal.core.i18n import gettext as _

            body = _("The service is temporarily unavailable") + ". " + _("Please try again in a few minutes.")
        return body, 503, {"Retry-After": "30"}

    for error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(error, database_unavailable)


def configure_cli(app: Flask) -> None:
    from portal.accounts.cli import accounts_cli
    from portal.calendar_admin.cli import calendar_cli
    from portal.deadlines.cli import deadlines_cli
    from portal.demo.cli import demo_cli
    from portal.documents.cli import documents_cli
    from portal.applications.cli import events_cli  # and `deadlines explain`, on the deadlines group
    from portal.law.cli import law_cli
    from portal.notifications.cli import outbox_cli
    from portal.signatures.cli import pki_cli, signature_cli

    for group in (calendar_cli, deadlines_cli, demo_cli, signature_cli, pki_cli, outbox_cli):
        app.cli.add_command(group)
    app.cli.add_command(events_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(accounts_cli)
    app.cli.add_command(law_cli)
