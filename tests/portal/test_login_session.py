"""Who is signed in, through Flask-Login: the session keeps "<id>:<session_epoch>", nothing else lets one in.

The expiry and the revocation as people meet them are in test_session_expiry.py and
test_security_findings_accounts.py; this file pins what Flask-Login is set up to do and not to do.
"""
from __future__ import annotations

from flask import g
from flask_login import current_user
from flask_login.utils import encode_cookie

from portal.accounts.models import User
from portal.extensions import db


def _person(app, username: str) -> tuple[int, int]:
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        return user.id, user.session_epoch


def test_the_session_names_the_person_by_id_and_session_epoch(app, client, auth):
    auth.login("applicant")
    user_id, epoch = _person(app, "applicant")
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user_id}:{epoch}"
    with client:
        assert client.get("/cabinet").status_code == 200
        assert g.user is current_user._get_current_object() and g.user.username == "applicant"


def test_the_log_in_starts_a_new_session(app, client, auth):
    with client.session_transaction() as session:
        session["planted"] = "by whoever handed this browser its cookie"
    auth.login("applicant")
    with client.session_transaction() as session:
        assert "planted" not in session and {"since", "seen", "_user_id"} <= set(session)


def test_no_remember_me_cookie_is_set_or_read(app, client, auth):
    response = auth.login("applicant")
    assert [cookie.split("=")[0] for cookie in response.headers.getlist("Set-Cookie")] == ["session"]
    user_id, epoch = _person(app, "applicant")
    with app.test_request_context():
        remembered = encode_cookie(f"{user_id}:{epoch}")  # what Flask-Login would have set, signed with our key
    stranger = app.test_client()
    stranger.set_cookie("remember_token", remembered)
    assert stranger.get("/cabinet").status_code == 302


def test_a_session_of_an_earlier_epoch_names_no_one_and_is_forgotten(app, client):
    user_id, epoch = _person(app, "clerk")
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{epoch}"
    assert client.get("/staff/cases").status_code == 200  # the current epoch: signed in
    for stale in (f"{user_id}:{epoch - 1}", f"{user_id}:{epoch + 1}", str(user_id), f"{user_id}:x"):
        with client.session_transaction() as session:
            session["_user_id"] = stale
        response = client.get("/staff/cases")
        assert response.status_code == 302 and response.headers["Location"] == "/login?next=/staff/cases", stale
        with client.session_transaction() as session:
            assert "_user_id" not in session


def test_someone_not_signed_in_is_sent_to_the_log_in_and_back(client, auth):
    response = client.get("/cabinet?tab=1")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/cabinet?tab%3D1"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please log in to access this page." not in page  # Flask-Login's own message is not used
    assert 'class="who"' not in page  # templates: current_user is None when no one is signed in
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    signed_in = client.post("/login?next=/cabinet?tab%3D1", data={
        "username": "applicant", "password": "demo-applicant", "csrf_token": token.split('"')[0]})
    assert signed_in.headers["Location"] == "/cabinet?tab=1"
    assert 'class="who"' in client.get("/cabinet").get_data(as_text=True)
