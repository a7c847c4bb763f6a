"""The hearing invitation as iCalendar: one stable UID per case, SEQUENCE grows, CANCEL when waived."""
from __future__ import annotations

from icalendar import Calendar, Event

from portal.core.clock import now_utc


def invitation(application, refusal, slot, summary: str, description: str) -> bytes:
    """REQUEST for a booked slot; CANCEL when the hearing was waived or no slot is held."""
    calendar = Calendar()
    calendar.add("prodid", "-//Tyndau//hearing//KK")
    calendar.add("version", "2.0")
    cancelled = slot is None or refusal.waived_at is not None
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    # One UID for the case's hearing: a calendar replaces the old time on reschedule.
    event.add("uid", f"hearing-{application.id}@tyndau")
    event.add("sequence", refusal.invitation_sequence)
    event.add("dtstamp", now_utc())
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", refusal.place)
    if slot is not None:
        event.add("dtstart", slot.starts_at)
        event.add("dtend", slot.ends_at)
    else:
        event.add("dtstart", refusal.sent_at)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
