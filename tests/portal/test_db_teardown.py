"""A request answered just as the database stops keeps its answer: the teardown's failed ROLLBACK is not a 500."""
from __future__ import annotations

from sqlalchemy.exc import OperationalError

from sqlalchemy.orm import Session


def test_a_dead_connection_at_teardown_does_not_turn_the_answer_into_a_500(app, client, monkeypatch):
    real_close = Session.close
    calls = {"failed": 0}

    def close_on_a_stopped_server(session):
        if not calls["failed"]:
            calls["failed"] += 1
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        return real_close(session)

    monkeypatch.setattr(Session, "close", close_on_a_stopped_server)
    answer = client.get("/register")
    assert calls["failed"] == 1, "the teardown did not close the session"
    assert answer.status_code == 200
    monkeypatch.undo()
    assert client.get("/register").status_code == 200  # the next request gets a working session
