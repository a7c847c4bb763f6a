"""Complaints: the applicant files, the supervisor acts (п.17), the authority decides (п.18, п.19), the provider
carries out its order."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import APPLICANT, AUTHORITY, CLERK, PROVIDER_ROLES, SUPERVISOR
from portal.applications.access import case_or_404
from portal.complaints import administrative_case as administrative
from portal.complaints import complaint_xml, queries, services
from portal.complaints.forms import (AuthorityDecisionForm, ComplaintForm, ComplaintQueueForm, FavourableActForm,
                                     ForwardForm, OrderCarriedOutForm)
from portal.complaints.models import ADDRESSEES, AT_AUTHORITY, AT_PROVIDER, INACTION, TO_PROVIDER, Complaint
from portal.core.clock import now_utc
from portal.core.access import get_or_404
from portal.core.concurrency import version_from
from portal.core.errors import show_on_form
from portal.core.forms import bounded_int
from portal.core.i18n import gettext as _
from portal.core.page_cache import cached_page
from portal.core.pdf import render_pdf
from portal.core.permissions import roles_required
from portal.core.rendering import render_page
from portal.core.urls import external_url
from portal.deadlines.services import urgency
from portal.decisions.stamp import stamp
from portal.documents.services import UploadRejected
from portal.extensions import db
from portal.review.presenters import review_context
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence
from portal.signatures.services import SignatureRefused

bp = Blueprint("complaints", __name__)
EVERYONE_ON_CASES = (APPLICANT, *PROVIDER_ROLES, AUTHORITY)
# Who records that the provider carried out the authority's order.
ORDER_ROLES = (SUPERVISOR, CLERK)


def _complaint_or_404(complaint_id: int) -> Complaint:
    """The complaint if this person may see it; 404 otherwise, so ids of others' complaints reveal nothing."""
    return get_or_404(Complaint, complaint_id)


def _changed(complaint_id: int):
    db.session.rollback()
    flash(_("The complaint was changed by someone else while you were working on it. Nothing was saved; "
            "here is the complaint as it is now."), "error")
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


# --- the applicant files ---------------------------------------------------------------------

def _signed_form(formdata=True) -> SignedDocumentForm:
    form = SignedDocumentForm() if formdata else SignedDocumentForm(formdata=None)
    form.required = False
    return form


def _filing_page(application, form, signed_form, subjects, status=200):
    return render_template("complaints/new.html", application=application, form=form, signed_form=signed_form,
                           subjects=subjects), status


@bp.route("/applications/<int:application_id>/complaints/new", methods=["GET", "POST"])
@roles_required(APPLICANT)
def new(application_id: int):
    application = case_or_404(application_id)
    if application.is_draft:
        abort(404)
    now = now_utc()
    subjects = services.subjects_for(application, now)
    if request.method == "GET":
        chosen = services.subject_by_ref(application, request.args.get("subject", ""), now)
        # ?addressee=authority: the next step after the provider's act (п.16, п.19), offered on the complaint page.
        addressee = request.args.get("addressee")
        data = {"submission_key": services.new_submission_key(),
                "addressee": addressee if addressee in ADDRESSEES else TO_PROVIDER,
                "subject": chosen.ref if chosen else None}
        if chosen is not None and chosen.kind == INACTION:
            data["arguments"] = services.inaction_facts(chosen.obj)
        return _filing_page(application, ComplaintForm(data=data), _signed_form(formdata=False), subjects)
    form, signed_form = ComplaintForm(), _signed_form()
    form.allowed_subjects = tuple(s.ref for s in subjects)
    typed = form.validate()
    signed_form.validate()
    signed = signed_form.document
    if signed_form.errors or (signed is None and not typed):
        return _filing_page(application, form, signed_form, subjects, 422)
    if signed is not None:
        for field in form:  # what is filed comes from the signed document, not from these fields
            field.errors = []
    try:
        complaint, created = services.file_complaint(
            application, g.user, {k: form[k].data for k in ("subject", "addressee", "demands", "arguments")},
            attachments=[f for f in (form.attachments.data or []) if getattr(f, "filename", "")],
            signed=signed, submission_key=form.submission_key.data or None)
        db.session.commit()
    except services.InvalidComplaint as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            if signed is not None:
                signed_form.refuse(f"{form[name].label.text}: {message}")
            else:
                form[name].errors = [message]
        return _filing_page(application, form, signed_form, subjects, 422)
    except services.WrongStage:
        db.session.rollback()
        abort(404)
    except SignatureRefused as exc:
        db.session.rollback()
        signed_form.refuse(sentence(exc.key, **exc.params))
        return _filing_page(application, form, signed_form, subjects, 422)
    except UploadRejected as exc:
        db.session.rollback()
        form.attachments.errors = [str(exc)]
        return _filing_page(application, form, signed_form, subjects, 422)
    if created:
        flash(_("Your complaint has been registered under number %(number)s.", number=complaint.number), "success")
    return redirect(url_for("complaints.show", complaint_id=complaint.id))


