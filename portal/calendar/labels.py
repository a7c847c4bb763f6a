"""Why a day is not counted in a term (rules/calendar.py's reasons), as a term's band of days says it."""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import register
from rules.calendar import AFTER_HOURS, DECREE, HOLIDAY, WEEKEND


def _with_detail(text, name):
    """The reason's detail (the holiday's name, the decree, the hour of receipt) fills the text's placeholder."""
    return lambda p: [(text, {name: p["detail"]})]


# `{{ day.reason|label("skipped_day", {"detail": day.detail}) }}`
SKIPPED_DAYS = {
    WEEKEND: _l("weekend"),
    HOLIDAY: _with_detail(_l("holiday: %(name)s"), "name"),
    DECREE: _with_detail(_l("day off by decree: %(decree)s"), "decree"),
    AFTER_HOURS: _with_detail(_l("received after working hours (%(time)s)"), "time"),
}

register("skipped_day", SKIPPED_DAYS)
