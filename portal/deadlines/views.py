"""Deadlines at risk: what the supervisor, the clerks and the authority must look at today; one term day by day."""
from __future__ import annotations

from flask import Blueprint, abort, g, request

from portal.accounts.models import AUTHORITY, CLERK, SUPERVISOR
from portal.core.clock import now_utc
from portal.core.forms import bounded_int
from portal.core.permissions import login_required, roles_required
from portal.core.rendering import render_page
from portal.deadlines import services
from portal.deadlines.models import Deadline
from portal.extensions import db

bp = Blueprint("deadlines", __name__)


@bp.route("/staff/deadlines")
@roles_required(CLERK, SUPERVISOR, AUTHORITY)
def at_risk():
    now = now_utc()
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    rows = services.at_risk(now, page)
    return render_page("deadlines/at_risk.html", "deadlines/_at_risk_rows.html", rows=rows, page=page, now=now,
                       urgency=services.urgency)


@bp.route("/applications/<int:application_id>/deadlines/<int:deadline_id>/days")
@login_required
def term_days(application_id: int, deadline_id: int):
    """One term of the case drawn day by day: the fragment the case page's disclosure loads (htmx), or a page.

    Whoever may see the case may see its terms (the case page's own check); anything else answers 404, so the
    ids of others' cases and terms reveal nothing.
    """
    deadline = db.session.get(Deadline, deadline_id)
    # The case's own gate (Application.can_access, as core/access.py applies it), read through the term's row.
    if (deadline is None or deadline.application_id != application_id or deadline.complaint_id is not None
            or not deadline.application.can_access(g.user)):
        abort(404)
    application = deadline.application
    band = services.working_day_timeline(application, [deadline], now_utc())[0]
    return render_page("deadlines/days.html", "deadlines/_term_days.html", application=application, band=band)
