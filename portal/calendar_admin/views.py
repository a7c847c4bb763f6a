"""The admin's page for the working-day calendar's exceptions."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from portal.accounts.models import ADMIN
from portal.calendar.services import current_calendar
from portal.calendar_admin import services
from portal.calendar_admin.forms import ExceptionForm
from portal.core.i18n import gettext as _
from portal.core.permissions import roles_required
from portal.extensions import db

bp = Blueprint("calendar_admin", __name__, url_prefix="/admin/calendar")


@bp.route("/", methods=["GET", "POST"])
@roles_required(ADMIN)
def exceptions():
    form = ExceptionForm()
    if form.validate_on_submit():
        services.set_exception(form.day.data, form.kind.data == "workday", form.decree.data, g.user)
        db.session.commit()
        flash(_("The exception is saved and the deadlines of open cases were recomputed."), "success")
        return redirect(url_for("calendar_admin.exceptions"))
    return render_template("calendar_admin/exceptions.html", form=form, rows=services.list_exceptions(),
                           calendar=current_calendar()), 422 if form.errors else 200


@bp.route("/<day>/delete", methods=["POST"])
@roles_required(ADMIN)
def delete(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    if not services.remove_exception(parsed, g.user):
        abort(404)
    db.session.commit()
    flash(_("The exception is removed and the deadlines of open cases were recomputed."), "success")
    return redirect(url_for("calendar_admin.exceptions"))
