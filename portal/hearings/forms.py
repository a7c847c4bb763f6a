"""Forms of the notice, the applicant's answer and the hearing's record."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField

from portal.core.forms import LocalDateTimeField, Required, WholeNumberField, max_length
from portal.core.i18n import lazy_gettext as _l
from portal.hearings.models import IN_PERSON, VIDEO, WRITTEN


class NoticeForm(FlaskForm):
    """The preliminary decision to refuse and how the hearing is held."""

    version = HiddenField()
    method = RadioField(_l("How the hearing is held"), choices=[
        (IN_PERSON, _l("In person, at an address")), (VIDEO, _l("By video link")),
        (WRITTEN, _l("In writing"))], validators=[Required()])
    place = StringField(_l("Address, video link, or where the written position is sent"),
                        validators=[Required(), max_length(500)])


class BookSlotForm(FlaskForm):
    """The applicant's choice of an offered slot."""

    slot = WholeNumberField(validators=[Required()])


class PositionForm(FlaskForm):
    """The applicant's position on the preliminary decision."""

    position = TextAreaField(_l("Your position on the preliminary decision"), validators=[Required(), max_length(10000)])


class HearingRecordForm(FlaskForm):
    """The minutes of the hearing."""

    version = HiddenField()
    held_at = LocalDateTimeField(_l("Date and time of the hearing"), validators=[Required()])
    attended = BooleanField(_l("The applicant took part"))
    participants = TextAreaField(_l("Who took part"), validators=[max_length(2000)])
    arguments = TextAreaField(_l("The applicant's arguments"), validators=[max_length(10000)])
    examined = TextAreaField(_l("What was examined"), validators=[max_length(10000)])
    outcome = RadioField(_l("Outcome"), choices=[
        ("refusal_upheld", _l("The grounds for refusal are confirmed")),
        ("refusal_withdrawn", _l("The grounds for refusal are withdrawn"))], validators=[Required()])
