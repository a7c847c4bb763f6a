"""Forms of the notice, the applicant's answer and the hearing's record."""
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField

from portal.core.forms import LocalDateTimeField, PortalForm, Required, WholeNumberField, max_length
from portal.core.i18n import lazy_gettext as _l
from portal.hearings.labels import METHODS as METHOD_LABELS, OUTCOMES as OUTCOME_LABELS
from portal.hearings.models import METHODS


class NoticeForm(PortalForm):
    """The preliminary decision to refuse and how the hearing is held."""

    version = HiddenField()
    method = RadioField(_l("How the hearing is held"), choices=[(m, METHOD_LABELS[m]) for m in METHODS],
                        validators=[Required()])
    place = StringField(_l("Address, video link, or where the written position is sent"),
                        validators=[Required(), max_length(500)])
    # п.9: the notice names the time. The choices are the lawful ones of a notice sent now (set by the view);
    # which of the two applies follows the method, so the service checks them and says what is missing.
    slot = SelectField(_l("Proposed time of the hearing (in person or by video)"), validate_choice=False,
                       description=_l("The applicant is booked for this time and may move it within the window."))
    written_by = SelectField(_l("Date by which the written position is awaited (in writing)"), validate_choice=False,
                             description=_l("Until the end of that working day, 18:30."))
    # п.10 broken: a notice after its last lawful moment goes out only with the reason (a breach, for the supervisor).
    late_reason = TextAreaField(_l("Reason the notice is sent late"), validators=[max_length(2000)])


class BookSlotForm(PortalForm):
    """The applicant's choice of an offered slot."""

    slot = WholeNumberField(validators=[Required()])


class PositionForm(PortalForm):
    """The applicant's position on the preliminary decision."""

    position = TextAreaField(_l("Your position on the preliminary decision"), validators=[Required(), max_length(10000)])


class HearingRecordForm(PortalForm):
    """The minutes of the hearing."""

    version = HiddenField()
    held_at = LocalDateTimeField(_l("Date and time of the hearing"), validators=[Required()])
    attended = BooleanField(_l("The applicant took part"))
    participants = TextAreaField(_l("Who took part"), validators=[max_length(2000)])
    arguments = TextAreaField(_l("The applicant's arguments"), validators=[max_length(10000)])
    examined = TextAreaField(_l("What was examined"), validators=[max_length(10000)])
    outcome = RadioField(_l("Outcome"), choices=list(OUTCOME_LABELS.items()), validators=[Required()])


class WaiveForm(PortalForm):
    """The applicant's waiver of the hearing: done only once confirmed on its own page (hearings/waive.html)."""

    confirm = HiddenField()
