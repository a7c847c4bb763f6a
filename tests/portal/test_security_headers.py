"""Security headers on every kind of answer: page, htmx partial, file download, error page, JSON, static file.

The Content-Security-Policy allows no inline script or style and no eval, so htmx is configured to
match (no eval, no indicator styles it would inject, no script tags from swapped content) and no
template writes inline script, style or event handlers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from portal import ROOT, create_app
from portal.applications.models import Application
from portal.extensions import db
from tests.conftest import Auth, csrf_token
from tests.portal.factories import PDF, new_application, required_codes, upload
from tests.support.html import page

TEMPLATES = Path(ROOT) / "templates"


def _for_browsers(name: str) -> bool:
    """Templates named pdf.html or *_pdf.html are rendered to PDF by WeasyPrint, never sent as HTML."""
    return not (name.endswith("/pdf.html") or name.endswith("_pdf.html"))


def assert_safe_headers(response, what: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin", "no-referrer",
                                              "strict-origin-when-cross-origin"), what
    csp = headers.get("Content-Security-Policy", "")
    assert csp, f"{what}: no Content-Security-Policy"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp, (what, csp)
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "default-src" in directives, (what, csp)
    # Frame protection: the old header and the CSP directive (or a sandboxed answer that is never a page).
    assert headers.get("X-Frame-Options") == "DENY", what
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'" or "sandbox" in directives, (what, csp)
    if "script-src" in directives:
        assert directives["script-src"] == "script-src 'self'", (what, csp)
    else:
        assert directives["default-src"] in ("default-src 'self'", "default-src 'none'"), (what, csp)


def _case_with_document(app, client) -> tuple[int, int]:
    application_id = new_application(client)
    upload(client, application_id, required_codes(app, application_id)[0], PDF, "lease.pdf")
    with app.app_context():
        return application_id, db.session.get(Application, application_id).documents[0].id


def test_pages_partials_and_redirects_carry_the_headers(app, client, auth):
    assert_safe_headers(client.get("/"), "public page")
    assert_safe_headers(client.get("/login"), "log-in page")
    assert_safe_headers(client.get("/cabinet"), "redirect to log in")
    auth.login("clerk")
    assert_safe_headers(client.get("/staff/cases"), "staff page")
    partial = client.get("/staff/cases?stage=registered", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True)
    assert_safe_headers(partial, "htmx partial")
    assert_safe_headers(client.get("/healthz"), "JSON")
    assert_safe_headers(client.get("/static/css/portal.css"), "static file")


def test_file_downloads_are_attachments_in_a_sandbox(app, client, auth):
    auth.login("applicant")
    application_id, document_id = _case_with_document(app, client)
    download = client.get(f"/applications/{application_id}/documents/{document_id}")
    assert download.status_code == 200
    assert_safe_headers(download, "document download")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in download.headers["Cache-Control"]
    preview = client.get(f"/applications/{application_id}/documents/{document_id}/preview/0")
    assert_safe_headers(preview, "document preview")
    xml = client.get(f"/applications/{application_id}/application.xml")
    assert_safe_headers(xml, "application XML")
    assert xml.headers["Content-Disposition"].startswith("attachment")
    challenge = client.get("/login/eds/challenge.xml")
    assert_safe_headers(challenge, "EDS challenge")
    assert challenge.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("kind", ["404", "403", "405", "400", "413", "429", "500"])
def test_error_pages_carry_the_headers(app, client, auth, kind):
    if kind == "404":
        response = client.get("/no/such/page")
    elif kind == "403":
        auth.login("applicant")
        response = client.get("/staff/cases")
    elif kind == "405":
        response = client.delete("/login")
    elif kind == "400":
        response = client.post("/login", data={"username": "x"})
    elif kind == "413":
        auth.login("applicant")
        response = client.post("/applications/new", data={"csrf_token": csrf_token(client, "/cabinet"),
                                                          "x": "y" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    elif kind == "429":
        app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
        auth.login("applicant", "wrong")
        response = auth.login("applicant", "wrong")
    else:
        app.config["PROPAGATE_EXCEPTIONS"] = False

        def broken():
            raise RuntimeError("boom")

        app.view_functions["main.healthz"] = broken
        response = client.get("/healthz")
    assert response.status_code == int(kind)
    assert "<h1>" in response.get_data(as_text=True)  # the portal's own error page
    assert_safe_headers(response, f"error {kind}")


def test_session_cookies_are_httponly_and_samesite(client, auth):
    response = auth.login("applicant")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http on a laptop


def test_in_production_the_session_cookie_is_secure(app):
    production = create_app({
        "TYNDAU_ENV": "production", "TESTING": True, "SECRET_KEY": "production-test-secret",
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "TRUST_STORE", "UPLOADS_DIR", "PASSWORD_HASH_METHOD",
                                        "PROVIDER_BIN", "AUTHORITY_BIN")},
    })
    assert production.config["SESSION_COOKIE_SECURE"] is True
    client = production.test_client()  # the test client keeps Secure cookies over plain http too
    response = Auth(client).login("applicant")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The language cookie, which scripts need not read either, is Secure there too.
    language = client.get("/language/ru")
    assert "Secure" in language.headers["Set-Cookie"]


def test_htmx_is_configured_for_a_csp_without_eval_or_inline_styles(client):
    login = page(client.get("/login"))
    meta = login.attr("meta[name=htmx-config]", "content")
    assert meta, "base.html configures htmx"
    config = json.loads(meta)
    assert config["allowEval"] is False  # hx-on, hx-vars, js: values would need 'unsafe-eval'
    assert config["includeIndicatorStyles"] is False  # htmx would inject a <style> the CSP refuses
    assert config["allowScriptTags"] is False  # scripts in swapped content never run
    scripts = [script.get("src") for script in login.find_all("script")]  # an inline one has no src
    assert scripts and all(src and src.startswith("/static/") for src in scripts), scripts
    assert (Path(ROOT) / "static" / "vendor" / "htmx-2.0.11.min.js").exists()


def test_no_template_writes_inline_script_style_or_handlers():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|hx-on|hx-vars|"
                        r"javascript:|js:", re.IGNORECASE)
    found = []
    for path in TEMPLATES.rglob("*.html"):
        if not _for_browsers(path.relative_to(TEMPLATES).as_posix()):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if inline.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert found == []
