"""Drafting (clerk), signing (signatory), reading (applicant) and checking by number (anyone)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import APPLICANT, AUTHORITY, CLERK, PROVIDER_ROLES, SIGNATORY
from portal.applications.services import ReissueRefused
from portal.applications.access import case_changed, case_or_404
from portal.core.concurrency import version_from
from portal.core.errors import WrongStage
from portal.core.i18n import gettext as _
from portal.core.pdf import render_pdf
from portal.core.permissions import public, roles_required
from portal.core.security import limit_verify
from portal.core.urls import external_url
from portal.decisions import services, wording
from portal.decisions.forms import ResendForm, ReturnForm
from portal.decisions.models import SIGNED, Decision
from portal.decisions.stamp import qr_code, stamp
from portal.extensions import db
from portal.decisions.certificates import obstacle_sentence
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence
from portal.signatures.services import SignatureRefused

bp = Blueprint("decisions", __name__)
bp.add_app_template_global(external_url, "external_url")  # links printed on acts: PORTAL_URL, never the Host header
wording.register(bp)  # the fixed wording of the forms of Appendices 1, 3, 4 (rules/data/forms)
# The clerk's workbench offers the п.12 refusal of a re-issuance that cannot replace its certificate.
bp.add_app_template_global(obstacle_sentence, "reissue_obstacle_sentence")
# A re-issuance refused further consideration (п.12) links its signed Appendix 4 document from the status line.
# The clerk's workbench shows the signatory's comment on a draft returned to the clerk (issue 16 item 4).
bp.add_app_template_global(services.open_return, "decision_open_return")

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
    except services.CertificateRefused as exc:
        db.session.rollback()
        flash(str(exc.sentence), "error")
    except ReissueRefused as exc:  # п.12: another re-issuance took the certificate meanwhile
        db.session.rollback()
        flash(exc.sentence, "error")
    return redirect(url_for("applications.case", application_id=application_id))


@bp.route("/staff/decisions")
@roles_required(SIGNATORY)
def queue():
    return render_template("decisions/queue.html", decisions=services.awaiting_signature())


def _drafted_or_404(decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        abort(404)
    return decision


def _sign_page(decision: Decision, form: SignedDocumentForm, error: str | None = None, status: int = 200,
               return_form: ReturnForm | None = None):
    # What the signatory reads is what they sign: the decision numbered and dated as if issued today.
    issued = decision if decision.status == SIGNED else services.as_issued(decision)
    return render_template("decisions/sign.html", decision=decision, issued=issued, form=form, error=error,
                           return_form=return_form or ReturnForm(formdata=None),
                           last_return=services.last_return(decision)), status


@bp.route("/staff/decisions/<int:decision_id>")
@roles_required(SIGNATORY)
def sign_page(decision_id: int):
    """The decision and its "Sign with NCALayer" button (with the download/upload way beside it)."""
    return _sign_page(_drafted_or_404(decision_id), SignedDocumentForm(formdata=None))


@bp.route("/staff/decisions/<int:decision_id>/document-to-sign.xml")
@roles_required(SIGNATORY)
def document_to_sign(decision_id: int):
    """The decision's XML as it is issued if signed today (number, date, validity); nothing is stored."""
    decision = _drafted_or_404(decision_id)
    try:
        xml = services.document_to_sign(decision)
    except WrongStage:
        abort(409)
    response = make_response(xml)
    response.headers["Content-Type"] = "application/xml"
    response.headers["Content-Disposition"] = f'attachment; filename="decision-{decision.id}-to-sign.xml"'
    response.headers["Cache-Control"] = "no-store"  # tomorrow it is another document
    return response


@bp.route("/staff/decisions/<int:decision_id>", methods=["POST"])
@roles_required(SIGNATORY)
def sign(decision_id: int):
    """Issue the decision signed with the signatory's own key; any refusal stores nothing."""
    decision = _drafted_or_404(decision_id)
    form = SignedDocumentForm()
    if not form.validate():
        return _sign_page(decision, form, status=422)
    try:
        services.sign(decision, g.user, form.document)
        db.session.commit()
    except WrongStage:
        db.session.rollback()
        message = (_("This decision has already been signed.") if decision.status == SIGNED else
                   _("This decision no longer waits for your signature: it was returned to the clerk."))
        return _sign_page(decision, SignedDocumentForm(formdata=None), message, 422)
    except SignatureRefused as exc:
        db.session.rollback()
        form.refuse(sentence(exc.key, exc.report.indication if exc.report else None, **exc.params))
        return _sign_page(decision, form, status=422)
    except ReissueRefused as exc:  # п.12: the certificate it replaces was replaced or is held by another case
        db.session.rollback()
        return _sign_page(decision, SignedDocumentForm(formdata=None),
                          _("This certificate cannot be issued: %(why)s", why=exc.sentence), 409)
    flash(_("The decision is signed and delivered to the applicant's cabinet."), "success")
    return redirect(url_for("decisions.queue"))


