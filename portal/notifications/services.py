"""Enqueueing notifications in the caller's transaction, choosing recipients, and the cabinet's list.

A notification is a row per recipient in `outbox`, inserted in the same transaction as the
change it reports: a rolled-back change leaves no mail, a committed one cannot lose its mail.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context
from flask_babel import get_locale
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import load_only

from portal.accounts.models import APPLICANT, CLERK, SUPERVISOR, User
from portal.calendar.services import current_calendar
from portal.core.bulk import bulk_insert
from portal.core.clock import ALMATY, now_utc
from portal.events.models import Event
from portal.extensions import db
from portal.notifications.models import CANCELLED, FAILED, PENDING, SENT, OutboxMessage
from portal.notifications.rendering import subject
from rules.calendar import WORK_START

# Kinds whose reason may be gone by the time they are due: the worker checks them again before sending.
RECHECKED = ("hearing.reminder", "certificate.expiry_reminder")


def language() -> str:
    """The language of the request that causes the notification; Kazakh outside one (sweeper, worker)."""
    if has_request_context():
        code = str(get_locale() or "")
        if code in current_app.config["LANGUAGES"]:
            return code
    return "kk"


def notify(kind: str, topic: str, recipients, application=None, send_after: datetime | None = None,
           **context) -> int:
    """Enqueue `kind` for every recipient (User) with an e-mail, in the current transaction.

    `topic` names this notification ("hearing.reminder:12:3"); with the recipient's address it
    is the row's unique dedup key, so a retried request or a re-run sweep adds nothing.
    `context` must be JSON: what the templates need, read again at send time. Returns the rows added.
    """
    return notify_many([notice(kind, topic, recipients, application, send_after, **context)])


def notice(kind: str, topic: str, recipients, application=None, send_after: datetime | None = None,
           **context) -> dict:
    """One notification for notify_many(), given as to notify()."""
    return {"kind": kind, "topic": topic, "recipients": recipients, "application": application,
            "send_after": send_after, "context": context}


def notify_many(notices) -> int:
    """Enqueue many notifications (made by notice()) as notify() does each, in a few statements."""
    lang, now = language(), now_utc()
    rows = []
    for item in notices:
        moment = item["send_after"] or now
        application = item["application"]
        seen = set()
        for user in item["recipients"]:
            email = (user.email or "").strip()
            if not email or email.lower() in seen:
                continue
            seen.add(email.lower())
            rows.append({"recipient_email": email, "recipient_id": user.id, "kind": item["kind"], "language": lang,
                         "application_id": application.id if application is not None else None,
                         "topic": item["topic"], "dedup_key": f"{item['topic']}|{email.lower()}",
                         "context": item["context"], "subject": "", "body": "", "status": PENDING,
                         "created_at": now, "send_after": moment, "next_attempt_at": moment, "attempts": 0,
                         "last_error": ""})
    if not rows:
        return 0
    statement, parameters = bulk_insert(OutboxMessage.__table__, rows)
    # The rows returned are the ones added (a dedup key already there adds nothing).
    statement = statement.on_conflict_do_nothing(index_elements=["dedup_key"]).returning(OutboxMessage.id)
    return len(db.session.execute(statement, parameters).all())


def cancel_pending(application, kind: str, reason: str) -> int:
    """Cancel the case's pending messages of `kind` (a reminder of a time that no longer holds)."""
    return db.session.execute(
        update(OutboxMessage).where(OutboxMessage.application_id == application.id, OutboxMessage.kind == kind,
                                    OutboxMessage.status == PENDING)
        .values(status=CANCELLED, last_error=reason).execution_options(synchronize_session=False)
    ).rowcount


# --- recipients ------------------------------------------------------------------------------

def _active(*conditions) -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), *conditions).order_by(User.id)))


def people_with_role(role: str) -> list[User]:
    """Every active account of a staff role (the supervisors for complaints, the authority's officials)."""
    return _active(User.role == role)


def applicants_of(application) -> list[User]:
    """The applicant accounts of the case's organisation (a paper applicant without one gets none)."""
    return _active(User.role == APPLICANT, User.organization_id == application.organization_id)


