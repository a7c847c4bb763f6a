"""Role checks for views: every route says who may use it."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from portal.extensions import login_manager


def to_login():
    """Flask-Login's unauthorized handler: someone not signed in: to the log-in, which brings them back here (`next`, a local path) afterwards."""
    return redirect(url_for(login_manager.login_view, next=request.full_path.rstrip("?")))


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    wrapped.roles = None  # any signed-in person
    return wrapped


def roles_required(*roles: str):
    """Allow only signed-in people whose role is one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = frozenset(roles)
        return wrapped

    return decorator


def public(view):
    """Mark a view as open to anyone, so the route inventory knows it is on purpose."""
    view.roles = "public"
    return view
