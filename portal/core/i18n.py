"""Language choice and the locale-aware formatting used by every template."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import current_app, g, request
from flask_babel import format_decimal, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup

from portal.core.clock import ALMATY

LANG_COOKIE = "lang"
# Official documents write dates as dd.MM.yyyy (CLDR pattern) in all three languages, with Latin digits and
# in Asia/Almaty time (BABEL_DEFAULT_TIMEZONE); the same in every locale, so strftime writes them (a case page
# shows a few hundred dates and Babel's formatter was a tenth of its time). tests/portal/test_i18n.py checks
# that Babel gives the same text.
OFFICIAL_DATE = "dd.MM.yyyy"
OFFICIAL_DATETIME = "dd.MM.yyyy HH:mm"
_DATE, _DATETIME = "%d.%m.%Y", "%d.%m.%Y %H:%M"


def _almaty(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(ALMATY)


def select_locale() -> str:
    """The switcher's cookie first, then the browser's Accept-Language, then Kazakh."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def official_date(value: date | datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # an ISO date kept in JSON (the state systems' answers); anything else as it is
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return _almaty(value).strftime(_DATE)
    return value.strftime(_DATE)


def official_datetime(value: datetime | None) -> str:
    return "" if value is None else _almaty(value).strftime(_DATETIME)


def kilobytes(size: int | None) -> str:
    """A file's size in KB with one decimal, written as the reader's language writes numbers ("12,3" in kk and ru)."""
    return format_decimal((size or 0) / 1024, format="#,##0.0")


def localized(texts: dict | None) -> str:
    """Pick the current language from a {"kk": …, "ru": …, "en": …} dict of the Rules' texts."""
    if not texts:
        return ""
    lang = str(get_locale() or "kk")
    return texts.get(lang) or texts.get("ru") or next(iter(texts.values()))


# Citations of the Rules as rules/ writes them ("п. 4 пп. 3)", "Appendix 2 item 9 sub-item 5"),
# rendered in the reader's language; anything unrecognised is shown as written.
_CITE_PATTERNS = [
    (re.compile(r"^п\. (\d+) пп\. (\d+)\)$"),
     {"ru": "п. {0} пп. {1})", "kk": "{0}-тармақтың {1}) тармақшасы", "en": "para. {0}({1})"}),
    (re.compile(r"^п\. (\d+), second paragraph$"),
     {"ru": "п. {0}, часть вторая", "kk": "{0}-тармақтың екінші бөлігі", "en": "para. {0}, second paragraph"}),
    (re.compile(r"^п\. (\d+)$"), {"ru": "п. {0}", "kk": "{0}-тармақ", "en": "para. {0}"}),
    (re.compile(r"^Appendix (\d+) item (\d+) sub-item (\d+) \(second\)$"),
     {"ru": "прил. {0} п. {1} пп. {2}) (второй)", "kk": "{0}-қосымшаның {1}-тармағының {2}) тармақшасы (екінші)",
      "en": "Appendix {0} item {1} sub-item {2} (second)"}),
    (re.compile(r"^Appendix (\d+) item (\d+) sub-item (\d+)$"),
     {"ru": "прил. {0} п. {1} пп. {2})", "kk": "{0}-қосымшаның {1}-тармағының {2}) тармақшасы", "en": "Appendix {0} item {1} sub-item {2}"}),
    (re.compile(r"^Appendix (\d+) item (\d+)$"), {"ru": "прил. {0} п. {1}", "kk": "{0}-қосымшаның {1}-тармағы", "en": "Appendix {0} item {1}"}),
    (re.compile(r"^Appendix (\d+)$"), {"ru": "прил. {0}", "kk": "{0}-қосымша", "en": "Appendix {0}"}),
]


def cite(citation: str | None) -> str:
    """A citation of the Rules in the current language: "п. 4 пп. 3)" reads "4-тармақтың 3) тармақшасы" in Kazakh."""
    if not citation:
        return ""
    lang = str(get_locale() or "kk")
    parts = []
    for part in citation.split("; "):
        for pattern, forms in _CITE_PATTERNS:
            match = pattern.match(part.strip())
            if match:
                parts.append(forms.get(lang, forms["en"]).format(*match.groups()))
                break
        else:
            parts.append(part)
    return "; ".join(parts)


def current_translations():
    """Flask-Babel's get_translations() with the answer kept for the request's locale.

    A case page asks for a few hundred texts; each of Flask-Babel's own lookups walks its context
    three times. The kept answer is tied to the locale object, so force_locale (mails in the
    recipient's language) gets its own catalog and the page's comes back after it.
    """
    if not g:  # outside an application context Flask-Babel answers with no translation at all
        return get_translations()
    ctx = getattr(g, "_flask_babel", None)
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(ctx, "tyndau_translations", None)
    if kept is None or kept[0] is not locale:
        kept = ctx.tyndau_translations = (locale, get_translations())
    return kept[1]


# Flask-Babel's gettext and lazy_gettext with the same answers, through current_translations(): the
# labels of statuses, kinds and terms are lazy strings read dozens of times on every list.
def gettext(string: str, **variables) -> str:
    text = current_translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables) -> LazyString:
    return LazyString(gettext, string, **variables)


@pass_context
def _template_gettext(context, string: str, **variables):
    # Jinja's newstyle gettext, less the "% {}" it applies to every text without a placeholder
    # (the same result: a text with no "%" formats to itself).
    text = current_translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


def install_template_gettext(env) -> None:
    """The templates' _(), ngettext() and pgettext() through current_translations()."""
    env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    env.globals["gettext"] = env.globals["_"] = _template_gettext
