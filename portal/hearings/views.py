"""The clerk's notice and record, and the applicant's answer: slot picker, position, waiver."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import APPLICANT, AUTHORITY, CLERK, PROVIDER_ROLES
from portal.applications.models import Application
from portal.applications.access import case_changed, case_or_404
from portal.core.clock import ALMATY, now_utc
from portal.core.concurrency import version_from
from portal.core.errors import InvalidDecision, WrongStage, show_on_form
from portal.core.i18n import gettext as _
from portal.core.i18n import official_date, official_datetime
from portal.core.permissions import roles_required
from portal.core.rendering import render_page
from portal.core.xmltext import xml_text
from portal.extensions import db
from portal.hearings import services
from portal.hearings.forms import BookSlotForm, HearingRecordForm, NoticeForm, PositionForm, WaiveForm
from portal.documents.services import UploadRejected
from portal.hearings import position_xml
from portal.hearings.invitation import invitation
from portal.hearings.models import WRITTEN
from portal.signatures.forms import SignedDocumentForm
from portal.signatures.messages import sentence
from portal.signatures.services import SignatureRefused

bp = Blueprint("hearings", __name__)
# Pages of deadlines (the case, deadlines at risk) show a late notice's breach of п.10 and its reason.
bp.add_app_template_global(services.late_notices)


# --- the clerk ------------------------------------------------------------------------------

@bp.route("/staff/cases/<int:application_id>/preliminary-refusal", methods=["GET", "POST"])
@roles_required(CLERK)
def notice(application_id: int):
    application = case_or_404(application_id)
    now = now_utc()
    form = NoticeForm(data={"version": application.version} if request.method == "GET" else None)
    _offer_times(form, application, now)
    if form.validate_on_submit():
        try:
            services.send_preliminary_refusal(application, g.user, form.method.data, form.place.data,
                                              version_from(form.version.data), proposed=_proposed(form),
                                              late_reason=form.late_reason.data or "")
            db.session.commit()
            flash(_("The preliminary decision to refuse and the hearing notice were sent."), "success")
            return redirect(url_for("applications.case", application_id=application_id))
        except (WrongStage, StaleDataError):
            return case_changed(application_id)
        except InvalidDecision as exc:
            db.session.rollback()
            show_on_form(form, exc)
    return render_template("hearings/notice.html", application=application, form=form,
                           terms=services.notice_terms(application, now_utc()),
                           grounds=services.proposed_grounds(application)), 422 if form.errors else 200


def _offer_times(form: NoticeForm, application: Application, now) -> None:
    """The lawful times and days a notice sent now may name (п.9), in the form's choices."""
    form.slot.choices = [("", _("Choose a time"))] + [
        (start.astimezone(ALMATY).strftime("%Y-%m-%dT%H:%M"), official_datetime(start))
        for start in services.proposable_slots(application, g.user, now)]
    form.written_by.choices = [("", _("Choose a day"))] + [
        (day.isoformat(), official_date(day)) for day in services.proposable_days(application, now)]


def _proposed(form: NoticeForm):
    """The moment (in person, video) or the day (in writing) the clerk chose; None when none or not one of ours."""
    try:
        if form.method.data == WRITTEN:
            return date.fromisoformat(form.written_by.data or "")
        return datetime.strptime(form.slot.data or "", "%Y-%m-%dT%H:%M").replace(tzinfo=ALMATY)
    except ValueError:
        return None


