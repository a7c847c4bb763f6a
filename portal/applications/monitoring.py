"""The monitoring feed of п.14: every stage change of the filed cases as JSON, for the state monitoring system.

The cases' events (portal/events/) joined to the cases: it lives here, above both."""
from __future__ import annotations

from flask import Blueprint, request
from sqlalchemy import select

from portal.accounts.models import ADMIN, AUTHORITY, PROVIDER_ROLES
from portal.applications.models import DRAFT, Application
from portal.core.forms import bounded_int
from portal.core.permissions import roles_required
from portal.events.models import Event
from portal.extensions import db

bp = Blueprint("monitoring", __name__)
PAGE = 200


@bp.route("/api/monitoring/events")
@roles_required(*PROVIDER_ROLES, AUTHORITY, ADMIN)
def monitoring_events():
    since = request.args.get("since", 0, type=bounded_int)
    limit = min(max(request.args.get("limit", PAGE, type=int), 1), PAGE)
    # Drafts are the applicant's own business until submitted; the feed shows filed cases only.
    rows = list(db.session.scalars(
        select(Event).join(Application, Application.id == Event.application_id)
        .where(Event.id > since, Application.status != DRAFT).order_by(Event.id).limit(limit + 1)
    ))
    more = len(rows) > limit
    rows = rows[:limit]
    numbers = dict(db.session.execute(
        select(Application.id, Application.number).where(Application.id.in_({r.application_id for r in rows}))
    ).all()) if rows else {}
    return {
        "events": [{"id": r.id, "case_id": r.application_id, "case_number": numbers.get(r.application_id),
                    "kind": r.kind, "at": r.at.isoformat(), "data": r.data,
                    # The case's hash chain, so the monitoring system can keep it and notice a rewrite.
                    "seq": r.seq, "prev_hash": r.prev_hash, "hash": r.hash} for r in rows],
        "next_since": rows[-1].id if rows else since,
        "more": more,
    }
