"""Role checks for views: every route says who may use it."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    wrapped.roles = None  # any signed-in person
    return wrapped


def roles_required(*roles: str):
    """Allow only signed-in people whose role is one of `roles`; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = frozenset(roles)
        return wrapped

    return decorator


def public(view):
    """Mark a view as open to anyone, so the route inventory knows it is on purpose."""
    view.roles = "public"
    return view
