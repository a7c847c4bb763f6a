"""Public verification of signed documents, and a case's stored reports and signed documents."""
from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template

from portal.core.permissions import login_required, public
from portal.core.security import limit_verify
from portal.extensions import db
from portal.signatures import messages, services, signed_fields
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence
from portal.signatures.models import Signature

bp = Blueprint("signatures", __name__)
bp.add_app_template_global(messages.sentence, "signature_sentence")
bp.add_app_template_global(messages.role_label, "signer_role_label")
bp.add_app_template_global(messages.purpose_label, "signature_purpose_label")
bp.add_app_template_global(services.dev_pki_dir, "dev_pki_dir")
bp.add_app_template_global(signed_fields.of_case, "signed_fields_of_case")


@bp.route("/verify", methods=["GET", "POST"])
@limit_verify
@public
def verify():
    """Anyone checks whether a signed document is genuine and who signed it; nothing is kept."""
    form = SignedDocumentForm()
    result = None
    if form.validate_on_submit():
        if form.document.lstrip()[:5] == b"%PDF-":
            # What people hold is the printout: its signature is the XML's, so it is checked by its number.
            form.refuse(sentence("document.pdf_printout"))
        else:
            result = services.inspect(form.document)
    return render_template("signatures/verify.html", form=form, result=result), 422 if form.errors else 200


def _signature_of_case(application_id: int, signature_id: int) -> Signature:
    """The signature if this person may see its case (the owner and staff); 404 otherwise."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.application_id != application_id or not signature.application.can_access(g.user):
        abort(404)
    return signature


def _attachment(body: bytes, mimetype: str, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<int:application_id>/signatures/<int:signature_id>/report.json")
@login_required
def report(application_id: int, signature_id: int):
    """The raw verification report, as stored when the document was received."""
    signature = _signature_of_case(application_id, signature_id)
    return _attachment(signature.report_text.encode("utf-8"), "application/json; charset=utf-8",
                       f"signature-{signature.id}-report.json")


@bp.route("/applications/<int:application_id>/signatures/<int:signature_id>/document.xml")
@login_required
def document(application_id: int, signature_id: int):
    """The signed XML exactly as received, to check again anywhere."""
    signature = _signature_of_case(application_id, signature_id)
    return _attachment(signature.document, "application/xml", f"signature-{signature.id}.xml")
