"""Language choice and the locale-aware formatting used by every template."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app, request
from flask_babel import format_date, format_datetime, get_locale

LANG_COOKIE = "lang"
# Official documents write dates as dd.MM.yyyy in all three languages.
OFFICIAL_DATE = "dd.MM.yyyy"
OFFICIAL_DATETIME = "dd.MM.yyyy HH:mm"


def select_locale() -> str:
    """The switcher's cookie first, then the browser's Accept-Language, then Kazakh."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def official_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, OFFICIAL_DATE)  # converted to Asia/Almaty by Babel
    return format_date(value, OFFICIAL_DATE)


def official_datetime(value: datetime | None) -> str:
    return "" if value is None else format_datetime(value, OFFICIAL_DATETIME)


def localized(texts: dict | None) -> str:
    """Pick the current language from a {"kk": …, "ru": …, "en": …} dict of the Rules' texts."""
    if not texts:
        return ""
    lang = str(get_locale() or "kk")
    return texts.get(lang) or texts.get("ru") or next(iter(texts.values()))
