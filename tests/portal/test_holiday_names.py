"""Holiday names in the reader's language (issue 16 item 8): never the package's English on a kk or ru page."""
from __future__ import annotations

import re
from datetime import date

import holidays
import pytest

from portal.deadlines.holiday_names import NAMES, holiday_name, translated

YEARS = range(2020, 2032)
SUFFIXES = (" (observed)", " (estimated)")


def english_names() -> set[str]:
    return {name for year in YEARS for name in holidays.country_holidays("KZ", years=year, language="en_US").values()}


def test_every_name_the_package_gives_is_a_string_the_catalog_translates():
    unknown = set()
    for name in english_names():
        if name.startswith("Day off (substituted from "):
            continue
        base = name
        for suffix in SUFFIXES:
            base = base.removesuffix(suffix)
        if base not in NAMES:
            unknown.add(name)
    assert not unknown, f"add these to portal/deadlines/holiday_names.py NAMES: {sorted(unknown)}"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_day_off_moved_by_decree_has_its_date_as_the_portal_writes_dates(app, lang):
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert "05.01.2025" in translated("Day off (substituted from 01/05/2025)")
        assert "01/05/2025" not in holiday_name(date(2025, 1, 3), lang)
        assert holiday_name(date(2025, 3, 24), lang).endswith(")")  # Nowruz, observed: the suffix kept apart
        assert holiday_name(date(2026, 3, 4), lang) is None


def test_a_kazakh_page_takes_the_packages_own_kazakh_names(app):
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        assert holiday_name(date(2026, 3, 22), "kk") == "Наурыз мейрамы"
        observed = "Жеңіс күні (қайта белгіленген демалыс)"
        assert holiday_name(date(2026, 5, 11), "kk") == observed
        moved = holiday_name(date(2025, 1, 3), "kk")
        assert re.search(r"05\.01\.2025", moved) and not re.search(r"[A-Za-z]", moved)


def test_in_english_the_names_read_as_the_package_gives_them(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert holiday_name(date(2026, 3, 23), "en") == "Nowruz Holiday"
        assert holiday_name(date(2026, 5, 11), "en") == "Victory Day (observed)"
        assert holiday_name(date(2026, 5, 27), "en") == "Eid al-Adha (estimated)"
