"""The one clock of the portal: UTC inside, Asia/Almaty for people and for the Rules."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def today_local() -> date:
    return now_utc().astimezone(ALMATY).date()


def parse_moment(text: str) -> datetime:
    """An ISO date-time; without an offset it is Asia/Almaty time. Raises ValueError."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ALMATY)
    return moment.astimezone(timezone.utc)
