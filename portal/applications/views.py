"""Views of the application wizard, the staff list and paper intake (the cabinet and the case page, which read
every step, are portal/cases/views.py, on this blueprint)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, send_file, url_for
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import RequestEntityTooLarge

from portal.accounts.models import APPLICANT, AUTHORITY, CLERK, PROVIDER_ROLES
from portal.applications import next_step, queries, services
from portal.applications.forms import (MAX_BACKUPS, ApplicationForm, DocumentUploadForm, PaperIntakeForm,
                                       QueueFilterForm, SubmitApplicationForm)
from portal.applications.models import ACCREDITATION, CHANCELLERY, KINDS, Application
from portal.calendar.services import current_calendar
from portal.core.access import get_or_404
from portal.core.pagination import last_page
from portal.core.page_cache import cached_page
from portal.core.clock import ALMATY, now_utc
from portal.core.forms import bounded_int
from portal.core.i18n import gettext as _
from portal.core.permissions import login_required, roles_required
from portal.core.concurrency import version_from
from portal.core.rendering import render_page
from portal.documents import services as documents
from portal.documents.models import Document
from portal.extensions import db
from portal.signatures import services as signatures
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence
from portal.signatures.services import SignatureRefused

bp = Blueprint("applications", __name__)
# A complaint's pages and the cabinet name what the complaint waits for, by its own term.
bp.add_app_template_global(next_step.complaint_step_of, "complaint_step")


def _load(application_id: int, for_edit: bool = False, options=()) -> Application:
    """The case if this person may see it; 404 otherwise, so ids of others' cases reveal nothing."""
    application = get_or_404(Application, application_id, options)
    if for_edit and not services.can_edit(g.user, application):
        if application.is_draft:
            abort(403)
        flash(_("This application has been submitted and can no longer be changed."), "info")
        abort(redirect(url_for("applications.case", application_id=application.id)))
    return application


@bp.route("/applications/new", methods=["POST"])
@roles_required(APPLICANT)
def new():
    kind = request.form.get("kind", ACCREDITATION)
    if kind not in KINDS:
        abort(400)
    application = services.start_draft(g.user, kind, g.user.organization)
    db.session.commit()
    return redirect(url_for("applications.edit", application_id=application.id))


# --- the wizard: 1 form, 2 documents, 3 submit -----------------------------------------------

@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@login_required
def edit(application_id: int):
    application = _load(application_id, for_edit=True)
    form = ApplicationForm(data=None if request.method == "POST" else services.form_data(application))
    form.organization_bin = application.organization.bin
    if request.method == "POST" and form.validate():
        if form.add_backup.data and len(form.backups) < MAX_BACKUPS:
            form.backups.append_entry()
            return _edit_page(application, form)
        if form.next.data and not form.validate_complete():
            return _edit_page(application, form, 422)
        try:
            services.save_draft(application, form.data, g.user,
                                expected_version=version_from(request.form.get("version")))
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(_("Someone else changed this draft while you were editing it. Your changes were not saved; "
                    "here is the current version."), "error")
            return redirect(url_for("applications.edit", application_id=application_id))
        if form.next.data:
            return redirect(url_for("applications.documents", application_id=application.id))
        flash(_("Draft saved."), "success")
        return redirect(url_for("applications.edit", application_id=application.id))
    if request.method == "GET" and application.route != CHANCELLERY:
        # п.12: the certificate named cannot be re-issued (not the organisation's current one, or another
        # re-issuance holds it): said next to the field, as the submit page will refuse it.
        if warning := services.reissue_warning(application):
            form.reissue_certificate_number.errors = [warning]
            return _edit_page(application, form)
    return _edit_page(application, form, 422 if form.errors else 200)


def _edit_page(application, form, status=200):
    return render_template("applications/edit.html", application=application, form=form,
                           max_backups=MAX_BACKUPS), status


@bp.route("/applications/check-bin")
@login_required
def check_bin():
    """Inline validation of the BIN field (htmx); the same check runs again on save."""
    form = ApplicationForm(formdata=request.args, meta={"csrf": False})
    if g.user.organization is not None:  # an applicant files in the name of their own organisation
        form.organization_bin = g.user.organization.bin
    form.bin.validate(form, [ApplicationForm.validate_bin])
    return render_template("applications/_bin_feedback.html", field=form.bin)


@bp.route("/applications/<int:application_id>/documents", methods=["GET", "POST"], endpoint="documents")
@login_required
def documents_step(application_id: int):
    application = _load(application_id, for_edit=True)
    upload_error, error_code = None, None
    if request.method == "POST":
        try:
            form = DocumentUploadForm()
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            form, upload = DocumentUploadForm(formdata=None), None
            upload_error = _("The file is too large.")
            error_code = request.args.get("code")
        if upload_error is None:
            error_code = form.code.data
            if form.validate():
                try:
                    services.attach(application, form.code.data, upload, g.user, form.expires_on.data)
                    db.session.commit()
                except documents.UploadRejected as exc:
                    db.session.rollback()
                    upload_error = str(exc)
                except services.AlreadySubmitted:  # submitted while this file was on its way (attach locks)
                    db.session.rollback()
                    return _submitted_meanwhile(application)
            else:
                upload_error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if upload_error is None and not request.htmx:
            return redirect(url_for("applications.documents", application_id=application.id))
    return render_page("applications/documents.html", "applications/_checklist.html",
                       status=422 if upload_error else 200, application=application,
                       checklist=services.checklist(application), upload_error=upload_error,
                       error_code=error_code, form=DocumentUploadForm(formdata=None))


