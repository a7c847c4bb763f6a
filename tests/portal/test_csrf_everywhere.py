"""Every state-changing route of the URL map refuses a request without a valid CSRF token, and changes nothing.

The walk takes the routes from the URL map (as test_authorisation_matrix does), so a new form cannot be
forgotten. Each is posted as a signed-in person of a role the view allows, with a plausible form but
(a) no token, (b) a made-up token, (c) the token of another person's session, (d) a made-up token in
the header htmx uses. Every answer must be 400, and the database and the uploads folder unchanged.
"""
from __future__ import annotations

import re

import pytest

from portal.applications.models import Application
from portal.extensions import db
from tests.conftest import Auth, csrf_token
from tests.portal.support import snapshot

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Values for the URL's variables; a new variable must be added here (the test says so).
ARGS = {"document_id": 1, "signature_id": 1, "decision_id": 1, "page": 0, "day": "2026-01-05", "code": "kk",
        "complaint_id": 1, "slot_id": 1, "notification_id": 1}
# A plausible body, so that only the missing token can be the reason for a refusal.
FORM = {"kind": "accreditation", "username": "applicant", "password": "demo-applicant", "legal_name": "X",
        "note": "x", "position": "x", "slot": "1", "decree": "x", "day": "05.01.2026", "method": "written",
        "place": "x", "outcome": "refusal_upheld", "held_at": "05.01.2026 10:00", "submit": "1", "text": "x"}


def _state_changing_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            yield method, rule


def _role_for(view) -> str | None:
    """Someone the view lets in: None (anonymous) for public views, else a person of an allowed role."""
    roles = getattr(view, "roles", "missing")
    assert roles != "missing", f"{view.__name__} declares no roles"
    if roles == "public":
        return None
    if roles is None or "applicant" in roles:
        return "applicant"
    return "clerk" if "clerk" in roles else sorted(roles)[0]


def _url(rule, case_ids: dict[str, int], role: str | None) -> str:
    path = rule.rule
    for name in rule.arguments:
        if name == "application_id":
            value = case_ids["draft" if role == "applicant" else "registered"]
        else:
            assert name in ARGS, f"add a value for <{name}> of {rule.rule} to ARGS"
            value = ARGS[name]
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app):
    with app.app_context():
        case_ids = {"draft": db.session.scalar(db.select(Application.id).filter_by(status="draft")),
                    "registered": db.session.scalar(db.select(Application.id).filter_by(status="registered"))}
    routes = list(_state_changing_routes(app))
    assert len(routes) >= 15 and ("POST", "/logout") in {(m, r.rule) for m, r in routes}

    clients = {}
    for role in {_role_for(app.view_functions[rule.endpoint]) for _, rule in routes}:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if role is not None:
            assert Auth(client).login(role).status_code == 302
        clients[role] = client
    stranger = app.test_client()
    foreign_token = csrf_token(stranger, "/login")  # valid, but for another session

    before = snapshot(app)
    accepted = []
    for method, rule in routes:
        role = _role_for(app.view_functions[rule.endpoint])
        client, url = clients[role], _url(rule, case_ids, role)
        attempts = {
            "no token": dict(data=FORM),
            "made-up token": dict(data={**FORM, "csrf_token": "IjE2YjY0ZTQ1ZjM0ZjQ.forged.token"}),
            "another session's token": dict(data={**FORM, "csrf_token": foreign_token}),
            "made-up header": dict(data=FORM, headers={"HX-Request": "true", "X-CSRFToken": "forged"}),
        }
        for name, kwargs in attempts.items():
            response = client.open(url, method=method, **kwargs)
            if response.status_code != 400:
                accepted.append((method, rule.rule, role, name, response.status_code))
            elif "The request could not be understood" not in response.get_data(as_text=True):
                accepted.append((method, rule.rule, role, name, "not the portal's 400 page"))
    assert accepted == []
    assert snapshot(app) == before

    # Nobody was signed out by a forged /logout either.
    for role, client in clients.items():
        if role is not None:
            assert client.get("/me").status_code == 302 and "/login" not in client.get("/me").headers["Location"]


@pytest.mark.parametrize("path", ["/login", "/login/eds", "/verify"])
def test_public_forms_need_the_token_too(client, path):
    response = client.post(path, data={"username": "applicant", "password": "demo-applicant", "signed_text": "<x/>"})
    assert response.status_code == 400
    assert client.get("/cabinet").status_code == 302  # not signed in
