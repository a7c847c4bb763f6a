"""The period of the quality report: a GET form, so a report is a bookmarkable link."""
from __future__ import annotations

from datetime import date

from wtforms import ValidationError
from wtforms.validators import Optional
from wtforms.widgets import TextInput

from portal.core.forms import LocalDateField, PortalForm
from portal.core.i18n import lazy_gettext as _l


class PeriodDateField(LocalDateField):
    """A day typed as dd.mm.yyyy in a text box: the link of a report keeps that form (?date_from=01.01.2026)."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%d.%m.%Y") if self.data else ""


class PeriodForm(PortalForm):
    class Meta:
        csrf = False  # reading only

    date_from = PeriodDateField(_l("Start of the period"), validators=[Optional()])
    date_to = PeriodDateField(_l("End of the period"), validators=[Optional()])

    def validate_date_to(self, field):
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period cannot be before its start."))

    def period(self, today: date) -> tuple[date, date]:
        """The period asked for; by default the current year up to today."""
        date_from = self.date_from.data
        date_to = self.date_to.data or (max(today, date_from) if date_from else today)
        return date_from or date(date_to.year, 1, 1), date_to
