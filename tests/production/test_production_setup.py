"""The portal started the production way on this machine, and a person's journey through it in Chromium.

What runs is what the Procfile lists, as separate processes:
- web: gunicorn serving wsgi:app, with 2 workers (the Procfile's --workers and --bind replaced), TYNDAU_ENV=production;
- sweeper: `flask --app wsgi deadlines run`;
- outbox: `flask --app wsgi outbox run` with the folder transport (each mail an .eml file);
the two loops get `--every 2` instead of their minute and half-minute, so the check does not wait.
They share a fresh PostgreSQL database made for the check (`flask db upgrade`, then `flask demo seed`) on the
server DATABASE_URL names, and nothing else: no state between requests may live in a worker.

Then: /healthz and /readyz answer; the master has 2 workers and both answer requests; the demo applicant
files an accreditation application with its documents in Kazakh (the browser journey of tests/browser); the
clerk finds it in the queue and opens its completeness check (durable-rules, inside a worker); the outbox
worker delivers the acceptance mail; the sweeper has swept; every process is still alive. Every process is
stopped at the end (SIGTERM, and each must stop cleanly), whatever happened; the logs are kept in
test-output/production/, with screenshots and the pages' HTML when the journey fails.

Runs only with PRODUCTION_CHECK=1 (tests/production/run_production_check.sh, `make test-production`, CI).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from portal.signatures.pki import DEMO_AUTHORITY, DEMO_PROVIDER

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "test-output" / "production"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
WORKERS = 2
LOOP_SECONDS = 2
# SIGTERM ends gunicorn gracefully (exit 0) and the flask loops by the signal itself.
CLEAN_EXIT = (0, -signal.SIGTERM)

pytestmark = [
    pytest.mark.production,
    pytest.mark.skipif(os.environ.get("PRODUCTION_CHECK") != "1",
                       reason="the production check runs with PRODUCTION_CHECK=1 (make test-production)"),
]


# --- the database -----------------------------------------------------------------------------

def fresh_database(server_url: str, name: str) -> str:
    """Drop and create `name` on the PostgreSQL server of server_url; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url.replace("postgres://", "postgresql://", 1))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql", database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url.replace("postgres://", "postgresql://", 1))
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the processes ----------------------------------------------------------------------------

def procfile() -> dict[str, list[str]]:
    """The Procfile's processes as argument lists, with the executables from this virtualenv."""
    processes = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, command = line.split(":", 1)
        argv = shlex.split(command)
        if (BIN / argv[0]).exists():
            argv[0] = str(BIN / argv[0])
        processes[name.strip()] = argv
    return processes


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """argv with `option value` set: replaced where present (also as --option=value), appended otherwise."""
    out, skip, found = [], False, False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == option:
            out += [option, value]
            skip, found = True, True
        elif arg.startswith(option + "="):
            out.append(f"{option}={value}")
            found = True
        else:
            out.append(arg)
    if not found:
        # Options go before gunicorn's application argument (wsgi:app); flask's loops take them at the end.
        if out and ":" in out[-1] and not out[-1].startswith("-"):
            out[-1:-1] = [option, value]
        else:
            out += [option, value]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One process of the Procfile, in a session of its own, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict, logs: Path):
        self.name, self.argv = name, argv
        self.log_path = logs / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115  (open as long as the process runs; closed in stop())
        self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, grace: float = 20) -> int | None:
        """SIGTERM (gunicorn stops its workers gracefully), then SIGKILL to what is left of its process group."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # the group this process leads (its workers), by its id
        except (ProcessLookupError, PermissionError):
            pass
        try:
            code = self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        self._log.close()
        return code


def children_of(pid: int) -> list[int]:
    """Processes whose parent is pid (from /proc, as `ps` would)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def get(url: str, timeout: float = 5) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def answers(url: str) -> int:
    """The status of url, or 0 while nothing listens yet."""
    try:
        return get(url, timeout=2)[0]
    except (urllib.error.URLError, OSError):
        return 0