@bp.route("/staff/decisions/<int:decision_id>/return", methods=["POST"])
@roles_required(SIGNATORY)
def return_to_clerk(decision_id: int):
    """Send the unsigned draft back to the clerk with a comment; a second post finds it returned (409)."""
    decision = _drafted_or_404(decision_id)
    form = ReturnForm()
    if not form.validate():
        return _sign_page(decision, SignedDocumentForm(formdata=None), return_form=form, status=422)
    try:
        services.return_to_clerk(decision, g.user, form.comment.data)
        db.session.commit()
    except WrongStage:
        db.session.rollback()
        message = (_("This decision has already been signed.") if decision.status == SIGNED else
                   _("This decision no longer waits for your signature: it was returned to the clerk."))
        return _sign_page(decision, SignedDocumentForm(formdata=None), message, 409)
    flash(_("The decision is returned to the clerk with your comment."), "success")
    return redirect(url_for("decisions.queue"))


def _decision_or_404(application_id: int) -> Decision:
    decision = services.decision_of(case_or_404(application_id))
    if decision is None:
        abort(404)
    return decision


def _preview_page(decision: Decision, form: ResendForm | None = None, status: int = 200):
    return render_template("decisions/preview.html", decision=decision, issued=services.as_issued(decision),
                           application=decision.application, form=form or ResendForm(formdata=None),
                           open_return=services.open_return(decision), returns=decision.returns), status


@bp.route("/staff/cases/<int:application_id>/decision/preview")
@roles_required(*PROVIDER_ROLES, AUTHORITY)
def preview(application_id: int):
    """The unsigned decision exactly as it is issued if signed today, marked as a preview; a signed one is shown."""
    decision = _decision_or_404(application_id)
    if decision.status == SIGNED:
        return redirect(url_for("decisions.show", application_id=application_id))
    return _preview_page(decision)


@bp.route("/staff/cases/<int:application_id>/decision/preview.pdf")
@roles_required(*PROVIDER_ROLES, AUTHORITY)
def preview_pdf(application_id: int):
    """The printout of the unsigned decision: the issued PDF's template, marked as a draft, without a stamp."""
    decision = _decision_or_404(application_id)
    if decision.status == SIGNED:
        return redirect(url_for("decisions.pdf", application_id=application_id))
    body = render_pdf(render_template("decisions/pdf.html", decision=services.as_issued(decision), eds=None,
                                      preview=True))
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="decision-{decision.id}-preview.pdf"'
    response.headers["Cache-Control"] = "no-store"  # tomorrow it is dated otherwise
    return response


@bp.route("/staff/cases/<int:application_id>/decision/resend", methods=["POST"])
@roles_required(CLERK)
def resend(application_id: int):
    """Prepare the returned decision again and send it for signature; a second post finds it sent (no-op)."""
    decision = _decision_or_404(application_id)
    form = ResendForm()
    if not form.validate():
        return _preview_page(decision, form, 422)
    try:
        services.resend(decision, g.user, form.reply.data)
        db.session.commit()
        flash(_("The decision is prepared again and waits for the signatory."), "success")
    except WrongStage:
        db.session.rollback()
        flash(_("The decision is not with the clerk: it already waits for the signatory or is signed."), "error")
    except services.CertificateRefused as exc:
        db.session.rollback()
        flash(str(exc.sentence), "error")
    return redirect(url_for("applications.case", application_id=application_id))


@bp.route("/applications/<int:application_id>/decision")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def show(application_id: int):
    application = case_or_404(application_id)
    decision = services.decision_of(application)
    if decision is None or (g.user.role == APPLICANT and decision.status != "signed"):
        abort(404)
    if decision.status != SIGNED:
        return redirect(url_for("decisions.preview", application_id=application_id))  # marked as not signed
    return render_template("decisions/show.html", decision=decision, application=application,
                           eds=_stamp(decision) if decision.status == "signed" else None)


def _check_url(number: str) -> str:
    return external_url("decisions.by_number", number=number)


def _stamp(decision: Decision) -> dict | None:
    """The EDS stamp of a signed decision: the signatory from the certificate and the QR of the public check."""
    return stamp(decision.signer, _check_url(decision.number))


@bp.route("/applications/<int:application_id>/decision.pdf")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def pdf(application_id: int):
    """The printable rendition in the reader's language; the signed XML remains the legal document."""
    decision = services.decision_of(case_or_404(application_id))
    if decision is None or decision.status != "signed":
        abort(404)
    html = render_template("decisions/pdf.html", decision=decision, eds=_stamp(decision),
                           qr=qr_code(_check_url(decision.number)))
    body = render_pdf(html)
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
@limit_verify
@public
def by_number():
    """Anyone enters the registration number of a decision (or of the authority's decision on a complaint):
    genuine, by whom, still current."""
    number = request.args.get("number", "")[:40]
    decision = services.find_by_number(number) if number else None
    complaint = services.find_complaint_decision(number) if number and decision is None else None
    found = decision or complaint
    signer = decision.signer if decision else complaint.decision_signer if complaint else None
    return render_template("decisions/by_number.html", number=number, decision=decision, complaint=complaint,
                           signer=stamp(signer, _check_url(number)) if found else None,
                           current=services.is_current(decision) if decision else False), (
        404 if number and found is None else 200)
