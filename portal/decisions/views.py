"""Drafting (clerk), signing (signatory), reading (applicant) and checking by number (anyone)."""
from __future__ import annotations

import segno
from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import APPLICANT, AUTHORITY, CLERK, PROVIDER_ROLES, SIGNATORY
from portal.applications.access import case_changed, case_or_404
from portal.core.concurrency import version_from
from portal.core.i18n import gettext as _
from portal.core.permissions import public, roles_required
from portal.decisions import services
from portal.decisions.models import Decision
from portal.extensions import db
from portal.review.services import WrongStage

bp = Blueprint("decisions", __name__)



@bp.route("/staff/cases/<int:application_id>/decision", methods=["POST"])
@roles_required(CLERK)
def draft(application_id: int):
    application = case_or_404(application_id)
    try:
        services.draft(application, g.user, version_from(request.form.get("version")))
        db.session.commit()
        flash(_("The decision is drafted and waits for the signatory."), "success")
    except (WrongStage, StaleDataError):
        return case_changed(application_id)
    return redirect(url_for("applications.case", application_id=application_id))


@bp.route("/staff/decisions")
@roles_required(SIGNATORY)
def queue():
    return render_template("decisions/queue.html", decisions=services.awaiting_signature())


@bp.route("/staff/decisions/<int:decision_id>", methods=["GET", "POST"])
@roles_required(SIGNATORY)
def sign(decision_id: int):
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            services.sign(decision, g.user)
            db.session.commit()
            flash(_("The decision is signed and delivered to the applicant's cabinet."), "success")
            return redirect(url_for("decisions.queue"))
        except WrongStage:
            db.session.rollback()
            error = _("This decision has already been signed.")
        except services.SigningUnavailable:
            db.session.rollback()
            error = _("The provider's signing key is not available. Tell the administrator; nothing was signed.")
    return render_template("decisions/sign.html", decision=decision, error=error), 422 if error else 200


@bp.route("/applications/<int:application_id>/decision")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def show(application_id: int):
    application = case_or_404(application_id)
    decision = services.decision_of(application)
    if decision is None or (g.user.role == APPLICANT and decision.status != "signed"):
        abort(404)
    qr = _qr(decision) if decision.status == "signed" else None
    return render_template("decisions/show.html", decision=decision, application=application, qr=qr)


def _qr(decision: Decision) -> str:
    """The public verification link of the decision as an SVG data URI."""
    link = url_for("decisions.by_number", number=decision.number, _external=True)
    return segno.make(link, error="m").svg_data_uri(scale=4)


@bp.route("/applications/<int:application_id>/decision.pdf")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def pdf(application_id: int):
    """The printable rendition in the reader's language; the signed XML remains the legal document."""
    from weasyprint import HTML

    decision = services.decision_of(case_or_404(application_id))
    if decision is None or decision.status != "signed":
        abort(404)
    html = render_template("decisions/pdf.html", decision=decision, qr=_qr(decision))
    body = HTML(string=html, base_url=request.url_root).write_pdf()
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{decision.number}.pdf"'
    return response


@bp.route("/applications/<int:application_id>/decision.xml")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def document(application_id: int):
    decision = services.decision_of(case_or_404(application_id))
    if decision is None or decision.document is None:
        abort(404)
    response = make_response(decision.document)
    response.headers["Content-Type"] = "application/xml"
    response.headers["Content-Disposition"] = f'attachment; filename="{decision.number}.xml"'
    return response


@bp.route("/verify/number")
@public
def by_number():
    """Anyone enters a decision's registration number: genuine, by whom, still current."""
    number = request.args.get("number", "")[:40]
    decision = services.find_by_number(number) if number else None
    return render_template("decisions/by_number.html", number=number, decision=decision,
                           current=services.is_current(decision) if decision else False), (
        404 if number and decision is None else 200)
