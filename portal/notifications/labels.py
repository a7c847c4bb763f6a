"""The subject of each kind of notification (templates/notifications/<kind>.txt is its body).

A subject is one line in the message's language; portal/notifications/rendering.py puts "[Tyndau NUMBER] " before
it. The params are the message's context (dates already typed back by rendering._typed); where the step is the
same, the words are the case timeline's.
"""
from __future__ import annotations

from portal.core.i18n import lazy_gettext as _l, official_date, official_datetime
from portal.core.labels import label, register
from portal.notifications.models import FAILED, PENDING, SENT


def _numbered(text, key):
    """A subject naming a number the context keeps under `key` (the decision's, the complaint's)."""
    return lambda c: [(text, {"number": c[key]})]


def _term(text):
    return lambda c: [(text, {"code": label(c["code"], "deadline")})]


SUBJECTS = {
    "application.accepted": _l("Application registered under number %(number)s"),
    "completeness.refused": _l("Motivated refusal of further consideration of the application"),
    "preliminary_refusal.sent": _l("Preliminary decision to refuse and hearing notice sent"),
    "hearing.booked": _l("Hearing time booked"),
    "hearing.rescheduled": _l("Hearing rescheduled"),
    # The body's sentence without its full stop: a subject is not a sentence.
    "hearing.cancelled": lambda c: [(str(_l("You have declined the hearing.")).strip("."), {})],
    "hearing.reminder": lambda c: [(_l("Reminder: your hearing is on %(when)s"),
                                    {"when": official_datetime(c["starts_at"] or None)})],
    "decision.issued": _numbered(_l("Final decision signed and issued: %(number)s"), "decision_number"),
    "certificate.expiry_reminder": lambda c: [(_l("Your accreditation certificate %(number)s is valid until %(day)s"),
                                               {"number": c["decision_number"],
                                                "day": official_date(c["valid_until"] or None)})],
    "deadline.warning": _term(_l("Warning: a deadline is one working day from breach (%(code)s)")),
    "deadline.missed": _term(_l("Deadline missed (%(code)s)")),
    "complaint.registered": _numbered(_l("Complaint registered under number %(number)s"), "complaint"),
    "complaint.received": _numbered(_l("New complaint %(number)s"), "complaint"),
    "complaint.forwarded": _numbered(_l("Complaint %(number)s forwarded to the quality-control authority"),
                                     "complaint"),
    "complaint.decided": _numbered(_l("Decision on complaint %(number)s"), "complaint"),
}

register("notification_subject", SUBJECTS)
# What became of a notification's e-mail, as the cabinet's list says it (its %(email)s the recipient's address).
# The list shows only these (services.for_organization): a cancelled mail is not shown.
OUTBOX_STATUSES = {
    SENT: _l("sent by e-mail to %(email)s"),
    FAILED: _l("the e-mail could not be delivered"),
    PENDING: _l("the e-mail is being sent"),
}

register("outbox_status", OUTBOX_STATUSES)
