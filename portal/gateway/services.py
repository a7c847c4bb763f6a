"""Choosing the gateway client and keeping its answers with the case."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app
from werkzeug.utils import import_string

from portal.core.clock import now_utc
from portal.events import services as events
from portal.extensions import db
from portal.gateway.base import StateGateway
from portal.gateway.models import StateFacts


def gateway() -> StateGateway:
    """STATE_GATEWAY names a class (dotted path); the development one by default."""
    return import_string(current_app.config["STATE_GATEWAY"])()


def fetch_state_facts(application, actor) -> StateFacts:
    """Ask the state systems and store the answer: the clerk never retypes what they return."""
    answer = gateway().fetch(application.bin, application.security_act_number)
    row = StateFacts(application_id=application.id, source=answer.source, is_development=answer.is_development,
                     data=asdict(answer), fetched_at=now_utc(), fetched_by_id=actor.id)
    db.session.add(row)
    events.record(application, "state_facts.fetched", actor=actor, source=answer.source)
    return row


def latest_state_facts(application) -> StateFacts | None:
    return db.session.scalar(db.select(StateFacts).filter_by(application_id=application.id)
                             .order_by(StateFacts.fetched_at.desc(), StateFacts.id.desc()).limit(1))
