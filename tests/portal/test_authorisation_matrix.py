"""Every route of the URL map, as every role and as an anonymous visitor, against what the view declares.

A view declares `roles`: "public", None (any signed-in person) or the set of roles allowed
(portal/core/permissions.py). A new route is walked automatically, so none can be forgotten.
"""
from __future__ import annotations

import re

import pytest

from portal.applications.models import Application
from portal.extensions import db
from tests.conftest import Auth, csrf_token

ROLES = ("applicant", "clerk", "signatory", "supervisor", "authority", "admin")
ARGS = {"document_id": 1, "signature_id": 1, "deadline_id": 1, "decision_id": 1, "complaint_id": 1, "page": 0, "day": "2026-01-05", "code": "kk",
        "filename": "css/portal.css"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) == ("POST", "/logout"):
                continue  # would end the session the walk runs in; tested in test_access
            yield method, rule


def _url(rule, case_id: int) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = case_id if name == "application_id" else ARGS[name]
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_every_route_answers_each_role_as_declared(app, client, who):
    with app.app_context():
        case_id = db.session.scalar(db.select(Application.id).filter_by(status="registered"))
    if who != "anonymous":
        Auth(client).login(who)
    token = csrf_token(client, "/login")
    wrong = []
    for method, rule in _routes(app):
        declared = getattr(app.view_functions[rule.endpoint], "roles", "missing")
        response = client.open(_url(rule, case_id), method=method,
                               data={"csrf_token": token} if method == "POST" else None)
        status, location = response.status_code, response.headers.get("Location", "")
        if declared == "missing":
            wrong.append((method, rule.rule, "declares no roles"))
        elif declared == "public":
            if status in (401, 403):
                wrong.append((method, rule.rule, status))
        elif who == "anonymous":
            if not (status == 302 and "/login" in location):
                wrong.append((method, rule.rule, status, "anonymous must be sent to log in"))
        elif declared is not None and who not in declared:
            if status != 403:
                wrong.append((method, rule.rule, status, f"{who} must get 403"))
        elif status == 403 or (status == 302 and "/login" in location):
            wrong.append((method, rule.rule, status, f"{who} is allowed"))
    assert wrong == []