def responsible_staff(application, escalate: bool) -> list[User]:
    """The clerk who acted last on the case (every clerk while none has), plus the supervisors if `escalate`."""
    return Recipients().responsible(application, escalate)


def last_clerks(application_ids) -> dict[int, User]:
    """For many cases in one query: the clerk who acted last on each (as responsible_staff() picks); none: absent."""
    ids = sorted(set(application_ids))
    if not ids:
        return {}
    rank = func.row_number().over(partition_by=Event.application_id, order_by=(Event.at.desc(), Event.id.desc()))
    ranked = (select(Event.application_id.label("application_id"), Event.actor_id.label("user_id"),
                     rank.label("rank"))
              .join(User, User.id == Event.actor_id)
              .where(Event.application_id.in_(ids), User.role == CLERK, User.active.is_(True))
              .subquery())
    rows = db.session.execute(select(ranked.c.application_id, User).join(User, User.id == ranked.c.user_id)
                              .where(ranked.c.rank == 1))
    return {application_id: user for application_id, user in rows}


class Recipients:
    """The recipients of many notifications, each looked up once: for a batch (the sweeper's), not longer.

    Gives what people_with_role() and responsible_staff() give; the accounts of a role are read at the
    first need, the cases' last clerks in one query for all the cases given to prefetch().
    """

    def __init__(self):
        self._roles: dict[str, list[User]] = {}
        self._last_clerk: dict[int, User | None] = {}

    def with_role(self, role: str) -> list[User]:
        if role not in self._roles:
            self._roles[role] = people_with_role(role)
        return self._roles[role]

    def prefetch(self, application_ids) -> None:
        missing = {a for a in application_ids if a not in self._last_clerk}
        if missing:
            found = last_clerks(missing)
            self._last_clerk.update({a: found.get(a) for a in missing})

    def responsible(self, application, escalate: bool) -> list[User]:
        self.prefetch([application.id])
        last_clerk = self._last_clerk[application.id]
        staff = [last_clerk] if last_clerk is not None else self.with_role(CLERK)
        return staff + (self.with_role(SUPERVISOR) if escalate else [])


# --- when ------------------------------------------------------------------------------------

def hearing_reminder_moment(starts_at: datetime, now: datetime) -> datetime | None:
    """The start of the working day before the hearing; if that has passed, the hearing day's morning; else none."""
    day = starts_at.astimezone(ALMATY).date()
    for candidate in (current_calendar().subtract_workdays(day, 1), day):
        moment = datetime.combine(candidate, WORK_START, tzinfo=ALMATY)
        if now < moment < starts_at:
            return moment
    return None


# --- the cabinet -----------------------------------------------------------------------------

def for_organization(organization_id: int, now: datetime, limit: int = 20) -> list[dict]:
    """What the organisation's people were told, newest first, each notification once, in the reader's language.

    Scheduled reminders appear once due, and re-checked kinds only once really sent;
    cancelled ones never. A mail that could not be delivered still shows here.
    """
    lang = language()
    return [{"at": m.sent_at or m.send_after, "subject": subject(m, lang), "status": m.status,
             "email": m.recipient_email, "application_id": m.application_id}
            for m in _latest_for(organization_id, now, limit)]


def _latest_for(organization_id: int, now: datetime, limit: int) -> list[OutboxMessage]:
    shown = or_(OutboxMessage.status.in_((SENT, FAILED)),
                and_(OutboxMessage.status == PENDING, OutboxMessage.send_after <= now,
                     OutboxMessage.kind.not_in(RECHECKED)))
    latest = (select(db.func.max(OutboxMessage.id)).join(User, User.id == OutboxMessage.recipient_id)
              .where(User.organization_id == organization_id, shown).group_by(OutboxMessage.topic))
    at = db.func.coalesce(OutboxMessage.sent_at, OutboxMessage.send_after)
    shown_columns = load_only(OutboxMessage.sent_at, OutboxMessage.send_after, OutboxMessage.kind,
                              OutboxMessage.context, OutboxMessage.language, OutboxMessage.status,
                              OutboxMessage.recipient_email, OutboxMessage.application_id)  # not the mail's text
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest)).options(shown_columns)
                                   .order_by(at.desc(), OutboxMessage.id.desc()).limit(limit)))
