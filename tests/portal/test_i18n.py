"""Three languages: the switcher, Accept-Language, <html lang>, and complete catalogs."""
from __future__ import annotations

import os

import pytest
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.mark.parametrize("code,word", [("kk", "Кіру"), ("ru", "Войти"), ("en", "Sign in")])
def test_the_switcher_sets_the_language_and_html_lang(client, code, word):
    response = client.get(f"/language/{code}?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert f'<html lang="{code}">' in page and word in page


def test_accept_language_is_the_default_and_kazakh_the_fallback(app):
    # A fresh client each time: Flask-Babel caches the locale per request context.
    assert '<html lang="ru">' in app.test_client().get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in app.test_client().get("/login", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert '<html lang="kk">' in app.test_client().get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_an_unknown_language_code_changes_nothing(app):
    client = app.test_client()
    client.get("/language/ru")
    client.get("/language/xx")
    assert '<html lang="ru">' in client.get("/login").get_data(as_text=True)


def test_dates_are_official_in_every_language(app):
    from datetime import date

    from portal.core.i18n import official_date

    for lang in ("kk", "ru", "en"):
        with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
            assert official_date(date(2026, 3, 9)) == "09.03.2026"


def test_official_dates_written_by_strftime_match_babel_in_every_language(app):
    """The filters skip Babel for speed; this keeps them equal to Babel's dd.MM.yyyy in Asia/Almaty."""
    from datetime import date, datetime, timedelta, timezone

    from flask_babel import format_date, format_datetime

    from portal.core.i18n import OFFICIAL_DATE, OFFICIAL_DATETIME, official_date, official_datetime

    moments = [datetime(2026, 12, 31, 18, 59, tzinfo=timezone.utc), datetime(2026, 12, 31, 19, 0, tzinfo=timezone.utc),
               datetime(2027, 3, 1, 4, 5), datetime(2026, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=5)))]
    for lang in ("kk", "ru", "en"):
        with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
            for moment in moments:
                assert official_datetime(moment) == format_datetime(moment, OFFICIAL_DATETIME)
                assert official_date(moment) == format_datetime(moment, OFFICIAL_DATE)
            assert official_date(date(2026, 1, 2)) == format_date(date(2026, 1, 2), OFFICIAL_DATE) == "02.01.2026"
            assert official_datetime(moments[1]) == "01.01.2027 00:00"  # 19:00 UTC is midnight in Almaty (UTC+5)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_catalog_is_complete(lang):
    path = os.path.join(ROOT, "portal", "translations", lang, "LC_MESSAGES", "messages.po")
    with open(path, "rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    assert len(catalog) > 100


def test_every_template_string_is_in_the_catalog():
    """Extract again and compare: a string added without translating fails here."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(os.path.join(ROOT, "babel.cfg")) as f:
        method_map, options_map = parse_mapping_cfg(f)
    from babel.messages.extract import DEFAULT_KEYWORDS

    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    extracted = {msg[2] if isinstance(msg[2], str) else msg[2][0]
                 for msg in extract_from_dir(ROOT, method_map, options_map, keywords=keywords)}
    with open(os.path.join(ROOT, "portal", "translations", "ru", "LC_MESSAGES", "messages.po"), "rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(extracted - known) == []


@pytest.mark.parametrize("lang,citation,expected", [
    ("kk", "п. 4 пп. 3)", "4-тармақтың 3) тармақшасы"),  # issue 14 item 14: no abbreviations
    ("ru", "Appendix 2 item 9 sub-item 5", "прил. 2 п. 9 пп. 5)"),
    ("kk", "п. 6; п. 7; Appendix 2 item 7", "6-тармақ; 7-тармақ; 2-қосымшаның 7-тармағы"),
    ("kk", "Appendix 2 item 9 sub-item 5", "2-қосымшаның 9-тармағының 5) тармақшасы"),
    ("en", "п. 12, second paragraph", "para. 12, second paragraph"),
    ("ru", "something else", "something else"),
])
def test_citations_of_the_rules_read_in_the_page_language(app, lang, citation, expected):
    from portal.core.i18n import cite

    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        assert cite(citation) == expected
