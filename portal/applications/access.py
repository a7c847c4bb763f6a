"""Loading a case for the signed-in person, shared by every module that works on cases."""
from __future__ import annotations

from flask import abort, flash, g, redirect, url_for

from portal.applications.models import Application
from portal.applications.services import can_view
from portal.core.i18n import gettext as _
from portal.extensions import db


def case_or_404(application_id: int) -> Application:
    """The case if this person may see it; 404 otherwise, so another's case ids reveal nothing."""
    application = db.session.get(Application, application_id)
    if application is None or not can_view(g.user, application):
        abort(404)
    return application


def case_changed(application_id: int):
    """Someone else moved the case on: roll back, say so, and show the case as it is now."""
    db.session.rollback()
    flash(_("The case was changed by someone else while you were working on it. Nothing was saved; "
            "here is the case as it is now."), "error")
    return redirect(url_for("applications.case", application_id=application_id))