def _submitted_meanwhile(application: Application):
    flash(_("This application has been submitted and can no longer be changed. The file was not attached."),
          "error")
    target = url_for("applications.case", application_id=application.id)
    if request.htmx:  # the case page, not swapped into the checklist
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


@bp.route("/applications/<int:application_id>/documents/<int:document_id>/delete", methods=["POST"])
@login_required
def delete_document(application_id: int, document_id: int):
    application = _load(application_id, for_edit=True)
    document = _document_of(application, document_id)
    services.detach(application, document, g.user)
    db.session.commit()
    if request.htmx:
        return render_page("applications/documents.html", "applications/_checklist.html", application=application,
                           checklist=services.checklist(application), upload_error=None, error_code=None,
                           form=DocumentUploadForm(formdata=None))
    return redirect(url_for("applications.documents", application_id=application.id))


@bp.route("/applications/<int:application_id>/documents/<int:document_id>")
@login_required
def download_document(application_id: int, document_id: int):
    application = _load(application_id)
    document = _document_of(application, document_id)
    try:
        response = send_file(documents.file_path(document), mimetype=document.content_type, as_attachment=True,
                             download_name=document.original_name, max_age=0)
    except FileNotFoundError:
        abort(404)  # the row outlived its bytes (a restored backup, `demo scale` data): not a server error
    # Even a file that slipped through must not run as a page of this site.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/applications/<int:application_id>/documents/<int:document_id>/preview/<int:page>")
@login_required
def preview_document(application_id: int, document_id: int, page: int):
    """A page of a document as an image, for reading it on the case page."""
    document = _document_of(_load(application_id), document_id)
    rendered = documents.preview_image(document, page)
    if rendered is None:
        abort(404)
    body, mimetype = rendered
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _document_of(application: Application, document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    return document


@bp.route("/applications/<int:application_id>/submit", methods=["GET", "POST"])
@login_required
def submit(application_id: int):
    application = get_or_404(Application, application_id)
    if not application.is_draft:
        # A second click or a retried request lands here: one submission, and the case page.
        return redirect(url_for("applications.case", application_id=application.id))
    if not services.can_edit(g.user, application):
        abort(403)
    form = SubmitApplicationForm()
    signed = SignedDocumentForm(meta={"csrf": False})  # part of the same form: its CSRF token is checked
    signed.required = False
    checklist = services.checklist(application)
    missing = [item for item in checklist if item["missing"]]
    problems = services.problems(application)
    if form.validate_on_submit() and signed.validate() and not problems:
        if missing and not form.confirm_incomplete.data:
            form.confirm_incomplete.errors = [_("Confirm that you submit an incomplete package, or attach the "
                                                "missing documents first.")]
        else:
            received_at = application.received_at if application.route == CHANCELLERY else None
            try:
                submitted = services.submit_with_signature(application, g.user, signed.document,
                                                           received_at=received_at)
            except SignatureRefused as exc:
                db.session.rollback()
                signed.refuse(sentence(exc.key, **exc.params))
            except services.ReissueRefused as exc:  # another re-issuance of the certificate got in first (п.12)
                db.session.rollback()
                problems = [exc.sentence]
            else:
                if submitted:
                    db.session.commit()
                    flash(_("Your application has been accepted and registered."), "success")
                return redirect(url_for("applications.case", application_id=application_id))
    status = 422 if form.errors or signed.errors else 200
    # Check your answers: every field of the form with the value the draft holds, each to change in the form.
    answers = ApplicationForm(formdata=None, data=services.form_data(application), meta={"csrf": False})
    return render_template("applications/submit.html", application=application, form=form, signed=signed,
                           answers=answers, checklist=checklist,
                           signature_required=services.signature_required(application), missing=missing,
                           problems=problems, reissue_warning=services.reissue_warning(application)
                           if application.route == CHANCELLERY else None), status


@bp.route("/applications/<int:application_id>/application.xml")
@login_required
def application_xml(application_id: int):
    """The Appendix 1 data of the case as the XML document the applicant signs (docs/application-xml.md)."""
    application = _load(application_id)
    response = make_response(signatures.application_document(application))
    response.headers["Content-Type"] = "application/xml; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename=application-{application.id}.xml"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- staff: the list of cases and paper submissions ------------------------------------------

@bp.route("/staff/cases")
@roles_required(*PROVIDER_ROLES, AUTHORITY)
@cached_page
def queue():
    form = QueueFilterForm(request.args, meta={"csrf": False})
    filters = form.data if form.validate() else {}
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    if page > last_page(25):  # staff_cases' page size
        abort(404)
    now = now_utc()
    # The next working day bounds "near": read from the calendar only when the list is filtered by it.
    horizon = current_calendar().add_workdays(now.astimezone(ALMATY).date(), 1) if filters.get("deadline") else None
    cases = queries.staff_cases(filters, page, now, horizon)
    return render_page("applications/queue.html", "applications/_queue_results.html", cases=cases, page=page,
                       service_terms=queries.service_terms(cases.items), form=form,
                       filters={k: v for k, v in filters.items() if v})


@bp.route("/staff/paper", methods=["GET", "POST"])
@roles_required(CLERK)
def paper_intake():
    """Register a paper submission from the chancellery on the applicant's behalf."""
    form = PaperIntakeForm()
    if form.validate_on_submit():
        organization = services.organization_for(form.bin.data.strip(), form.legal_name.data.strip())
        application = services.start_draft(g.user, form.kind.data, organization, route=CHANCELLERY)
        application.received_at = form.received_at.data
        db.session.commit()
        return redirect(url_for("applications.edit", application_id=application.id))
    return render_template("applications/paper.html", form=form), 422 if form.errors else 200
