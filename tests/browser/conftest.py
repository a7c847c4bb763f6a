"""Browser tests: the real app behind a real HTTP server, driven by Debian's Chromium through Playwright.

- `live_server`: the app of tests/conftest.py (migrated database, demo data, test PKI) served by
  werkzeug on 127.0.0.1 and a free port, in a background thread, for one test.
- `browser` (session), `page`, `js_disabled_page`, and `new_page(...)` for a second person in the
  same test (each person gets a context of its own: cookies, language).
- `ncalayer`: the NCALayer stand-in on a free port, the app's NCALAYER_URL pointing at it.
- `axe`: axe-core from tests/browser/node_modules (`npm ci` in tests/browser; test-only, never served
  to users), evaluated in the page through the DevTools protocol, so the portal's CSP stays on.
- Without /usr/bin/chromium the folder is skipped with the reason; when CI is set it fails instead.
- A failed test leaves a screenshot and the HTML of each of its pages under test-output/.
"""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTPUT = ROOT / "test-output"
CHROMIUM = os.environ.get("TYNDAU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = pytest.StashKey[list]()


def _unavailable(reason: str):
    """Skip on a developer's machine; in CI (CI set) a missing tool is a failure, never a skip."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI never skips the browser tests)", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# --- the server ------------------------------------------------------------------------------

class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def live_server(app):
    """The portal on a real socket; the same `app` (and database) the test can reach directly."""
    with LiveServer(app) as server:
        yield server


# --- NCALayer --------------------------------------------------------------------------------

# The stand-in's algorithm in the signing journeys ("gost" is what Kazakh keys are; "rsa" also works).
NCALAYER_ALGORITHM = os.environ.get("TYNDAU_NCALAYER_ALGORITHM", "gost")


@pytest.fixture
def ncalayer(app, portal_pki):
    """The NCALayer stand-in (portal.signatures.standin, interface 3) on a free port, signing with the test PKI's
    people keys; the app's NCALAYER_URL points at it, so the pages (and their CSP) reach it. Pick a person with
    ncalayer.pick(username) before the button is pressed."""
    if not (portal_pki / "people").is_dir():
        pytest.skip("the test PKI has no people/ folder (init_pki(..., people=PEOPLE) has not landed yet)")
    from portal.signatures.standin import StandIn

    standin = StandIn(portal_pki, port=0, algorithm=NCALAYER_ALGORITHM, wait_seconds=15).start()
    app.config["NCALAYER_URL"] = standin.url
    yield standin
    standin.stop()


# --- the browser -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _playwright():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium not installed: apt-get install chromium (looked for {CHROMIUM})")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_page(request, browser, live_server):
    """new_page(java_script_enabled=True, **context_options): one person's fresh browser."""
    contexts = []
    request.node.stash[PAGES] = []

    def make(java_script_enabled: bool = True, **options):
        options.setdefault("viewport", {"width": 1280, "height": 900})  # a phone: viewport={"width": 360, ...}
        context = browser.new_context(base_url=live_server.url, java_script_enabled=java_script_enabled,
                                      locale="en-US", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        request.node.stash[PAGES].append(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def js_disabled_page(new_page):
    return new_page(java_script_enabled=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, keep what the browser showed: a screenshot and the HTML of every page of the test."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed or report.when == "teardown":
        return
    pages = item.stash.get(PAGES, [])
    if not pages:
        return
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", item.nodeid.split("tests/browser/")[-1])
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        stem = folder / f"page{index}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
            saved.append(str(stem.relative_to(ROOT)))
        except Exception as exc:  # noqa: BLE001  (a crashed page must not hide the test's own failure)
            saved.append(f"{stem.name}: not saved ({exc})")
    report.sections.append(("browser output", "\n".join(f"saved {s}.png / .html" for s in saved)))


# --- accessibility ---------------------------------------------------------------------------

class Axe:
    """Runs axe-core in a page at WCAG 2.1 AA and fails on any violation, naming each node."""

    def __init__(self, source: str):
        self.source = source
        self.checked: list[str] = []

    def check(self, page, label: str = "") -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.source)  # through the DevTools protocol: the page's CSP stays as it is
        result = page.evaluate("""options => axe.run(document, options).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))""",
                               {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]})
        self.checked.append(label or page.url)
        assert not result, f"axe (WCAG 2.1 AA) on {label or page.url}:\n" + json.dumps(result, ensure_ascii=False,
                                                                                         indent=1)


@pytest.fixture(scope="session")
def _axe_source():
    if not AXE_JS.exists():
        _unavailable("axe-core not installed for the browser tests: make browser-deps (npm ci in tests/browser)")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def axe(_axe_source):
    return Axe(_axe_source)


# --- the cases the page checks visit (test_phone_pages, test_accessibility) ---------------------

@pytest.fixture
def cases(app) -> dict:
    """The signed case, the late case with its complaint, the draft; ids and numbers."""
    from portal.applications.models import Application
    from portal.complaints.models import Complaint
    from portal.deadlines.models import Deadline
    from portal.extensions import db
    from tests.browser.helpers import demo_case_id, to_signed_certificate
    from tests.conftest import Auth
    from tests.portal.factories import file, late_case

    signed = demo_case_id(app)
    number = to_signed_certificate(app, signed)
    late = late_case(app, days=30)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    Auth(client).login("applicant")
    assert file(client, late).status_code == 302
    with app.app_context():
        draft = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
        complaint = db.session.scalar(db.select(Complaint.id).filter_by(application_id=late))
        service = db.session.scalar(db.select(Deadline.id).filter_by(application_id=late, code="service",
                                                                     complaint_id=None))
    assert complaint is not None
    return {"signed": signed, "certificate": number, "late": late, "draft": draft, "complaint": complaint,
            "service": service}
