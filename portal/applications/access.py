"""Loading a case for the signed-in person, shared by every module that works on cases."""
from __future__ import annotations

from flask import flash, redirect, url_for

from portal.applications.models import Application
from portal.core.access import get_or_404
from portal.core.i18n import gettext as _
from portal.extensions import db


def case_or_404(application_id: int) -> Application:
    """The case if this person may see it (Application.can_access); 404 otherwise (core/access.py)."""
    return get_or_404(Application, application_id)


def case_changed(application_id: int):
    """Someone else moved the case on: roll back, say so, and show the case as it is now."""
    db.session.rollback()
    flash(_("The case was changed by someone else while you were working on it. Nothing was saved; "
            "here is the case as it is now."), "error")
    return redirect(url_for("applications.case", application_id=application_id))
