"""The forms' fixed wording (rules/forms.py) for the templates, in the page's language, the case's data escaped."""
from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from markupsafe import Markup, escape

from portal.core.clock import today_local
from portal.core.i18n import official_datetime
from rules import forms


def _lang() -> str:
    return str(get_locale() or "kk")


def form_line(appendix: str, key: str, **values) -> Markup:
    """A line of Appendix 1, 3 or 4 as the Rules word it, its blanks filled with the (escaped) values."""
    # The form's text is trusted data; Markup.format escapes the case's values as they go in.
    template = forms.line(appendix, key, _lang(), **{k: "{" + k + "}" for k in values})
    return Markup(escape(template)).format(**values)


def form_date(appendix: str, day) -> str:
    """A date written as the form's blank asks (the form's own pattern and month names)."""
    return "" if day is None else forms.date(appendix, day, _lang())


def iso_moment(value) -> str:
    """A moment kept as ISO text in a decision's content, as official documents print it."""

    try:
        return official_datetime(datetime.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)


def form_today():
    """The day of filling in a form (Almaty)."""
    return today_local()


def register(app_or_bp) -> None:
    app_or_bp.add_app_template_global(form_today, "form_today")
    app_or_bp.add_app_template_global(iso_moment, "iso_moment")
    app_or_bp.add_app_template_global(form_line, "form_line")
    app_or_bp.add_app_template_global(form_date, "form_date")
