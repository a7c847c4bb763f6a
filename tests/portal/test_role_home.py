"""Each role lands on its own work after signing in through the log-in form (issue 16, item 6)."""
from __future__ import annotations

import pytest

HOMES = {
    "applicant": "/cabinet",
    "clerk": "/staff/cases",
    "signatory": "/staff/decisions",
    "supervisor": "/staff/complaints",
    "authority": "/authority/complaints",
}


@pytest.mark.parametrize("username, home", sorted(HOMES.items()))
def test_each_role_lands_on_its_own_work(client, auth, username, home):
    response = auth.login(username)
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith(home)
    page = client.get(home)
    assert page.status_code == 200  # the role may open its first page


def test_the_admin_lands_on_the_working_day_calendar(app, client, auth):
    response = auth.login("admin")
    with app.test_request_context():
        from flask import url_for
        expected = url_for("calendar_admin.exceptions")
    assert response.headers["Location"].endswith(expected)
    assert client.get(expected).status_code == 200


@pytest.mark.parametrize("username, home", sorted(HOMES.items()))
def test_the_front_page_sends_a_signed_in_person_to_their_work(client, auth, username, home):
    auth.login(username)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].split("?")[0].endswith(home)


def test_a_next_page_still_wins_over_the_home(client, auth):
    response = client.post("/login?next=/staff/deadlines", data={})  # no token: just the page again
    assert response.status_code in (200, 400, 422)
    from tests.conftest import csrf_token
    token = csrf_token(client, "/login?next=/staff/deadlines")
    response = client.post("/login?next=/staff/deadlines",
                           data={"username": "supervisor", "password": "demo-supervisor", "csrf_token": token})
    assert response.headers["Location"].endswith("/staff/deadlines")
