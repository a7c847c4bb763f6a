"""The one gate to what hangs on a case: a row is shown to the signed-in person only if its can_access(user) says so.

Each domain's model says who sees it (Application.can_access, Complaint.can_access); every view loads through
here, so no domain asks another's services whether a person may look (signatures serve the steps, and take
the case from the row they already hold: signature.application.can_access).
"""
from __future__ import annotations

from flask import abort, g

from portal.extensions import db


def get_or_404(model, ident: int, options=()):
    """The row of `model` if the signed-in person may see it; 404 otherwise, so the ids of others' cases reveal
    nothing (a row that exists and one that does not look the same)."""
    row = db.session.get(model, ident, options=options)
    if row is None or not row.can_access(g.user):
        abort(404)
    return row
