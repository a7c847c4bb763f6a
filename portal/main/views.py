"""Pages that belong to no procedure."""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, g, redirect, render_template, request
from sqlalchemy import text

from portal.accounts.views import _safe_next, home_for
from portal.core.i18n import LANG_COOKIE
from portal.core.permissions import public
from portal.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    if g.user is not None:
        return redirect(home_for(g.user))
    return render_template("main/index.html")


@bp.route("/language/<code>")
@public
def set_language(code: str):
    """The switcher on every page: remember the choice for a year and go back."""
    target = _safe_next(request.args.get("next")) or "/"
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/healthz")
@public
def healthz():
    return {"status": "ok"}


@bp.route("/readyz")
@public
def readyz():
    """Ready when the database answers and its schema is at the newest migration."""
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(conn).get_current_heads())
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        heads = set(script.get_heads())
    except Exception as exc:  # any failure means "not ready", with the reason for the operator
        return {"status": "unavailable", "reason": type(exc).__name__}, 503
    if current != heads:
        return {"status": "migrations pending", "current": sorted(current), "heads": sorted(heads)}, 503
    return {"status": "ready"}
