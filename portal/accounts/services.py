"""Authentication and the signed-in person: by password, or by EDS (a signed one-time challenge)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, g, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from portal.accounts.models import APPLICANT, AUTHORITY, PROVIDER_ROLES, LoginFailure, Organization, User
from portal.core.clock import now_utc
from portal.core.page_cache import VERSION
from portal.core.security import account_failure_limit, account_key, note_new_challenge, start_session
from portal.extensions import db
from portal.signatures import services as signatures
from portal.signatures.services import SignatureRefused

EDS_NONCE = "eds_nonce"  # the session key of the challenge shown to this browser

# Same cost whether or not the user exists, so timing does not reveal usernames.
_DUMMY_HASH = "scrypt:32768:8:1$abcdefghijklmnop$" + "0" * 128


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def log_in(user: User) -> None:
    """Sign the person in (Flask-Login) in a new session: no fixation; it expires and can be revoked (security.py)."""
    start_session()
    login_user(user)  # never remember=True: the session is the only way in (portal.extensions.login_manager)


def log_out(user: User) -> None:
    """End this session, and with it every other session of the person: a copied cookie stops working too."""
    user.session_epoch = User.session_epoch + 1  # in SQL: two log-outs at once both count
    logout_user()
    session.clear()


# A session's user id as User.get_id() writes it: "<id>:<session_epoch>".
_ALTERNATIVE_ID = re.compile(r"(\d{1,10}):(\d{1,10})", re.ASCII)


def load_user(alternative_id: str) -> User | None:
    """Flask-Login's user_loader: the person a session names, unless signed out or deactivated since it began."""
    match = _ALTERNATIVE_ID.fullmatch(alternative_id)
    user = None
    if match:
        # One statement: the person, their organisation (every page's header names it) and the data's version,
        # read before the page reads anything (the page cache's key, portal/core/page_cache.py).
        row = db.session.execute(select(User, VERSION).options(joinedload(User.organization))
                                 .where(User.id == int(match.group(1)))).first()
        if row is not None:
            user, g.page_version = row
    if user is None or not user.active or user.session_epoch != int(match.group(2)):
        session.clear()  # signed out since this cookie was issued, deactivated, or deleted: forget it
        return None
    return user


def load_current_user() -> None:
    """Before each request: g.user, the signed-in person or None, for the views that read it (current_user's alias)."""
    g.user = current_user._get_current_object() if current_user.is_authenticated else None


# --- failed log-ins per account (every worker: the database) ----------------------------------

def login_paused_until(username: str) -> datetime | None:
    """When the password log-in of this account name may be tried again; None when it may be now.

    Paused once ACCOUNT_LOGIN_FAILURES failures lie within the window, until the oldest of them leaves it.
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    amount, window = account_failure_limit()
    now = now_utc()
    recent = db.session.scalars(
        db.select(LoginFailure.at).filter(LoginFailure.account == account_key(username), LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc()).limit(amount)).all()
    if len(recent) < amount:
        return None
    return min(recent) + window


def note_failed_login(username: str) -> None:
    """Count a failed password log-in for this account name, and forget failures older than the window."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    _amount, window = account_failure_limit()
    now = now_utc()
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.at <= now - window))
    db.session.add(LoginFailure(account=account_key(username), at=now))


def clear_failed_logins(username: str) -> None:
    """The account's owner has signed in: their earlier typing mistakes no longer count."""
    db.session.execute(db.delete(LoginFailure).where(LoginFailure.account == account_key(username)))


def retry_after_seconds(until: datetime) -> int:
    return max(1, int((until - now_utc()) / timedelta(seconds=1)) + 1)


# --- log-in with EDS -------------------------------------------------------------------------

def eds_challenge():
    """The challenge this browser is shown: its open one, or a new one remembered in the session."""
    challenge = signatures.open_challenge(session.get(EDS_NONCE))
    if challenge is None:
        challenge = signatures.issue_challenge()
        session[EDS_NONCE] = challenge.nonce
        note_new_challenge()  # a row each time: limited per client address
    return challenge


def authenticate_eds(data: bytes) -> User:
    """The applicant whose authentication key signed this browser's challenge; SignatureRefused otherwise.

    The organisation (by BIN) and the person (by IIN within it) are created on first log-in.
    """
    report = signatures.check_or_refuse(data, purpose="auth")
    if not report.signer.iin or not report.signer.bin:
        raise SignatureRefused("signature.not_legal_entity", report)
    challenge = signatures.consume_challenge(report, session.get(EDS_NONCE))
    user = _eds_user(report.signer)
    if not user.active:
        raise SignatureRefused("account.inactive", report)
    challenge.user_id = user.id
    return user


def _eds_user(signer) -> User:
    staff = _staff_user(signer)
    if staff is not None:
        return staff
    organization = db.session.scalar(db.select(Organization).filter_by(bin=signer.bin))
    if organization is None:
        organization = _create_once(Organization(bin=signer.bin, name=(signer.organization or signer.bin)[:300]),
                                    db.select(Organization).filter_by(bin=signer.bin))
    query = db.select(User).filter_by(organization_id=organization.id, iin=signer.iin, role=APPLICANT)
    user = db.session.scalar(query)
    if user is None:
        name = " ".join(part for part in (signer.common_name, signer.given_name) if part) or signer.iin
        user = _create_once(User(username=f"eds-{signer.iin}-{signer.bin}", full_name=name[:200], role=APPLICANT,
                                 iin=signer.iin, organization=organization), query)
    return user


def _staff_user(signer) -> User | None:
    """An official of the provider or the authority signing in with their own key: their staff account by IIN.

    A state body's certificate never opens (or creates) an applicant's cabinet in the body's name.
    """

    roles = {current_app.config.get("PROVIDER_BIN"): PROVIDER_ROLES,
             current_app.config.get("AUTHORITY_BIN"): (AUTHORITY,)}.get(signer.bin)
    if roles is None:
        return None
    user = db.session.scalar(db.select(User).where(User.iin == signer.iin, User.role.in_(roles)))
    if user is None:
        raise SignatureRefused("account.no_staff_account")
    return user


def _create_once(row, query):
    """Insert `row`, or when a concurrent first log-in inserted it first, load that one."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        existing = db.session.scalar(query)
        if existing is None:
            raise
        return existing
    return row
