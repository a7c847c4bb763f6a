"""Sessions end after SESSION_IDLE_MINUTES without activity, and PERMANENT_SESSION_LIFETIME after the log-in.

Time is moved with the portal's one clock (the `clock` fixture of tests/conftest.py); nothing sleeps.
"""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import csrf_token


def test_an_idle_session_ends_with_a_message_and_the_way_back(app, client, auth, clock):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    auth.login("applicant")
    clock.advance(minutes=29)
    assert client.get("/cabinet").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/cabinet?tab=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cabinet?tab%3D1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has expired. Please sign in again." in page
    assert client.get("/cabinet").status_code == 302  # still signed out: the session is gone


def test_activity_keeps_the_session_alive(app, client, auth, clock):
    auth.login("clerk")
    for _ in range(10):  # five hours of work, a request every half hour
        clock.advance(minutes=29)
        assert client.get("/staff/cases").status_code == 200


def test_the_session_ends_at_its_lifetime_however_active(app, client, auth, clock):
    assert app.permanent_session_lifetime == timedelta(hours=8)
    auth.login("clerk")
    for _ in range(16):  # 8 hours of activity, a request every 29 minutes is not enough to outlive it
        clock.advance(minutes=29)
        client.get("/staff/cases")
    clock.advance(minutes=20)  # 8 h 4 min after the log-in
    response = client.get("/staff/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_idle_time_is_a_setting(app, client, auth, clock):
    app.config["SESSION_IDLE_MINUTES"] = 5
    auth.login("applicant")
    clock.advance(minutes=6)
    assert client.get("/cabinet").status_code == 302


def test_the_status_poll_does_not_keep_the_session_alive(app, client, auth, clock):
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        case_id = db.session.scalar(db.select(Application.id).filter_by(status="registered"))
    auth.login("applicant")
    poll = {"HX-Request": "true", "HX-Trigger": "case-status",
            "HX-Current-URL": f"http://localhost/applications/{case_id}"}
    for _ in range(2):
        clock.advance(minutes=12)
        assert client.get(f"/applications/{case_id}", headers=poll).status_code == 200
    clock.advance(minutes=12)
    # 36 minutes of polling only: the session has been idle too long; htmx is told to load the log-in page.
    response = client.get(f"/applications/{case_id}", headers=poll)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/login?next=/applications/{case_id}"
    assert client.get("/cabinet").status_code == 302


def test_a_form_posted_after_expiry_changes_nothing_and_asks_to_sign_in(app, client, auth, clock):
    from portal.applications.models import Application
    from portal.extensions import db

    auth.login("applicant")
    token = csrf_token(client, "/cabinet")
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Application.id)))
    clock.advance(hours=1)
    response = client.post("/applications/new", data={"kind": "accreditation", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Application.id))) == before


def test_signing_in_again_starts_a_new_session(app, client, auth, clock):
    auth.login("applicant")
    clock.advance(hours=9)
    assert client.get("/cabinet").status_code == 302
    assert auth.login("applicant").status_code == 302
    assert client.get("/cabinet").status_code == 200


def test_the_expiry_message_is_in_the_readers_language(app, client, auth, clock):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    auth.login("applicant")
    clock.advance(hours=1)
    page = client.get("/cabinet", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="ru">' in page and 'class="notice notice-info"' in page


def test_anonymous_visitors_are_not_affected(client, clock):
    clock.advance(days=3)
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200


def test_the_cookie_is_sent_again_only_when_the_activity_mark_moves(app, client, auth, clock):
    """Most requests leave the session as it was and send no cookie; the mark moves once a minute."""
    auth.login("clerk")
    client.get("/staff/cases")  # the first page shows the log-in's message and keeps a CSRF token: a change
    clock.advance(seconds=5)
    assert "Set-Cookie" not in client.get("/staff/cases").headers
    clock.advance(seconds=30)
    assert "Set-Cookie" not in client.get("/staff/cases").headers
    clock.advance(seconds=30)  # 65 s after the log-in's mark
    assert "session=" in client.get("/staff/cases").headers.get("Set-Cookie", "")
    # The idle limit counts from that mark: 30 minutes later the session has ended.
    clock.advance(minutes=30, seconds=1)
    assert client.get("/staff/cases").status_code == 302