@bp.route("/staff/cases/<int:application_id>/hearing-record", methods=["GET", "POST"])
@roles_required(CLERK)
def record(application_id: int):
    application = case_or_404(application_id)
    form = HearingRecordForm(data={"version": application.version} if request.method == "GET" else None)
    refusal = services.refusal_of(application)
    grounds = refusal.grounds if refusal else []
    open_conditions = services.open_conditions(application)
    # Per ground, why it stands; per condition the review left open, the fact the hearing brought (issue 14).
    stands = {str(gr["number"]): xml_text(request.form.get(f"stands-{gr['number']}", "")) for gr in grounds}
    condition_facts = {c["code"]: xml_text(request.form.get(f"condition-{c['code']}", "")) for c in open_conditions}
    reason_errors = {}
    if form.validate_on_submit():
        try:
            services.record_hearing(application, g.user, {
                "held_at": form.held_at.data, "attended": form.attended.data, "participants": form.participants.data,
                "arguments": form.arguments.data, "examined": form.examined.data, "outcome": form.outcome.data,
                "stands": stands, "conditions": condition_facts,
            }, version_from(form.version.data))
            db.session.commit()
            return redirect(url_for("applications.case", application_id=application_id))
        except (WrongStage, StaleDataError):
            return case_changed(application_id)
        except InvalidDecision as exc:
            db.session.rollback()
            show_on_form(form, exc, elsewhere=reason_errors)
    return render_template("hearings/record.html", application=application, form=form, refusal=refusal,
                           slot=services.booked_slot(application), stands=stands, condition_facts=condition_facts,
                           open_conditions=open_conditions, reason_errors=reason_errors,
                           position_documents=services.position_documents(application)), (
        422 if (form.errors or reason_errors) else 200)


# --- the applicant --------------------------------------------------------------------------

def _hearing_context(application: Application) -> dict:
    refusal = services.refusal_of(application)
    if refusal is None:
        abort(404)
    now = now_utc()
    slots = services.offered_slots(application, refusal, now)
    return {"application": application, "refusal": refusal, "slot": services.booked_slot(application),
            "slots": slots, "slot_days": _by_day(slots),
            "can_change": services.can_change_booking(application, refusal, now) and g.user.role == APPLICANT,
            "record": services.hearing_record(application), "position_form": PositionForm(),
            "position_documents": services.position_documents(application), "upload_error": None,
            "book_form": BookSlotForm(), "slot_error": None, "signed_form": _optional_signed_form()}


def _by_day(slots) -> list[tuple[date, str, list]]:
    """The offered slots grouped by their day (Almaty): (day, its weekday's name in the reader's language, slots)."""
    days: list[tuple[date, str, list]] = []
    for slot in slots:  # in time order (offered_slots)
        day = slot.starts_at.astimezone(ALMATY).date()
        if not days or days[-1][0] != day:
            days.append((day, format_date(day, "EEEE", locale=get_locale()).capitalize(), []))
        days[-1][2].append(slot)
    return days


def _optional_signed_form() -> SignedDocumentForm:
    form = SignedDocumentForm(formdata=None)
    form.required = False
    return form


@bp.route("/applications/<int:application_id>/hearing")
@roles_required(APPLICANT, *PROVIDER_ROLES, AUTHORITY)
def hearing(application_id: int):
    application = case_or_404(application_id)
    return render_page("hearings/hearing.html", "hearings/_slots.html", **_hearing_context(application))


@bp.route("/applications/<int:application_id>/hearing/book", methods=["POST"])
@roles_required(APPLICANT)
def book(application_id: int):
    application = case_or_404(application_id)
    form = BookSlotForm()
    error = None
    if form.validate():
        try:
            services.book(application, form.slot.data, g.user)
            db.session.commit()
        except services.SlotUnavailable:
            db.session.rollback()
            error = _("This time is no longer available. Choose another one.")
    else:
        error = _("Choose a time.")
    if not request.htmx and error is None:
        flash(_("Your hearing time is booked."), "success")
        return redirect(url_for("hearings.hearing", application_id=application_id))
    context = _hearing_context(application)
    context["slot_error"] = error
    response = render_page("hearings/hearing.html", "hearings/_slots.html", status=409 if error else 200, **context)
    if request.htmx and error is None:
        response.headers["HX-Trigger"] = "hearing-booked"
    return response


