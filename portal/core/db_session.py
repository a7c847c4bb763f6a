"""The end of a request's database session, when the database went away under it."""
from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError

from portal.extensions import db

log = logging.getLogger(__name__)


def end_session(_exc=None) -> None:
    """Close the request's session; if the database was stopped meanwhile, drop the dead connection quietly.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first. Without it, a request answered just as
    PostgreSQL shuts down fails in the teardown's ROLLBACK, and the answer already made becomes a 500.
    """
    try:
        db.session.remove()
    except DBAPIError as exc:
        log.warning("the database connection ended under the request: %s", exc.__class__.__name__)
        try:
            db.session.registry().invalidate()  # the connection is dead: discard it without a ROLLBACK
        except DBAPIError:
            pass
        db.session.registry.clear()
