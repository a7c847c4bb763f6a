"""Log-in and session findings: `next=` with control characters, cookies after the log-out, EDS challenges."""
from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.extensions import db
from portal.signatures.models import LoginChallenge
from tests.conftest import Auth, csrf_token

# A line end was a 500 (the Location header cannot carry it); the rest went out percent-encoded.
UNSAFE_NEXT = ["/%0a", "/cabinet%0d%0aX-Evil:%201", "/%5cevil.example", "/%5c%5cevil.example", "/cabinet%00",
               "/cabinet%7f", "/%1b"]


# --- next= -----------------------------------------------------------------------------------

@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_the_language_switcher_goes_home_for_an_unsafe_next(client, target):
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "X-Evil" not in response.headers


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_the_log_in_goes_to_the_home_page_for_an_unsafe_next(client, target):
    token = csrf_token(client, "/login")
    response = client.post(f"/login?next={target}",
                           data={"username": "applicant", "password": "demo-applicant", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/cabinet"
    assert "X-Evil" not in response.headers


def test_a_local_next_is_still_followed(client, auth):
    assert client.get("/language/ru?next=/register?q=pool").headers["Location"] == "/register?q=pool"
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/applications/new?kind=accreditation",
                           data={"username": "applicant", "password": "demo-applicant", "csrf_token": token})
    assert response.headers["Location"] == "/applications/new?kind=accreditation"


# --- the log-out revokes the session cookie -------------------------------------------------

def _browser(app):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def _with_cookie(app, cookie: str):
    browser = _browser(app)
    browser.set_cookie("session", cookie)
    return browser


def test_a_copied_session_cookie_no_longer_works_after_the_log_out(app, client, auth):
    auth.login("applicant")
    copied = client.get_cookie("session").value
    assert _with_cookie(app, copied).get("/cabinet").status_code == 200  # the copy works while signed in
    assert auth.logout().status_code == 302
    replayed = _with_cookie(app, copied)
    response = replayed.get("/cabinet")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert replayed.get("/").status_code == 200  # the front page of an anonymous visitor, not the cabinet
    assert client.get("/cabinet").status_code == 302


def test_the_log_out_ends_the_persons_other_sessions_and_no_one_elses(app, client, auth):
    other_device, colleague = _browser(app), _browser(app)
    Auth(other_device).login("applicant")
    Auth(colleague).login("clerk")
    auth.login("applicant")
    auth.logout()
    assert other_device.get("/cabinet").status_code == 302
    assert colleague.get("/staff/cases").status_code == 200


def test_signing_in_again_after_the_log_out_works(app, client, auth):
    auth.login("applicant")
    auth.logout()
    assert auth.login("applicant").status_code == 302
    assert client.get("/cabinet").status_code == 200


def test_a_new_password_ends_the_sessions_signed_in_with_the_old_one(app, client, auth):
    auth.login("applicant")
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="applicant"))
        user.set_password("a-new-password")
        db.session.commit()
    assert client.get("/cabinet").status_code == 302
    assert auth.login("applicant", "a-new-password").status_code == 302


def test_a_deactivated_person_is_signed_out_at_the_next_request(app, client, auth):
    auth.login("applicant")
    with app.app_context():
        db.session.execute(db.update(User).filter_by(username="applicant").values(active=False))
        db.session.commit()
    assert client.get("/cabinet").status_code == 302


# --- EDS log-in challenges --------------------------------------------------------------------

def _challenges(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(LoginChallenge.id)))


def test_visitors_without_a_cookie_cannot_fill_the_challenge_table(app, client, auth):
    assert app.config["LOGIN_ADDRESS_RATE_LIMIT"].startswith("30 per minute")
    before = _challenges(app)
    statuses = [app.test_client(use_cookies=False).get("/login/eds/challenge.xml").status_code for _ in range(40)]
    assert statuses == [200] * 30 + [429] * 10
    assert _challenges(app) - before == 30
    page = app.test_client(use_cookies=False).get("/login/eds")  # the log-in page issues challenges too
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert _challenges(app) - before == 30
    other = app.test_client(use_cookies=False)
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert other.get("/login/eds/challenge.xml").status_code == 200  # each address has its own count
    assert auth.login("applicant").status_code == 302  # and the password log-in is not affected


def test_a_browser_is_shown_its_open_challenge_again_without_it_counting(app, client):
    before = _challenges(app)
    documents = {client.get("/login/eds/challenge.xml").data for _ in range(40)}
    assert client.get("/login/eds").status_code == 200
    assert len(documents) == 1 and _challenges(app) - before == 1
