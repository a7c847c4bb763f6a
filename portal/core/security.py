"""Defences that are not any one module's: log-in rate limits, sessions that expire, ids in URLs.

Rate limits (flask-limiter). Failed log-ins are counted twice: per account and client
address (LOGIN_RATE_LIMIT, so one person mistyping does not lock out an office behind one
address) and per client address over every account and both log-ins, password and EDS
(LOGIN_ADDRESS_RATE_LIMIT, against password spraying and against spending the CPU on
signature checks). Only failed attempts count (a successful log-in redirects); once a limit
is reached, every attempt, even with the right password, gets the 429 page with Retry-After
until the window passes. The counters live in RATELIMIT_STORAGE_URI: memory:// keeps them in
each worker process (so N workers allow up to N times the limit); production points it at a
store shared by the workers (redis://…). Behind nginx the client address is the one ProxyFix
takes from X-Forwarded-For (TRUSTED_PROXIES).

Failed password log-ins are also counted per account alone, from whatever address, in the
database (login_failure, portal/accounts/services.py), so every worker and every host sees the
same count even with memory:// counters: after ACCOUNT_LOGIN_FAILURES failures within its
window, the password log-in of that account is paused (a 429 page saying until when), for every
address, until the oldest of them leaves the window. Refused attempts add nothing, so the pause
ends when it says. A successful log-in clears the account's failures (the owner who mistyped a
few times starts afresh; a guesser cannot log in, so cannot clear them). Anyone can pause an
account this way: that is the price of an account-wide limit; the EDS log-in is not paused.
Under concurrent attempts a few more than the limit may get through (each worker checks, then
writes); the per-address limits bound that.

The public checks (/verify, a signed document, and /verify/number, a decision's number) are
limited per client address together (VERIFY_RATE_LIMIT): each costs a signature check or a
look-up, and the numbers must not be walked. Showing the empty forms is not counted.

The EDS log-in's challenges are counted per client address too, with the same
LOGIN_ADDRESS_RATE_LIMIT in a scope of their own: each new challenge is a row, and a visitor
without a session cookie gets a new one on every request; a browser shown its still-open
challenge again is not counted.

The limiter is one object for the process, as flask-limiter wants for its decorators;
each app's init_app gives it that app's storage and its RATELIMIT_ENABLED, so every test app
starts with fresh counters (the app initialised last decides; only tests build several).

Sessions are signed cookies kept by Flask-Login (portal.extensions.login_manager), with no
remember-me cookie. The id it keeps is "<id>:<session_epoch>" (User.get_id): the log-out and a
new password increase the person's session_epoch, so every cookie issued before, a copied one
included, no longer signs anyone in (portal.accounts.services.load_user compares the two).

Sessions end after SESSION_IDLE_MINUTES without a request from the person and, at the latest,
PERMANENT_SESSION_LIFETIME after the log-in, whatever the activity. The status poll of the case
page (an htmx request every minute, from the element named in POLLING_ELEMENTS) is not activity:
a page left open does not keep the session. An expired session is cleared and the person sent to
the log-in (htmx requests get HX-Redirect, so the log-in page is not swapped into the page).

Ids in URLs (`<int:…>`) are limited to what an INTEGER column holds, so a huge id is a 404.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, make_response, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from werkzeug.routing import IntegerConverter, ValidationError

from portal.core.clock import now_utc
from portal.core.forms import MAX_INT
from portal.core.i18n import gettext as _

limiter = Limiter(key_func=get_remote_address, headers_enabled=True, strategy="moving-window")

# Session keys: when the person logged in, and when they last did something (Unix seconds);
# Flask-Login's, the signed-in person (User.get_id()).
SESSION_SINCE = "since"
SESSION_SEEN = "seen"
SEEN_RESOLUTION_SECONDS = 60
SESSION_USER = "_user_id"
# Elements that poll by themselves (their id, which htmx sends as HX-Trigger): not the person's activity.
POLLING_ELEMENTS = frozenset({"case-status"})


# --- rate limits of the log-in -------------------------------------------------------------

def _account_and_address() -> str:
    return f"{get_remote_address()}/{account_key(request.form.get('username'))[:32]}"


def account_key(username: str | None) -> str:
    """What a typed username is counted under: its hash, whatever its case and surrounding spaces."""
    # Hashed: the username is whatever an attacker typed, possibly megabytes of it.
    return hashlib.sha256((username or "").strip().lower().encode("utf-8", "replace")).hexdigest()


def account_failure_limit() -> tuple[int, timedelta]:
    """ACCOUNT_LOGIN_FAILURES ("10 per 15 minutes"): how many failed log-ins of one account, within what window."""
    item = parse_limit(current_app.config["ACCOUNT_LOGIN_FAILURES"])
    return item.amount, timedelta(seconds=item.get_expiry())


def _failed(response) -> bool:
    """A log-in attempt counts against the limits unless it signed the person in (a redirect)."""
    return response.status_code != 302


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def limit_password_login(view):
    """The limits of the password log-in: per account and address, and per address."""
    view = limiter.limit(_account_limit, key_func=_account_and_address, methods=["POST"], deduct_when=_failed)(view)
    return limit_eds_login(view)


def limit_eds_login(view):
    """The limit of the EDS log-in: per address, shared with the password log-in."""
    return limiter.shared_limit(_address_limit, scope="login-address", key_func=get_remote_address,
                                methods=["POST"], deduct_when=_failed)(view)


def limit_eds_challenges(view):
    """The limit of new EDS log-in challenges per address: only a request that issued one counts."""
    return limiter.shared_limit(_address_limit, scope="eds-challenge", key_func=get_remote_address,
                                deduct_when=_issued_challenge)(view)


def limit_verify(view):
    """The limit of the public checks per address; the empty form (no document, no number) is not counted."""
    return limiter.shared_limit(lambda: current_app.config["VERIFY_RATE_LIMIT"], scope="verify",
                                key_func=get_remote_address, exempt_when=_not_a_check)(view)


def _not_a_check() -> bool:
    return request.method == "GET" and not request.args.get("number")


def note_new_challenge() -> None:
    """Called when this request issues an EDS log-in challenge (a new row), so that it counts."""
    g.new_eds_challenge = True


def _issued_challenge(_response) -> bool:
    return g.get("new_eds_challenge", False)


# --- sessions that expire ------------------------------------------------------------------

def _is_activity() -> bool:
    return request.headers.get("HX-Trigger") not in POLLING_ELEMENTS


def expire_session():
    """Before each request: end a signed-in session that was idle too long or is too old."""
    if SESSION_USER not in session or request.endpoint == "static":
        return None
    now = int(now_utc().timestamp())
    since = session.get(SESSION_SINCE, now)
    seen = session.get(SESSION_SEEN, now)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if now - seen <= idle and now - since <= lifetime:
        if SESSION_SINCE not in session:
            session[SESSION_SINCE] = since  # a session from before these keys existed
        # Written at most once a minute: an unchanged session sends no cookie back (SESSION_REFRESH_EACH_REQUEST
        # is off), so most requests skip re-signing it; the idle limit is then kept to within that minute, early.
        if SESSION_SEEN not in session or (_is_activity() and now - seen >= SEEN_RESOLUTION_SECONDS):
            session[SESSION_SEEN] = now
        return None
    session.clear()
    flash(_("Your session has expired. Please sign in again."), "info")
    if getattr(request, "htmx", None):
        # A swap would put the log-in page inside the page; htmx loads it as a whole page instead.
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("accounts.login",
                                                  next=_local_path(request.headers.get("HX-Current-URL")))
        return response
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


def _local_path(url: str | None) -> str | None:
    """The path and query of a URL of this site (to come back to after the log-in); None otherwise."""
    parts = urlsplit(url or "")
    if not parts.path or (parts.netloc and parts.netloc != request.host):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start_session() -> None:
    """A fresh session for a person who has just proved who they are (Flask-Login's login_user signs them in)."""
    now = int(now_utc().timestamp())
    session.clear()  # no fixation: nothing of the anonymous session survives
    session[SESSION_SINCE] = now
    session[SESSION_SEEN] = now
    session.permanent = True


# --- ids in URLs -----------------------------------------------------------------------------

class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that matches only what an INTEGER column holds: /applications/99999999999999999999 is a 404.

    Werkzeug's own takes any run of digits, and the database then fails on it (a 500).
    """

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str):
        if len(value) > len(str(MAX_INT)):
            raise ValidationError()  # before int(): past 4300 digits it raises ValueError, a 500
        return super().to_python(value)
