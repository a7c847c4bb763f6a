"""Forms of the complaint, the provider's steps and the authority's decision."""
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, ValidationError, RadioField, SelectField, StringField, TextAreaField

from portal.complaints.labels import OUTCOMES as OUTCOME_LABELS
from portal.complaints.models import AUTHORITY_OUTCOMES, PARTLY_SATISFIED, SATISFIED, TO_AUTHORITY, TO_PROVIDER
from portal.complaints.services import FULLY_SATISFIES_UNCONFIRMED, MAX_TEXT, REMEDY_DUE_MISSING, REMEDY_MISSING
from portal.core.forms import LocalDateField, PortalForm, Required, max_length
from portal.core.i18n import lazy_gettext as _l


class ComplaintForm(PortalForm):
    """What the complaint is about, to whom, what the applicant asks and why (п.16)."""

    submission_key = HiddenField()
    # The choices are the case's own decisions, actions and inactions; the view sets them.
    subject = RadioField(_l("What the complaint is about"), validators=[Required()], validate_choice=False)
    addressee = RadioField(_l("To whom"), choices=[
        (TO_PROVIDER, _l("The service provider, whose decision, action or inaction it is")),
        (TO_AUTHORITY, _l("The quality-control authority"))], validators=[Required()])
    demands = TextAreaField(_l("What you ask for"), validators=[Required(), max_length(MAX_TEXT)])
    arguments = TextAreaField(_l("Why: the facts and your arguments"), validators=[Required(), max_length(MAX_TEXT)])
    attachments = MultipleFileField(_l("Documents supporting the complaint (PDF, PNG or JPEG)"))
    allowed_subjects: tuple = ()  # the refs the view offered

    def validate_subject(self, field):
        if field.data not in self.allowed_subjects:
            raise ValidationError(_l("Choose what the complaint is about."))


class FavourableActForm(PortalForm):
    """п.17, APPK art. 91(4): the act that fully satisfies the complaint, confirmed as such by the supervisor."""

    version = HiddenField()
    act = TextAreaField(_l("The favourable act: its number, date and what it does"),
                        validators=[Required(), max_length(MAX_TEXT)])
    fully_satisfies = BooleanField(_l("I confirm that this act satisfies every demand of the complaint in full"))

    def validate_fully_satisfies(self, field):
        if not field.data:
            raise ValidationError(FULLY_SATISFIES_UNCONFIRMED)


class ForwardForm(PortalForm):
    """п.17: forward the complaint with the administrative case."""

    version = HiddenField()


class AuthorityDecisionForm(PortalForm):
    """п.19: the authority's decision, signed by its official with their own EDS."""

    version = HiddenField()
    outcome = RadioField(_l("Decision"), choices=[(o, OUTCOME_LABELS[o]) for o in AUTHORITY_OUTCOMES],
                         validators=[Required()])
    reasons = TextAreaField(_l("Reasons (for a complaint left without consideration: why)"),
                            validators=[Required(), max_length(MAX_TEXT)])
    remedy = TextAreaField(_l("What the provider must do"), validators=[max_length(MAX_TEXT)])
    remedy_due = LocalDateField(_l("By when"))

    def _remedy_needed(self) -> bool:
        return self.outcome.data in (SATISFIED, PARTLY_SATISFIED)

    def validate_remedy(self, field):
        if self._remedy_needed() and not (field.data or "").strip():
            raise ValidationError(REMEDY_MISSING)

    def validate_remedy_due(self, field):
        if self._remedy_needed() and field.data is None and not field.errors:
            raise ValidationError(REMEDY_DUE_MISSING)


class OrderCarriedOutForm(PortalForm):
    """The provider records that it carried out the authority's order, and what it did."""

    version = HiddenField()
    note = TextAreaField(_l("What was done to carry out the order"), validators=[Required(), max_length(MAX_TEXT)])


class ComplaintQueueForm(PortalForm):
    """Filters of a complaint queue (GET, no CSRF)."""

    state = SelectField(_l("Show"), choices=[
        ("open", _l("Open")), ("overdue", _l("Overdue")), ("decided", _l("Decided")), ("all", _l("All"))],
        default="open")
    number = StringField(_l("Complaint or case number"), validators=[max_length(40)])