@bp.route("/applications/<int:application_id>/hearing/waive", methods=["POST"])
@roles_required(APPLICANT)
def waive(application_id: int):
    """The waiver in two steps: the hearing page's button asks (this page), the confirmation declines."""
    application = case_or_404(application_id)
    form = WaiveForm()
    if form.confirm.data != "yes":
        context = _hearing_context(application)
        if context["refusal"].waived_at is not None or context["record"] is not None:
            return redirect(url_for("hearings.hearing", application_id=application_id))
        return render_template("hearings/waive.html", **context)
    try:
        services.waive(application, g.user)
        db.session.commit()
        flash(_("You have declined the hearing."), "info")
    except services.SlotUnavailable:
        db.session.rollback()
    return redirect(url_for("hearings.hearing", application_id=application_id))


@bp.route("/applications/<int:application_id>/hearing/position", methods=["POST"])
@roles_required(APPLICANT)
def position(application_id: int):
    application = case_or_404(application_id)
    form = PositionForm()
    signed_form = SignedDocumentForm()
    signed_form.required = False
    typed = form.validate()
    signed_form.validate()
    if typed or signed_form.document is not None:
        try:
            services.state_position(application, form.position.data, g.user, signed=signed_form.document)
            db.session.commit()
            flash(_("Your position has been received."), "success")
            return redirect(url_for("hearings.hearing", application_id=application_id))
        except WrongStage:
            db.session.rollback()
            form.position.errors = [_("The hearing stage is over: the position can no longer be changed.")]
        except SignatureRefused as exc:
            db.session.rollback()
            signed_form.refuse(sentence(exc.key, **exc.params))
        except InvalidDecision as exc:
            db.session.rollback()
            form.position.errors = [exc.errors["position"]]
    context = _hearing_context(application)
    context["position_form"], context["signed_form"] = form, signed_form
    return render_template("hearings/hearing.html", **context), 422


@bp.route("/applications/<int:application_id>/hearing/position.xml", methods=["POST"])
@roles_required(APPLICANT)
def position_document(application_id: int):
    """The position typed so far, as the XML document to sign with the organisation's EDS."""
    application = case_or_404(application_id)
    form = PositionForm()
    if not form.validate():  # nothing to sign yet: the page with the field's error, what was typed kept
        context = _hearing_context(application)
        context["position_form"] = form
        return render_template("hearings/hearing.html", **context), 422
    body = position_xml.build(application, request.form.get("position", "").strip())
    response = make_response(body)
    response.headers["Content-Type"] = "application/xml"
    response.headers["Content-Disposition"] = f'attachment; filename="position-{application.number}.xml"'
    return response


@bp.route("/applications/<int:application_id>/hearing/documents", methods=["POST"])
@roles_required(APPLICANT)
def position_attachment(application_id: int):
    application = case_or_404(application_id)
    error = None
    try:
        services.attach_to_position(application, request.files.get("file"), g.user)
        db.session.commit()
    except UploadRejected as exc:
        db.session.rollback()
        error = str(exc)
    except WrongStage:
        db.session.rollback()
        error = _("The hearing stage is over: documents can no longer be added.")
    if error is None:
        flash(_("The document has been added to your position."), "success")
        return redirect(url_for("hearings.hearing", application_id=application_id))
    context = _hearing_context(application)
    context["upload_error"] = error
    return render_template("hearings/hearing.html", **context), 422


@bp.route("/applications/<int:application_id>/hearing.ics")
@roles_required(APPLICANT, *PROVIDER_ROLES)
def calendar_file(application_id: int):
    application = case_or_404(application_id)
    refusal = services.refusal_of(application)
    if refusal is None or refusal.invitation_sequence == 0:
        abort(404)
    body = invitation(application, refusal, services.booked_slot(application),
                      _("Hearing on the preliminary decision to refuse, case %(number)s", number=application.number),
                      _("Hearing under п.10 of the Rules of accreditation of digital mining pools."))
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="hearing-{application.number}.ics"'
    return response
