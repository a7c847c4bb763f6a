"""The training clock's banner: every page says when the portal's time is not the real time (development only)."""
from __future__ import annotations

from portal.core.clock import ZERO, now_utc, training_offset


def training_clock_context() -> dict:
    """`training_clock` for templates/base.html: None, or the shifted moment and how far it runs ahead."""
    shift = training_offset()
    if shift <= ZERO:  # the command only advances it
        return {"training_clock": None}
    minutes = int(abs(shift).total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return {"training_clock": {"now": now_utc(), "days": days, "hours": hours, "minutes": minutes}}
