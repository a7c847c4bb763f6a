"""Nobody sees what is not theirs: every case URL answers 404 to another organisation."""
from __future__ import annotations

import pytest

from portal.applications.models import Application
from portal.extensions import db
from tests.conftest import csrf_token


def _demo_case(app, status="registered") -> tuple[int, int]:
    with app.app_context():
        application = db.session.scalar(db.select(Application).filter_by(status=status))
        document_id = application.documents[0].id if application.documents else 0
        return application.id, document_id


def case_urls(application_id: int, document_id: int) -> list[tuple[str, str]]:
    """Every URL that takes a case id, with its method. A new one must be added here (see the inventory test)."""
    base = f"/applications/{application_id}"
    return [
        ("GET", base), ("GET", f"{base}/edit"), ("POST", f"{base}/edit"),
        ("GET", f"{base}/documents"), ("POST", f"{base}/documents"),
        ("GET", f"{base}/documents/{document_id}"), ("POST", f"{base}/documents/{document_id}/delete"),
        ("GET", f"{base}/documents/{document_id}/preview/0"),
        ("GET", f"{base}/submit"), ("POST", f"{base}/submit"),
        ("GET", f"{base}/application.xml"), ("GET", f"{base}/hearing"), ("GET", f"{base}/hearing.ics"),
        ("POST", f"{base}/hearing/book"), ("POST", f"{base}/hearing/waive"), ("POST", f"{base}/hearing/position"),
        ("POST", f"{base}/hearing/documents"),
        ("GET", f"{base}/signatures/1/report.json"), ("GET", f"{base}/signatures/1/document.xml"),
        ("GET", f"{base}/decision"), ("GET", f"{base}/decision.xml"), ("GET", f"{base}/decision.pdf"),
        ("GET", f"{base}/complaints/new"), ("POST", f"{base}/complaints/new"), ("POST", f"{base}/complaints/new.xml"),
    ]


@pytest.mark.parametrize("status", ["registered", "draft"])
def test_another_organisations_applicant_gets_404_on_every_case_url(app, client, auth, status):
    application_id, document_id = _demo_case(app, status)
    auth.login("applicant2")
    token = csrf_token(client, "/cabinet")
    for method, url in case_urls(application_id, document_id):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, url, response.status_code)


def test_the_owner_sees_its_case(app, client, auth):
    application_id, _ = _demo_case(app)
    auth.login("applicant")
    assert client.get(f"/applications/{application_id}").status_code == 200


def test_staff_do_not_see_an_applicants_draft(app, client, auth):
    application_id, _ = _demo_case(app, "draft")
    auth.login("clerk")
    assert client.get(f"/applications/{application_id}").status_code == 404


@pytest.mark.parametrize("username,path,expected", [
    ("applicant", "/staff/cases", 403),
    ("applicant", "/staff/paper", 403),
    ("applicant", "/admin/calendar/", 403),
    ("applicant", "/api/monitoring/events", 403),
    ("clerk", "/cabinet", 403),
    ("clerk", "/admin/calendar/", 403),
    ("admin", "/staff/cases", 403),
    ("authority", "/staff/paper", 403),
    ("clerk", "/staff/cases", 200),
    ("authority", "/staff/cases", 200),
    ("admin", "/admin/calendar/", 200),
])
def test_every_view_checks_the_role(client, auth, username, path, expected):
    auth.login(username)
    assert client.get(path).status_code == expected


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ("/cabinet", "/staff/cases", "/admin/calendar/", "/applications/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_without_a_csrf_token_are_refused(client, auth):
    auth.login("applicant")
    assert client.post("/applications/new", data={"kind": "accreditation"}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_htmx_posts_carry_the_csrf_token_in_a_header(app, client, auth):
    application_id, _ = _demo_case(app, "draft")
    auth.login("applicant")
    token = csrf_token(client, "/cabinet")
    page = client.get("/cabinet").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page
    response = client.post(f"/applications/{application_id}/documents", data={"code": "x"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code != 400


def test_login_failure_says_so_and_success_goes_home(client, auth):
    response = auth.login("applicant", "wrong")
    assert response.status_code == 422 and "Wrong username or password" in response.get_data(as_text=True)
    response = auth.login("applicant")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cabinet")


def test_login_does_not_redirect_to_another_site(client):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={
        "username": "applicant", "password": "demo-applicant", "csrf_token": token})
    assert response.headers["Location"] == "/cabinet"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from portal import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"TYNDAU_ENV": "production"})