def wait_for(condition, timeout: float, what: str, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


# --- the installation ---------------------------------------------------------------------------

class Production:
    def __init__(self, base: Path):
        self.base = base
        self.instance = base / "instance"
        self.mail = base / "mail"
        self.logs = base / "logs"
        for folder in (self.instance, self.mail, self.logs):
            folder.mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.secret = secrets.token_hex(32)
        self.database_url = ""
        self.processes: dict[str, Process] = {}

    def env(self, database_url: str, production: bool) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("PRODUCTION_CHECK", "FLASK_APP", "FLASK_DEBUG")}
        pki = self.instance / "pki"
        env.update({
            "DATABASE_URL": database_url,
            "TYNDAU_INSTANCE": str(self.instance),
            "TYNDAU_ENV": "production" if production else "development",
            "SECRET_KEY": self.secret,  # one key for every worker: a session made by one is read by the other
            "UPLOADS_DIR": str(self.base / "uploads"),
            "TRUST_STORE": str(pki / "trust"),
            "PROVIDER_BIN": DEMO_PROVIDER["bin"],  # the officials sign decisions with their own keys
            "AUTHORITY_BIN": DEMO_AUTHORITY["bin"],
            "REQUIRE_EDS_FOR_PORTAL": "false",  # the journey signs in and applies with a password
            "PORTAL_URL": self.url,
            "MAIL_TRANSPORT": "folder",
            "MAIL_FOLDER": str(self.mail),
            "TRUSTED_PROXIES": "0",  # no nginx in front here
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def flask(self, database_url: str, *args: str) -> str:
        done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, capture_output=True, text=True,
                              env=self.env(database_url, production=False), timeout=300, check=False)
        (self.logs / f"flask-{args[0]}-{args[1]}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, database_url: str) -> None:
        commands = procfile()
        assert {"web", "sweeper", "outbox"} <= set(commands), f"the Procfile lists {sorted(commands)}"
        web = with_option(with_option(commands["web"], "--workers", str(WORKERS)), "--bind", f"127.0.0.1:{self.port}")
        # The pid of the worker in each access-log line, so the check can see both workers answer.
        web = with_option(web, "--access-logformat", 'pid=%(p)s "%(r)s" %(s)s')
        sweeper = with_option(commands["sweeper"], "--every", str(LOOP_SECONDS))
        outbox = with_option(commands["outbox"], "--every", str(LOOP_SECONDS))
        env = self.env(database_url, production=True)
        for name, argv in (("web", web), ("sweeper", sweeper), ("outbox", outbox)):
            self.processes[name] = Process(name, argv, env, self.logs)

    def stop(self) -> dict[str, int | None]:
        return {name: process.stop() for name, process in reversed(list(self.processes.items()))}

    def keep_logs(self) -> str:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for log in self.logs.glob("*.log"):
            shutil.copy(log, OUTPUT / log.name)
        tails = []
        for name, process in self.processes.items():
            lines = process.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
            tails.append(f"--- {name} ({' '.join(process.argv)}):\n" + "\n".join(lines))
        return "\n".join(tails)


@pytest.fixture(scope="module")
def production(request, tmp_path_factory):
    if not DATABASE_URL.startswith(("postgresql", "postgres:")):
        pytest.fail("the production check needs DATABASE_URL naming a PostgreSQL server "
                    "(tests/production/run_production_check.sh starts one when it is not set)", pytrace=False)
    name = "tyndau_production_check"
    failures = request.session.testsfailed
    shutil.rmtree(OUTPUT, ignore_errors=True)  # what an earlier run left
    setup = Production(tmp_path_factory.mktemp("production"))
    setup.database_url = fresh_database(DATABASE_URL, name)
    codes: dict = {}
    try:
        setup.flask(setup.database_url, "db", "upgrade")
        setup.flask(setup.database_url, "demo", "seed")
        setup.start(setup.database_url)
        web = setup.processes["web"]
        wait_for(lambda: answers(setup.url + "/readyz") == 200 if web.alive() else
                 pytest.fail("gunicorn exited:\n" + web.log(), pytrace=False), 60, "gunicorn to answer /readyz")
        yield setup
    finally:
        codes = setup.stop()
        tails = setup.keep_logs()
        if request.session.testsfailed > failures or any(c not in CLEAN_EXIT for c in codes.values()):
            print(f"\nlogs kept in {OUTPUT.relative_to(ROOT)}/\n{tails}")
        try:
            drop_database(DATABASE_URL, name)
        except Exception as exc:  # noqa: BLE001  (a database left behind must not hide the result)
            print(f"could not drop {name}: {exc}")
    unclean = {n: c for n, c in codes.items() if c not in CLEAN_EXIT}
    assert not unclean, f"not stopped cleanly by SIGTERM (exit codes): {unclean}"


@pytest.fixture(scope="module")
def app(production):
    """The same database seen from the test, for looking at what the journey did."""
    from portal import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + production.database_url.split("://", 1)[1],
                      "SECRET_KEY": "the-test-only-reads"})
    yield app
    with app.app_context():
        from portal.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not installed: apt-get install chromium (looked for {CHROMIUM})", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- the checks ---------------------------------------------------------------------------------

