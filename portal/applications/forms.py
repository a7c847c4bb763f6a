"""The Appendix 1 form with the facts of п.4, and the submission step."""
from __future__ import annotations

from datetime import timedelta

from wtforms import (BooleanField, FieldList, FormField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.validators import Optional, ValidationError

from portal.applications.labels import KINDS, STATUSES
from portal.applications.models import ACCREDITATION, REISSUE
from portal.core.clock import now_utc
from portal.core.forms import (LocalDateField, LocalDateTimeField, MultiCheckboxField, PortalForm, PortalSubForm,
                               Required, bin_check, max_length)
from portal.core.i18n import lazy_gettext as _l

MAX_BACKUPS = 5
PAPER_RECEIPT_MAX_AGE_DAYS = 30


class ComplexForm(PortalSubForm):
    """One hardware-software complex: where it is, and its two dedicated channels."""

    settlement = StringField(_l("Settlement"), validators=[max_length(200)])
    address = StringField(_l("Address"), validators=[max_length(500)])
    provider_1 = StringField(_l("Communication provider of the first channel"), validators=[max_length(200)])
    provider_2 = StringField(_l("Communication provider of the second channel"), validators=[max_length(200)])


class ApplicationForm(PortalForm):
    """Every field of Appendix 1 and what the mandatory conditions of п.4 are judged on."""

    kind = RadioField(_l("What do you apply for"), choices=[
        (ACCREDITATION, _l("Accreditation of a digital mining pool")),
        (REISSUE, _l("Re-issuance of the accreditation certificate")),
    ], default=ACCREDITATION, validators=[Required()])
    legal_name = StringField(_l("Full name of the legal entity"), validators=[max_length(300)])
    bin = StringField(_l("BIN"), validators=[bin_check])
    legal_address = StringField(_l("Legal address"), validators=[max_length(500)])
    pool_name = StringField(_l("Name of the digital mining pool"), validators=[max_length(300)])
    main = FormField(ComplexForm, label=_l("Main hardware-software complex"))
    backups = FieldList(FormField(ComplexForm), label=_l("Backup hardware-software complexes"),
                        min_entries=1, max_entries=MAX_BACKUPS)
    support_24_7 = BooleanField(_l("The pool's information system has 24/7 technical support and client requests"))
    ui_languages = MultiCheckboxField(_l("Languages of the pool's user interface"), choices=[
        ("kk", _l("Kazakh")), ("ru", _l("Russian")), ("en", _l("English"))])
    security_act_number = StringField(_l("Number of the information-security test act"),
                                      validators=[max_length(100)])
    security_act_date = LocalDateField(_l("Date of the information-security test act"), validators=[Optional()])
    state_service_integration = BooleanField(
        _l("The pool is integrated with the state service for control of access to personal data"))
    consent_secrets = BooleanField(
        _l("I consent to the use of information constituting secrets protected by law contained in information systems"))
    consent_personal_data = BooleanField(
        _l("I consent to the collection and processing of personal data under the Law on personal data and their protection"))
    reissue_certificate_number = StringField(_l("Number of the certificate to re-issue"), validators=[max_length(64)])
    reissue_reason = TextAreaField(_l("Reason for re-issuance"), validators=[max_length(2000)])

    save = SubmitField(_l("Save draft"))
    add_backup = SubmitField(_l("Add a backup complex"))
    next = SubmitField(_l("Save and continue to documents"))

    # The BIN the draft is filed under (its organisation's); set by the view that edits a draft.
    organization_bin: str | None = None

    def validate_bin(self, field):
        typed = (field.data or "").strip()
        if self.organization_bin and typed and typed != self.organization_bin:
            raise ValidationError(_l("The application is filed in the name of the organisation with BIN %(bin)s: "
                                     "the BIN cannot be changed here.", bin=self.organization_bin))

    def validate_complete(self) -> bool:
        """The fields Appendix 1 cannot do without; checked when the applicant moves on."""
        required = [self.legal_name, self.bin, self.main.form.settlement, self.main.form.address]
        if self.kind.data == REISSUE:
            required.append(self.reissue_certificate_number)
        for field in required:
            if not (field.data or "").strip() and not field.errors:
                field.errors = [*field.errors, _l("This field is required.")]
        return not self.errors


class PaperIntakeForm(PortalForm):
    """A clerk opens a paper submission received at the chancellery; the rest is the usual form."""

    kind = ApplicationForm.kind
    bin = StringField(_l("BIN"), validators=[Required(), bin_check])
    legal_name = StringField(_l("Full name of the legal entity"), validators=[Required(), max_length(300)])
    received_at = LocalDateTimeField(_l("Received at the chancellery (date and time, Almaty)"),
                                     validators=[Required()])

    def validate_received_at(self, field):
        if field.data and field.data > now_utc():
            raise ValidationError(_l("The moment of receipt cannot be in the future."))
        # The chancellery registers a paper submission in the day of its receipt (п.7): a moment weeks back
        # would register a case whose terms all ran out long ago (or before the Rules were in force).
        if field.data and field.data < now_utc() - timedelta(days=PAPER_RECEIPT_MAX_AGE_DAYS):
            raise ValidationError(_l("A paper submission is registered when it is received: the moment of receipt "
                                     "can be at most %(days)d days ago.", days=PAPER_RECEIPT_MAX_AGE_DAYS))


class DocumentUploadForm(PortalForm):
    """One file for one item of the Appendix 2 item 8 list."""

    code = StringField(validators=[Required(), max_length(64)])
    expires_on = LocalDateField(_l("Valid until (if the document has an expiry date)"), validators=[Optional()])


class SubmitApplicationForm(PortalForm):
    """The explicit, separate act of submitting."""

    confirm_incomplete = BooleanField(
        _l("I understand that an incomplete package gets a motivated refusal of further consideration (п.7), "
           "and I submit it as it is"))
    submit = SubmitField(_l("Submit the application"))


class QueueFilterForm(PortalForm):
    """The filters of the staff queue (a GET form: bookmarkable, no CSRF needed)."""

    stage = SelectField(_l("Stage"), choices=[
        ("", _l("All stages")), ("registered", _l("Registered: completeness to check")),
        ("under_review", _l("Under review")), ("grounds_found", _l("Grounds for refusal found")),
        ("awaiting_decision", _l("No grounds found: decision being prepared")),
        ("preliminary_refusal", _l("Preliminary decision to refuse: hearing")),
        ("hearing_held", STATUSES["hearing_held"]),
        ("decision_drafted", _l("Decision drafted: awaiting signature")),
        ("certificate_issued", _l("Certificate issued")), ("refused", _l("Refused")),
        ("incomplete_refused", _l("Refused further consideration: incomplete package"))], default="")
    kind = SelectField(_l("Kind"), choices=[("", _l("All kinds")), *KINDS.items()], default="")
    deadline = SelectField(_l("Deadlines"), choices=[
        ("", _l("Any")), ("missed", _l("Missed")), ("near", _l("One working day left")),
        ("on_track", _l("On track"))], default="")
