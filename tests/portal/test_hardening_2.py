"""Hardening, second part (issue 15, "fragile"): PDFs read only the portal's static files, links come from
PORTAL_URL and never from the Host header, failed log-ins are counted per account in the database (every
worker, every address), and the public checks are throttled per address."""
from __future__ import annotations

import io
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from portal import create_app
from portal.accounts.models import LoginFailure
from portal.core import pdf as portal_pdf
from portal.core.clock import now_utc
from portal.core.security import account_key
from portal.decisions.models import Decision
from portal.decisions.stamp import qr_code
from portal.extensions import db
from tests.conftest import Auth, csrf_token
from tests.portal.factories import case_without_grounds, draft_and_sign

PORTAL = "https://tyndau.example.kz"
EVIL = "evil.example"


# --- 1. WeasyPrint reads only the portal's static files ------------------------------------------

@pytest.fixture
def probe_server():
    """A local HTTP server that counts the requests it gets (the PDF must never ask it anything)."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            body = b"@page { size: 40mm 40mm }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def _page_size_mm(pdf: bytes) -> tuple[int, int]:
    from pypdf import PdfReader

    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    return round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)


def test_a_pdf_reads_the_portals_static_files_and_nothing_else(app, tmp_path, probe_server):
    port, hits = probe_server
    # Each resource sets the page size when it is read: the size of the PDF tells which were.
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "print.css").write_text("@page { size: 100mm 100mm }")
    secret = tmp_path / "secret.css"  # beside the static folder, not in it
    secret.write_text("@page { size: 50mm 50mm }")
    app.static_folder = str(static)
    app.config["PORTAL_URL"] = PORTAL
    html = f"""<html><head>
      <link rel="stylesheet" href="/static/css/print.css">
      <link rel="stylesheet" href="file://{secret}">
      <link rel="stylesheet" href="/static/..%2Fsecret.css">
      <link rel="stylesheet" href="/static/%2e%2e/secret.css">
      <link rel="stylesheet" href="http://127.0.0.1:{port}/from-http.css">
      <link rel="stylesheet" href="{PORTAL}.attacker.example/static/css/print.css">
    </head><body><img src="http://127.0.0.1:{port}/pixel.png"><p>text</p></body></html>"""
    with app.test_request_context("/", base_url=f"http://{EVIL}/"):
        body = portal_pdf.render_pdf(html)
    assert body.startswith(b"%PDF")
    assert hits == []  # nothing asked of the network
    assert _page_size_mm(body) == (100, 100)  # the static file was read; the secret file was not


def test_the_fetcher_refuses_everything_but_static_files_and_data_uris(app, tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "a.css").write_text("p {}")
    (tmp_path / "b.css").write_text("p {}")
    settings = {"base_url": f"{PORTAL}/", "static_url_path": "/static", "static_folder": str(static)}
    assert portal_pdf.static_file(f"{PORTAL}/static/a.css", **settings) == str(static / "a.css")
    assert portal_pdf.static_file(f"{PORTAL}/static/a.css?v=2", **settings) == str(static / "a.css")
    for url in ("file:///etc/passwd", f"file://{static}/a.css", "http://127.0.0.1:5432/", f"{PORTAL}/b.css",
                f"{PORTAL}/static/../b.css", f"{PORTAL}/static/%2e%2e/b.css", f"{PORTAL}/static/..%5cb.css",
                f"{PORTAL}/static/%2Fetc%2Fpasswd", "http://tyndau.example.kz/static/a.css",
                f"{PORTAL}:8443/static/a.css", f"{PORTAL}/static/", f"{PORTAL}/static/%00"):
        with pytest.raises(portal_pdf.RefusedURL):
            portal_pdf.static_file(url, **settings)
    with app.test_request_context("/"):
        fetcher = portal_pdf.portal_fetcher()
        with pytest.raises(Exception):
            (fetcher.fetch if hasattr(fetcher, "fetch") else fetcher)("file:///etc/passwd")


@pytest.fixture
def signed_case(app, client, auth):
    case_id = case_without_grounds(app)
    draft_and_sign(client, auth, case_id)
    with app.app_context():
        number = db.session.scalar(db.select(Decision.number).filter_by(application_id=case_id))
    app.config["PORTAL_URL"] = PORTAL
    return case_id, number


def test_the_decision_pdf_goes_through_the_portal_fetcher_and_keeps_its_qr_codes(app, client, auth, signed_case,
                                                                                 monkeypatch):
    case_id, _number = signed_case
    fetched = []
    real = portal_pdf.portal_fetcher

    def spying_fetcher():
        fetcher = real()
        inner = fetcher.fetch if hasattr(fetcher, "fetch") else fetcher

        def fetch(url, *args, **kwargs):
            result = inner(url, *args, **kwargs)
            fetched.append(url[:5])
            return result

        if hasattr(fetcher, "fetch"):
            fetcher.fetch = fetch
            return fetcher
        return fetch

    monkeypatch.setattr(portal_pdf, "portal_fetcher", spying_fetcher)
    auth.login("applicant")
    response = client.get(f"/applications/{case_id}/decision.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert fetched and set(fetched) == {"data:"}  # the QR code (an SVG data URI), through the portal's fetcher


def test_the_administrative_case_archive_renders_its_pdf_through_render_pdf(app, client, auth, monkeypatch):
    from tests.portal.factories import case_with_grounds

    calls = []
    real = portal_pdf.render_pdf
    monkeypatch.setattr("portal.complaints.views.render_pdf", lambda html: calls.append(html) or real(html))
    case_id = case_with_grounds(app, "applicant")
    auth.login("authority")
    response = client.get(f"/authority/cases/{case_id}/archive.zip")
    assert response.status_code == 200 and len(calls) == 1


# --- 2. links from PORTAL_URL, never from the Host header ------------------------------------------

def test_links_and_qr_codes_on_a_decision_come_from_portal_url_whatever_the_host_header(app, client, auth,
                                                                                       signed_case):
    from pypdf import PdfReader

    case_id, number = signed_case
    client.environ_base["HTTP_HOST"] = EVIL  # every request of this browser, the log-in included
    assert auth.login("applicant").status_code == 302
    check = f"{PORTAL}/verify/number?number={number}"
    page = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert EVIL not in page
    assert f"{PORTAL}/verify/number" in page  # "Anyone can check this document at …"
    assert qr_code(check) in page  # the stamp's QR code encodes the public check on PORTAL_URL
    response = client.get(f"/applications/{case_id}/decision.pdf")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).replace("\n", "")
    assert EVIL not in text and "tyndau.example.kz/verify/number" in text
    assert EVIL.encode() not in response.data


def test_the_authority_decision_stamp_on_a_complaint_links_to_portal_url(app):
    from portal.complaints.views import _decision_stamp

    app.config["PORTAL_URL"] = PORTAL
    complaint = SimpleNamespace(decision_number="DMP-Q-2026-000001", decision_signer={"common_name": "X"})
    with app.test_request_context("/", base_url=f"http://{EVIL}/"):
        stamp = _decision_stamp(complaint)
    assert stamp["check_url"] == f"{PORTAL}/verify/number?number=DMP-Q-2026-000001"
    assert stamp["qr"] == qr_code(stamp["check_url"])


def test_external_url_keeps_a_path_prefix_of_portal_url(app):
    from portal.core.urls import external_url

    app.config["PORTAL_URL"] = "https://gov.example.kz/tyndau"
    with app.test_request_context("/", base_url=f"http://{EVIL}/"):
        assert external_url("decisions.by_number", number="A 1") == \
            "https://gov.example.kz/tyndau/verify/number?number=A+1"
    with app.app_context():  # no request at all (a worker)
        assert external_url("decisions.by_number").startswith("https://gov.example.kz/tyndau/")


# --- 3. failed log-ins per account, shared by every worker and address ---------------------------

def _client(app, address: str):
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return Auth(client)


def test_failures_from_different_addresses_add_up_per_account(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "4 per 15 minutes"
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2"):  # under each address's own limit
        assert _client(app, address).login("applicant", "wrong").status_code == 422
    response = _client(app, "10.0.0.3").login("applicant")  # the right password, from a third address
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "signing in to this account with a password is paused" in page and "Try again after" in page
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # Another account is not paused, and counting ignores case and spaces.
    assert _client(app, "10.0.0.3").login("clerk").status_code == 302
    assert _client(app, "10.0.0.4").login(" APPLICANT ", "demo-applicant").status_code == 429


def test_two_app_instances_on_one_database_share_the_count(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "4 per 15 minutes"
    keys = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TRUST_STORE", "UPLOADS_DIR", "PASSWORD_HASH_METHOD")
    other = create_app({**{k: app.config[k] for k in keys}, "TESTING": True,
                        "ACCOUNT_LOGIN_FAILURES": "4 per 15 minutes"})  # another worker: its own memory counters
    assert _client(app, "10.0.1.1").login("applicant", "wrong").status_code == 422
    assert _client(other, "10.0.1.1").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.1.2").login("applicant", "wrong").status_code == 422
    assert _client(other, "10.0.1.2").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.1.3").login("applicant").status_code == 429
    assert _client(other, "10.0.1.3").login("applicant").status_code == 429
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_successful_log_in_clears_the_accounts_failures(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "4 per 15 minutes"
    for address in ("10.0.2.1", "10.0.2.2", "10.0.2.3"):
        assert _client(app, address).login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.2.4").login("applicant").status_code == 302
    for address in ("10.0.2.5", "10.0.2.6", "10.0.2.7"):
        assert _client(app, address).login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.2.8").login("applicant").status_code == 302


def test_failures_older_than_the_window_do_not_count_and_are_deleted(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "3 per 15 minutes"
    with app.app_context():
        old = now_utc() - timedelta(minutes=16)
        db.session.add_all([LoginFailure(account=account_key("applicant"), at=old) for _ in range(5)])
        db.session.commit()
    assert _client(app, "10.0.3.1").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.3.2").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.3.3").login("applicant").status_code == 302
    assert _client(app, "10.0.3.4").login("nobody", "wrong").status_code == 422
    with app.app_context():
        ats = db.session.scalars(db.select(LoginFailure.at)).all()
        assert len(ats) == 1 and all(at > now_utc() - timedelta(minutes=15) for at in ats)  # cleaned as it goes


def test_the_pause_lasts_until_the_oldest_failure_leaves_the_window(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "2 per 15 minutes"
    with app.app_context():
        now = now_utc()
        db.session.add_all([LoginFailure(account=account_key("applicant"), at=now - timedelta(minutes=14)),
                            LoginFailure(account=account_key("applicant"), at=now - timedelta(minutes=1))])
        db.session.commit()
    response = _client(app, "10.0.4.1").login("applicant")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 61  # the one from 14 minutes ago leaves in a minute


def test_the_paused_page_is_in_the_readers_language(app):
    app.config["ACCOUNT_LOGIN_FAILURES"] = "1 per 15 minutes"
    auth = _client(app, "10.0.5.1")
    auth.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    assert auth.login("applicant", "wrong").status_code == 422
    response = auth.login("applicant")
    assert response.status_code == 429
    assert '<html lang="ru">' in response.get_data(as_text=True)


def test_the_account_count_is_off_with_the_rate_limits(app):
    app.config.update(ACCOUNT_LOGIN_FAILURES="1 per 15 minutes", RATELIMIT_ENABLED=False)
    assert _client(app, "10.0.6.1").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.6.2").login("applicant", "wrong").status_code == 422
    assert _client(app, "10.0.6.3").login("applicant").status_code == 302


# --- 4. /verify throttled per client address -----------------------------------------------------

def test_the_public_checks_are_throttled_per_address(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    for _ in range(2):
        assert client.get("/verify/number?number=DMP-C-1999-000000").status_code == 404
    token = csrf_token(client, "/verify")  # showing the empty form is not a check
    assert client.get("/verify").status_code == 200
    response = client.post("/verify", data={"csrf_token": token, "signed_text": "<x/>"})
    assert response.status_code in (200, 422)
    response = client.get("/verify/number?number=DMP-C-1999-000001")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page and "many checks" in page
    assert client.post("/verify", data={"csrf_token": token, "signed_text": "<x/>"}).status_code == 429
    other = app.test_client()
    other.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.0.7.1")
    assert other.get("/verify/number?number=DMP-C-1999-000000").status_code == 404


def test_the_verify_429_is_translated(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "1 per minute"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    client.get("/verify/number?number=X")
    response = client.get("/verify/number?number=X")
    assert response.status_code == 429
    assert '<html lang="ru">' in response.get_data(as_text=True)