@bp.route("/applications/<int:application_id>/complaints/new.xml", methods=["POST"])
@roles_required(APPLICANT)
def new_document(application_id: int):
    """The complaint filled in so far, as the XML document to sign with the organisation's EDS."""
    application = case_or_404(application_id)
    subjects = services.subjects_for(application, now_utc())
    form = ComplaintForm()
    form.allowed_subjects = tuple(s.ref for s in subjects)
    if not form.validate():  # nothing to sign yet: the filing page with the fields' errors, what was typed kept
        return _filing_page(application, form, _signed_form(formdata=False), subjects, 422)
    values = {k: request.form.get(k, "").strip() for k in ("subject", "addressee", "demands", "arguments")}
    response = make_response(complaint_xml.build(application, values))
    response.headers["Content-Type"] = "application/xml"
    response.headers["Content-Disposition"] = f'attachment; filename="complaint-{application.number}.xml"'
    return response


# --- one complaint ---------------------------------------------------------------------------

def _show(complaint: Complaint, forms: dict | None = None, status: int = 200):
    version = {"version": complaint.version}
    context = {
        "complaint": complaint, "application": complaint.application, "subject": services.resolve_subject(complaint),
        "now": now_utc(), "urgency": urgency,
        "attachments": [d for d in complaint.application.documents if d.code == complaint.attachment_code],
        "act_form": FavourableActForm(formdata=None, data=version),
        "forward_form": ForwardForm(formdata=None, data=version),
        "order_form": OrderCarriedOutForm(formdata=None, data=version),
        "authority_form": AuthorityDecisionForm(formdata=None, data=version),
        "authority_signed_form": SignedDocumentForm(formdata=None),
        "decision_stamp": _decision_stamp(complaint),
        "can_act_as_provider": g.user.role == SUPERVISOR and complaint.status == AT_PROVIDER,
        "can_decide_as_authority": g.user.role == AUTHORITY and complaint.status == AT_AUTHORITY,
        "can_carry_out_order": g.user.role in ORDER_ROLES and complaint.order_pending,
        **(forms or {}),
    }
    return render_template("complaints/show.html", **context), status


def _decision_stamp(complaint: Complaint) -> dict | None:
    """The EDS stamp of the authority's signed decision: its official, from the certificate, and the public check."""
    if not complaint.decision_number or not complaint.decision_signer:
        return None
    return stamp(complaint.decision_signer,
                 external_url("decisions.by_number", number=complaint.decision_number))


@bp.route("/complaints/<int:complaint_id>")
@roles_required(*EVERYONE_ON_CASES)
def show(complaint_id: int):
    return _show(_complaint_or_404(complaint_id))


def _step(complaint_id: int, form, form_key: str, act, done: str, refusals: dict | None = None):
    """One step on a complaint from a form: act(complaint, form, version), commit, or say what was wrong.

    refusals: exception class -> (field name, message) for refusals that are not field errors.
    """
    complaint = _complaint_or_404(complaint_id)
    if form.validate():
        try:
            act(complaint, form, version_from(form.version.data))
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("complaints.show", complaint_id=complaint_id))
        except services.InvalidComplaint as exc:
            db.session.rollback()
            show_on_form(form, exc)
        except tuple(refusals or ()) as exc:
            db.session.rollback()
            name, message = refusals[type(exc)]
            form[name].errors = [message]
        except (services.WrongStage, StaleDataError):
            return _changed(complaint_id)
    return _show(complaint, {form_key: form}, 422)


@bp.route("/complaints/<int:complaint_id>/favourable-act", methods=["POST"])
@roles_required(SUPERVISOR)
def favourable_act(complaint_id: int):
    return _step(complaint_id, FavourableActForm(), "act_form",
                 lambda c, f, version: services.adopt_favourable_act(c, g.user, f.act.data, version,
                                                                     fully_satisfies=f.fully_satisfies.data),
                 _("The complaint is fully satisfied by the favourable act and closed."),
                 {services.ForwardTermOver: ("act", _("The 3 working days of п.17 are over: the complaint must be "
                                                      "forwarded with the case."))})


