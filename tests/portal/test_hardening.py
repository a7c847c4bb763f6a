"""Issue 15: what an outside break-in found besides the preview — headers, links, log-in counting, bounds, 409."""
from __future__ import annotations

from portal import create_app
from tests.conftest import Auth
from tests.portal.factories import new_application

HSTS = "max-age=31536000; includeSubDomains"


def _production_app(app):
    return create_app({
        "TYNDAU_ENV": "production", "TESTING": True, "SECRET_KEY": "production-test-secret",
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "TRUST_STORE", "UPLOADS_DIR", "PASSWORD_HASH_METHOD",
                                        "PROVIDER_BIN", "AUTHORITY_BIN", "REQUIRE_EDS_FOR_PORTAL")
           if k in app.config},
    })


# --- item 4: headers ----------------------------------------------------------------------------------------

def test_production_sends_strict_transport_security_and_development_does_not(app, client):
    production = _production_app(app).test_client()
    for path in ("/", "/login", "/no-such-page"):
        assert production.get(path).headers.get("Strict-Transport-Security") == HSTS, path
    assert "Strict-Transport-Security" not in client.get("/").headers  # a laptop over plain http


def test_nginx_sends_strict_transport_security_on_every_answer():
    from pathlib import Path

    from portal import ROOT

    conf = (Path(ROOT) / "deploy" / "nginx-tyndau.conf").read_text()
    tls_server = conf.split("listen 80;")[0]
    assert tls_server.count(f'add_header Strict-Transport-Security "{HSTS}" always;') == 2  # server and /static/


def test_what_a_signed_in_person_is_shown_is_never_stored(app, client, auth):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")  # public pages may be cached
    auth.login("applicant")
    application_id = new_application(client)
    for path in ("/cabinet", f"/applications/{application_id}", f"/applications/{application_id}/edit",
                 f"/applications/{application_id}/documents"):
        assert "no-store" in client.get(path).headers.get("Cache-Control", ""), path
    static = client.get("/static/css/portal.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")  # its own rule


def test_decision_downloads_are_never_stored(app, client, auth):
    from tests.portal.factories import case_without_grounds, draft_and_sign

    case_id = case_without_grounds(app)
    draft_and_sign(client, auth, case_id)
    auth.login("applicant")
    for path in (f"/applications/{case_id}/decision", f"/applications/{case_id}/decision.xml",
                 f"/applications/{case_id}/decision.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and "no-store" in response.headers.get("Cache-Control", ""), path


# --- the fragile list ---------------------------------------------------------------------------------------

def test_a_queue_page_beyond_the_last_is_not_walked_to(app, client, auth, monkeypatch):
    from portal.applications import queries

    walked = []
    real = queries.staff_cases
    monkeypatch.setattr(queries, "staff_cases", lambda *args, **kwargs: walked.append(args[1]) or real(*args, **kwargs))
    auth.login("clerk")
    assert client.get("/staff/cases?page=2147483647").status_code == 404
    assert client.get("/staff/cases?page=42").status_code == 404
    assert client.get("/staff/cases?page=41").status_code == 200  # the capped total's last page (1,000 / 25 + 1)
    assert walked == [41]


def test_a_stale_write_answers_409_not_500(app, client, auth):
    from sqlalchemy.orm.exc import StaleDataError

    @app.route("/_test/stale")
    def stale():
        raise StaleDataError("UPDATE statement on table 'decision' expected to update 1 row(s); 0 were matched.")

    auth.login("signatory")
    response = client.get("/_test/stale")
    assert response.status_code == 409 and "Someone else changed this at the same moment" in response.get_data(
        as_text=True)
