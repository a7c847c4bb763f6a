"""Authentication and the signed-in person."""
from __future__ import annotations

from flask import g, session

from portal.accounts.models import User
from portal.extensions import db

# Same cost whether or not the user exists, so timing does not reveal usernames.
_DUMMY_HASH = "scrypt:32768:8:1$abcdefghijklmnop$" + "0" * 128


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(db.select(User).filter_by(username=username.strip()))
    if user is None or not user.active:
        from werkzeug.security import check_password_hash

        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if user.check_password(password) else None


def log_in(user: User) -> None:
    session.clear()  # a new session on log-in: no fixation
    session["user_id"] = user.id
    session.permanent = True


def log_out() -> None:
    session.clear()


def load_current_user() -> None:
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if user_id else None
    g.user = user if user is not None and user.active else None
