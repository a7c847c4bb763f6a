"""Deadlines at risk: what the supervisor, the clerks and the authority must look at today."""
from __future__ import annotations

from flask import Blueprint, request

from portal.accounts.models import AUTHORITY, CLERK, SUPERVISOR
from portal.core.clock import now_utc
from portal.core.forms import bounded_int
from portal.core.permissions import roles_required
from portal.core.rendering import render_page
from portal.deadlines import services

bp = Blueprint("deadlines", __name__)
# The case page draws each term as a band of days (templates/deadlines/_timeline_days.html).
bp.add_app_template_global(services.working_day_timeline)


@bp.route("/staff/deadlines")
@roles_required(CLERK, SUPERVISOR, AUTHORITY)
def at_risk():
    now = now_utc()
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    rows = services.at_risk(now, page)
    return render_page("deadlines/at_risk.html", "deadlines/_at_risk_rows.html", rows=rows, page=page, now=now,
                       urgency=services.urgency)
