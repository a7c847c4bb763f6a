"""Log-in and log-out."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for

from portal.accounts import services
from portal.accounts.forms import LoginForm
from portal.core.i18n import gettext as _
from portal.core.permissions import login_required, public
from portal.core.security import limit_eds_challenges, limit_eds_login, limit_password_login
from portal.extensions import db
from portal.signatures import services as signatures
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence

bp = Blueprint("accounts", __name__)


def home_for(user) -> str:
    """Where each role starts its work."""
    if user.role == "applicant":
        return url_for("applications.cabinet")
    if user.role == "admin":
        return url_for("calendar_admin.exceptions")
    if user.role == "signatory":  # nothing but the decisions waiting for their signature
        return url_for("decisions.queue")
    if user.role == "supervisor":  # the complaints and their terms (п.17, п.18); deadlines at risk are one link away
        return url_for("complaints.provider_queue")
    if user.role == "authority":
        return url_for("complaints.authority_queue")
    return url_for("applications.queue")  # the clerk: the case queue


# Nothing a browser might read otherwise than this check does: a backslash (read as a slash) or a control
# character (dropped, or a line end, which the Location header cannot carry: a 500).
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")


def _safe_next(target: str | None) -> str | None:
    # Only local paths: never an open redirect to another site.
    if not target or _UNSAFE_IN_NEXT.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limit_password_login
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        # Per account, from any address and any worker (portal/core/security.py): not even the right password
        # is checked while the account's log-in is paused.
        paused_until = services.login_paused_until(form.username.data)
        if paused_until is not None:
            return _login_paused(paused_until)
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            services.clear_failed_logins(form.username.data)
            db.session.commit()
            services.log_in(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        services.note_failed_login(form.username.data)
        db.session.commit()
        form.password.errors.append(_("Wrong username or password."))
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


def _login_paused(until):
    """The 429 page of a paused account: until when (the next full minute, Almaty time), and Retry-After."""
    shown = until.replace(second=0, microsecond=0)
    if shown < until:
        shown += timedelta(minutes=1)
    response = make_response(render_template("errors.html", code=429, paused_until=shown), 429)
    response.headers["Retry-After"] = str(services.retry_after_seconds(until))
    return response


@bp.route("/login/eds", methods=["GET", "POST"])
@limit_eds_login
@limit_eds_challenges
@public
def login_eds():
    """Log in by signing a one-time challenge with the authentication key of the organisation's EDS."""
    form = SignedDocumentForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate_eds(form.document)
        except signatures.SignatureRefused as exc:
            db.session.rollback()
            form.refuse(sentence(exc.key, **exc.params))
        else:
            db.session.commit()
            services.log_in(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    challenge = services.eds_challenge()
    db.session.commit()
    status = 422 if form.errors else 200
    return render_template("accounts/login_eds.html", form=form, challenge=challenge,
                           challenge_xml=signatures.challenge_xml(challenge).decode("utf-8")), status


@bp.route("/login/eds/challenge.xml")
@limit_eds_challenges
@public
def eds_challenge_document():
    """This browser's challenge as a file, for signing tools that take files."""
    challenge = services.eds_challenge()
    db.session.commit()
    response = make_response(signatures.challenge_xml(challenge))
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=tyndau-login.xml"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.log_out(g.user)
    db.session.commit()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/me")
@login_required
def me():
    return redirect(home_for(g.user))