@bp.route("/complaints/<int:complaint_id>/forward", methods=["POST"])
@roles_required(SUPERVISOR)
def forward(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    form = ForwardForm()
    if not form.validate():
        abort(400)
    try:
        services.forward(complaint, g.user, expected_version=version_from(form.version.data))
        db.session.commit()
    except (services.WrongStage, StaleDataError):
        return _changed(complaint_id)
    flash(_("The complaint was forwarded with the administrative case to the quality-control authority."), "success")
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


@bp.route("/complaints/<int:complaint_id>/order-carried-out", methods=["POST"])
@roles_required(*ORDER_ROLES)
def order_carried_out(complaint_id: int):
    """The provider records what it did to carry out the authority's order; the order's term closes."""
    return _step(complaint_id, OrderCarriedOutForm(), "order_form",
                 lambda c, f, version: services.carry_out_order(c, g.user, f.note.data, version),
                 _("Recorded: the order of the quality-control authority is carried out."))


def _authority_values(form: AuthorityDecisionForm) -> dict:
    return {name: form[name].data for name in ("outcome", "reasons", "remedy", "remedy_due")}


@bp.route("/complaints/<int:complaint_id>/authority-decision.xml", methods=["POST"])
@roles_required(AUTHORITY)
def authority_decision_document(complaint_id: int):
    """The authority's decision as filled in, as the XML to sign with the official's own key (like new.xml).

    Valid fields: the document (nothing is stored). Otherwise the page with the errors next to the fields.
    """
    complaint = _complaint_or_404(complaint_id)
    form = AuthorityDecisionForm()
    if form.validate():
        try:
            xml = services.authority_document(complaint, _authority_values(form))
        except services.InvalidComplaint as exc:
            show_on_form(form, exc)
        except services.WrongStage:
            return _changed(complaint_id)
        else:
            response = make_response(xml)
            response.headers["Content-Type"] = "application/xml"
            response.headers["Content-Disposition"] = f'attachment; filename="decision-{complaint.number}.xml"'
            response.headers["Cache-Control"] = "no-store"
            return response
    return _show(complaint, {"authority_form": form}, 422)


@bp.route("/complaints/<int:complaint_id>/authority-decision", methods=["POST"])
@roles_required(AUTHORITY)
def authority_decision(complaint_id: int):
    """п.19: the decision signed by the authority's official with their own key; any refusal stores nothing."""
    complaint = _complaint_or_404(complaint_id)
    form, signed_form = AuthorityDecisionForm(), SignedDocumentForm()
    typed, signed = form.validate(), signed_form.validate()
    forms = {"authority_form": form, "authority_signed_form": signed_form}
    if not (typed and signed):
        return _show(complaint, forms, 422)
    try:
        services.decide_by_authority(complaint, g.user, _authority_values(form), version_from(form.version.data),
                                     signed_form.document)
        db.session.commit()
    except services.InvalidComplaint as exc:
        db.session.rollback()
        show_on_form(form, exc)
        return _show(complaint, forms, 422)
    except SignatureRefused as exc:
        db.session.rollback()
        signed_form.refuse(sentence(exc.key, exc.report.indication if exc.report else None, **exc.params))
        return _show(complaint, forms, 422)
    except (services.WrongStage, StaleDataError):
        return _changed(complaint_id)
    flash(_("The decision was signed and sent to the applicant."), "success")
    return redirect(url_for("complaints.show", complaint_id=complaint_id))


@bp.route("/complaints/<int:complaint_id>/decision.xml")
@roles_required(*EVERYONE_ON_CASES)
def decision_document(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    if complaint.decision_document is None:
        abort(404)
    response = make_response(complaint.decision_document)
    response.headers["Content-Type"] = "application/xml"
    response.headers["Content-Disposition"] = f'attachment; filename="{complaint.decision_number}.xml"'
    return response


# --- the queues ------------------------------------------------------------------------------

def _queue(holder: str, template: str):
    form = ComplaintQueueForm(request.args, meta={"csrf": False})
    filters = form.data if form.validate() else {"state": "open", "number": ""}
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    now = now_utc()
    complaints = queries.queue(holder, filters.get("state") or "open", filters.get("number") or "", page, now)
    return render_page(template, "complaints/_queue_results.html", form=form, complaints=complaints, page=page,
                       holder=holder, counts=queries.counts(holder, now), now=now, urgency=urgency,
                       filters={k: v for k, v in filters.items() if v})


@bp.route("/staff/complaints")
@roles_required(SUPERVISOR)
@cached_page
def provider_queue():
    """Every complaint addressed to the provider, with its terms (п.17, п.18)."""
    return _queue("provider", "complaints/queue.html")


@bp.route("/authority/complaints")
@roles_required(AUTHORITY)
@cached_page
def authority_queue():
    """Every complaint forwarded or addressed to the authority, with its 15 working days (п.19)."""
    return _queue("authority", "complaints/queue.html")


# --- the administrative case (п.17, п.19) ----------------------------------------------------

@bp.route("/authority/cases/<int:application_id>")
@roles_required(AUTHORITY, SUPERVISOR)
def administrative_case(application_id: int):
    """Everything about the case in order, with the check of its event log."""
    application = case_or_404(application_id)
    case = administrative.gather(application)
    return render_template("complaints/administrative_case.html", case=case, application=application,
                           events=case.events, now=now_utc(), urgency=urgency,
                           **{**review_context(application, g.user), "workbench": None})


@bp.route("/authority/cases/<int:application_id>/archive.zip")
@roles_required(AUTHORITY, SUPERVISOR)
def archive(application_id: int):
    """The administrative case as one ZIP with a manifest of SHA-256 sums."""
    application = case_or_404(application_id)
    case = administrative.gather(application)
    log_pdf = render_pdf(render_template("complaints/event_log_pdf.html", case=case, application=application,
                                         events=case.events))
    response = make_response(administrative.build_archive(case, log_pdf))
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="case-{application.number}.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
