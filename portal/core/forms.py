"""Form pieces shared by every module, with messages in our own catalogs (kk, ru, en)."""
from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import (DateField, Form, IntegerField, PasswordField, SelectMultipleField, StringField, ValidationError,
                     widgets)
from wtforms.validators import DataRequired, Length, StopValidation

from portal.core.clock import ALMATY
from portal.core.i18n import lazy_gettext as _l
from portal.core.xmltext import xml_text
from rules.identifiers import is_valid_identifier


# The largest id or number the database's INTEGER columns hold (PostgreSQL's int4).
MAX_INT = 2**31 - 1


def _xml_text_if_text(value):
    """A filter: text without the characters XML 1.0 cannot carry; anything else (None, a number) as it is."""
    return xml_text(value) if isinstance(value, str) else value


class XmlTextMeta:
    """Form options: every text field drops, as it reads its value, the characters XML 1.0 cannot carry.

    They are invisible when typed or pasted, and stored they would break every document written from
    them (portal.core.xmltext). Text fields are StringField and what extends it (TextAreaField,
    HiddenField, ...), also in a FieldList. A password is read as typed: it is only ever hashed and
    compared. A sub-form of a FormField is built from its own class, so it needs this Meta too
    (PortalSubForm); tests/portal/test_forms_base.py makes sure every form of the portal has it.
    """

    def bind_field(self, form, unbound_field, options):
        # Also called for each entry of a FieldList, with the entry's unbound field.
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
            options = dict(options, filters=[*unbound_field.kwargs.get("filters", ()), _xml_text_if_text])
        return super().bind_field(form, unbound_field, options)


class PortalForm(FlaskForm):
    """The base of every form posted to the portal: CSRF (flask-wtf) and text fit for XML."""

    Meta = XmlTextMeta


class PortalSubForm(Form):
    """The base of a form nested in another (FormField, FieldList): text fit for XML; CSRF is the outer form's."""

    Meta = XmlTextMeta


def bounded_int(text: str) -> int:
    """A whole number within ±MAX_INT; ValueError otherwise (for `request.args.get(..., type=bounded_int)`).

    int() alone lets through numbers no column can hold, and the database then fails with a 500.
    """
    value = int(text)
    if abs(value) > MAX_INT:
        raise ValueError(f"out of range: {text[:20]}")
    return value


class Required(DataRequired):
    """DataRequired with our translated message."""

    def __init__(self, message=None):
        super().__init__(message or _l("This field is required."))

    def __call__(self, form, field):
        if field.process_errors:
            # Something was typed but could not be read ("32.13.2026"): that message says what is wrong,
            # and DataRequired would replace it with "This field is required.".
            raise StopValidation()
        super().__call__(form, field)


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters.", max=n))


class LocalDateField(DateField):
    """A date typed as dd.mm.yyyy or picked as yyyy-mm-dd; nonsense gets a translated message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        for fmt in self.format:
            try:
                self.data = dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            if not dt.date(1990, 1, 1) <= self.data <= dt.date(2100, 12, 31):
                self.data = None
                raise ValueError(_l("Enter a real date."))
            return
        self.data = None
        raise ValueError(_l("Enter the date as dd.mm.yyyy."))


class LocalDateTimeField(DateField):
    """A moment typed as dd.mm.yyyy hh:mm (or picked as yyyy-mm-ddThh:mm), Almaty time; data is UTC."""

    FORMATS = ("%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M")
    # A text box, as the hint next to it says: DateField's <input type="date"> cannot hold the time,
    # so a browser sent only the day and the moment was refused as missing.
    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=list(self.FORMATS), **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.astimezone(ALMATY).strftime("%d.%m.%Y %H:%M") if self.data else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        for fmt in self.FORMATS:
            try:
                local = dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            if not 1990 <= local.year <= 2100:
                # Also keeps 01.01.0001 00:00 from overflowing on its way to UTC (a 500).
                raise ValueError(_l("Enter a real date."))
            self.data = local.replace(tzinfo=ALMATY).astimezone(dt.timezone.utc)
            return
        raise ValueError(_l("Enter the date and time as dd.mm.yyyy hh:mm."))


class WholeNumberField(IntegerField):
    """A whole number in ASCII digits that a column can hold ("٣", "1e309" and 10**30 are not)."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        digits = text[1:] if text[:1] == "-" else text
        if not (digits.isascii() and digits.isdigit()) or len(digits) > len(str(MAX_INT)) or abs(int(text)) > MAX_INT:
            raise ValueError(_l("Enter a whole number."))
        self.data = int(text)


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def bin_check(form, field) -> None:
    """A BIN: 12 digits with a valid control digit."""
    value = (field.data or "").strip()
    if not value:
        return
    if len(value) != 12 or not value.isascii() or not value.isdigit():  # "٢١٠…" are digits to isdigit()
        raise ValidationError(_l("A BIN has exactly 12 digits."))
    if not is_valid_identifier(value):
        raise ValidationError(_l("This BIN is not valid: its check digit does not match. Check for a typo."))
