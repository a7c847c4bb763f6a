"""The names of Kazakhstan's public holidays in the reader's language, for the days a term passes over.

The holidays package names them in Kazakh and English only. A Kazakh page takes the package's own Kazakh name;
every other language reads the English name through the portal's catalog: each name the package gives is a
translatable string here, "(observed)" and "(estimated)" are translated apart from the name, and a day off moved
by decree gets its date in the portal's dd.mm.yyyy (the package writes it the American way, 01/05/2025).
"""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import holidays

from portal.core.i18n import gettext as _
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import official_date

# Every name the package (holidays 0.109) gives Kazakhstan's days, 2020–2031; a test keeps the list complete.
NAMES = {
    "New Year's Day": _l("New Year's Day"),
    "Orthodox Christmas": _l("Orthodox Christmas"),
    "International Women's Day": _l("International Women's Day"),
    "Nowruz Holiday": _l("Nowruz Holiday"),
    "Kazakhstan's People Solidarity Holiday": _l("Kazakhstan's People Solidarity Holiday"),
    "Defender of the Fatherland Day": _l("Defender of the Fatherland Day"),
    "Victory Day": _l("Victory Day"),
    "Capital Day": _l("Capital Day"),
    "Eid al-Adha": _l("Eid al-Adha"),
    "Constitution Day": _l("Constitution Day"),
    "Republic Day": _l("Republic Day"),
    "Independence Day": _l("Independence Day"),
    "First President Day": _l("First President Day"),
}
_MOVED = re.compile(r"^Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)$")


def holiday_name(day: date, lang: str) -> str | None:
    """The name of the holiday (or day off the package knows was moved) on `day`, in `lang`; None on other days."""
    if lang == "kk":
        return _package("kk").get(day)
    english = _package("en_US").get(day)
    return None if english is None else translated(english)


def translated(english: str) -> str:
    """The package's English name in the current language (the English itself where the catalog has none)."""
    moved = _MOVED.match(english)
    if moved:
        month, day, year = (int(part) for part in moved.groups())
        return _("Day off (substituted from %(day)s)", day=official_date(date(year, month, day)))
    for suffix, template in ((" (observed)", _l("%(name)s (observed)")), (" (estimated)", _l("%(name)s (estimated)"))):
        if english.endswith(suffix):
            return str(template) % {"name": translated(english[:-len(suffix)])}
    known = NAMES.get(english)
    return str(known) if known is not None else english


@lru_cache(maxsize=2)
def _package(language: str):
    return holidays.country_holidays("KZ", language=language)