def test_health_and_readiness(production):
    status, headers, body = get(production.url + "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert re.fullmatch(r"[A-Za-z0-9._-]{8,64}", headers.get("X-Request-ID", "")), headers
    status, _headers, body = get(production.url + "/readyz")
    assert status == 200 and json.loads(body) == {"status": "ready"}, body


def test_gunicorn_runs_two_workers_and_both_answer(production):
    web = production.processes["web"]
    workers = wait_for(lambda: len(children_of(web.pid)) == WORKERS and children_of(web.pid), 30,
                       f"{WORKERS} gunicorn workers")
    assert len(workers) == WORKERS
    # Requests at the same time: while one worker is busy with one, the other must take the next.
    answered: set[int] = set()
    for _round in range(5):
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: get(production.url + "/readyz")[0], range(32)))
        assert set(statuses) == {200}, statuses
        time.sleep(0.3)
        answered = {int(pid) for pid in re.findall(r"pid=<?(\d+)>?", web.log())}
        if set(workers) <= answered:
            break
    assert set(workers) <= answered, f"workers {workers}, requests answered by {sorted(answered)}"


def test_an_applicant_files_an_application_and_the_clerk_sees_it(production, app, browser):
    from playwright.sync_api import expect

    from tests.browser.helpers import log_in, t
    from tests.browser.test_applicant_journey import file_application

    pages = []

    def person():
        context = browser.new_context(base_url=production.url, locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        pages.append(page)
        return page

    try:
        # The applicant, in Kazakh, with JavaScript (htmx): the form, each document, the submission.
        number = file_application(person(), app, js=True)

        # The clerk, in Russian: the new case is in the queue, registered, with its deadlines day by day.
        lang = "ru"
        clerk = person()
        log_in(clerk, lang, "clerk", "demo-clerk")
        clerk.get_by_role("navigation", name=t(lang, "Main")).get_by_role("link", name=t(lang, "Cases"),
                                                                         exact=True).click()
        results = clerk.locator("#queue-results")
        expect(results.get_by_role("link", name=number, exact=True)).to_be_visible()
        results.get_by_role("link", name=number, exact=True).click()
        expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
        expect(clerk.locator("#case-status")).to_contain_text(t(lang, "Accepted and registered"))
        expect(clerk.locator("#day-timeline li.term").first).to_be_visible()
        # The completeness check asks the durable-rules engine, built inside the worker after the fork.
        clerk.get_by_role("link", name=t(lang, "Check completeness (п.7)")).click()
        expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
        expect(clerk.get_by_role("button", name=t(lang, "Record the decision"))).to_be_visible()
        expect(clerk.get_by_text(t(lang, "the rules: not in order"))).to_have_count(0)  # every document is there
    except BaseException:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for index, page in enumerate(pages):
            try:
                page.screenshot(path=str(OUTPUT / f"page{index}.png"), full_page=True)
                (OUTPUT / f"page{index}.html").write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
                print(f"saved {OUTPUT.relative_to(ROOT)}/page{index}.png and .html ({page.url})")
            except Exception as exc:  # noqa: BLE001  (a crashed page must not hide the journey's own failure)
                print(f"page{index} not saved: {exc}")
        raise
    finally:
        for page in pages:
            page.context.close()

    # The outbox worker, not the web process, delivers the acceptance mail (the folder transport: an .eml file).
    # (The demo case's own acceptance mail is there too: the one about this application names its number.)
    def acceptance_mail():
        return next((m.read_bytes() for m in production.mail.glob("*application.accepted.eml")
                     if number.encode() in m.read_bytes()), None)

    message = wait_for(acceptance_mail, 30, f"the outbox worker to deliver the acceptance mail of {number}")
    assert b"applicant@example.kz" in message
    assert re.search(rb"^Content-Type: text/plain", message, re.MULTILINE | re.IGNORECASE)

    # The sweeper and the outbox have run their loops, and nothing has died on the way.
    sweeps = [line for line in production.processes["sweeper"].log().splitlines() if line.startswith("{")]
    assert sweeps and all(isinstance(json.loads(line), dict) for line in sweeps), production.processes["sweeper"].log()
    sent = [json.loads(line) for line in production.processes["outbox"].log().splitlines() if line.startswith("{")]
    assert any(entry.get("sent") for entry in sent), production.processes["outbox"].log()
    for name, process in production.processes.items():
        assert process.alive(), f"{name} exited:\n{process.log()}"
