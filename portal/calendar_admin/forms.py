"""The admin's form for a decree exception."""
from wtforms import RadioField, StringField

from portal.core.forms import LocalDateField, PortalForm, Required, max_length
from portal.core.i18n import lazy_gettext as _l


class ExceptionForm(PortalForm):
    """A day made working or a day off by a decree."""

    day = LocalDateField(_l("Date"), validators=[Required()])
    kind = RadioField(_l("The day becomes"), choices=[("dayoff", _l("a day off")), ("workday", _l("a working day"))],
                      default="dayoff", validators=[Required()])
    decree = StringField(_l("Decree (number, date, title)"), validators=[Required(), max_length(500)])
