"""What the fault tests (test_faults.py) share: the harness's installation with a few more knobs, a browser
without a browser (HTTP with cookies and CSRF tokens, for load), the journeys, a steady-rate load, a private
PostgreSQL cluster that may be restarted, a tiny SMTP relay, the database's invariants, and the record of
the figures (test-output/faults/faults.json, or FAULTS_JSON; `make faults` writes bench/faults.json).

The processes are started by tests/production/test_production_setup.py's code (Production, Process): the
Procfile's commands with 2 gunicorn workers, on a database of their own.
"""
from __future__ import annotations

import http.client
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from tests.pdfs import assemble_pdf
from tests.production.support import (
    BIN,
    LOOP_SECONDS,
    ROOT,
    WORKERS,
    Process,
    Production,
    answers,
    children_of,
    procfile,
    wait_for,
    with_option,
)
from tests.support.html import Page

FAULTS_OUTPUT = ROOT / "test-output" / "faults"
RECORD = Path(os.environ.get("FAULTS_JSON") or FAULTS_OUTPUT / "faults.json")
GOOD_BIN = "210640005550"  # the demo applicant's organisation


# --- the record -------------------------------------------------------------------------------

_record_lock = threading.Lock()


def record(name: str, figures: dict) -> None:
    """Keep one test's figures in the record (one object per test, replaced when the test runs again)."""
    with _record_lock:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        try:
            data = json.loads(RECORD.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data.setdefault("results", {})[name] = {"recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **figures}
        tmp = RECORD.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, RECORD)


# --- a small, valid PDF (the case page opens it with pdfium to count its pages) ----------------

def make_pdf(text: str = "Tyndau fault test") -> bytes:
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return assemble_pdf(objects)


PDF = make_pdf()


def make_hostile_pdf(hostile_pages: int = 5, plain_first: bool = True, repeats: int = 300_000) -> bytes:
    """A PDF of a few kilobytes whose pages each ask pdfium for many seconds of CPU (a content stream filling
    the page `repeats` times: about 14 s at 300,000 on a 2020s core), after a plain first page when plain_first
    (what the upload's check lets through: it draws only the first page)."""
    import zlib

    plain = b"BT /F1 18 Tf 72 720 Td (Plain first page) Tj ET"
    costly = zlib.compress(b"0 0 200 200 re f\n" * repeats, 9)
    count = hostile_pages + (1 if plain_first else 0)
    kids = " ".join(f"{6 + n} 0 R" for n in range(count)).encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
               b"<< /Length %d >>\nstream\n" % len(plain) + plain + b"\nendstream",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(costly) + costly + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for n in range(count):
        contents = 3 if plain_first and n == 0 else 4
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 5 0 R >> >> >>" % contents)
    return assemble_pdf(objects)


# --- the installation ---------------------------------------------------------------------------

class Installation(Production):
    """The harness's Production, with a say over the mode, extra environment and which processes run when."""

    def __init__(self, base: Path, production_mode: bool = True, extra_env: dict | None = None):
        super().__init__(base)
        self.production_mode = production_mode
        self.extra_env = dict(extra_env or {})
        self.uploads = base / "uploads"

    def env(self, database_url: str, production: bool) -> dict:
        env = super().env(database_url, production and self.production_mode)
        env.update(self.extra_env)
        return env

    def argv(self, name: str) -> list[str]:
        """The Procfile's command of `name`, as Production.start() changes it."""
        command = procfile()[name]
        if name == "web":
            command = with_option(with_option(command, "--workers", str(WORKERS)), "--bind", f"127.0.0.1:{self.port}")
            return with_option(command, "--access-logformat", 'pid=%(p)s "%(r)s" %(s)s')
        return with_option(command, "--every", str(LOOP_SECONDS))

    def start_process(self, name: str, label: str | None = None, env: dict | None = None,
                      args: tuple[str, ...] = ()) -> Process:
        label = label or name
        process = Process(label, [*self.argv(name), *args],
                          {**self.env(self.database_url, production=True), **(env or {})}, self.logs)
        self.processes[label] = process
        return process

    def start_web(self) -> Process:
        web = self.start_process("web")
        wait_for(lambda: answers(self.url + "/readyz") == 200 if web.alive() else
                 _fail("gunicorn exited:\n" + web.log()), 60, "gunicorn to answer /readyz")
        wait_for(lambda: len(children_of(web.pid)) == WORKERS, 30, f"{WORKERS} gunicorn workers")
        return web

    def workers(self) -> list[int]:
        return children_of(self.processes["web"].pid)

    def seed(self) -> None:
        self.flask(self.database_url, "db", "upgrade")
        self.flask(self.database_url, "demo", "seed")

    def run_flask(self, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        """A `flask --app wsgi …` command as the production processes see the installation."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, capture_output=True, text=True,
                              env={**self.env(self.database_url, production=True), **(env or {})}, timeout=timeout,
                              check=False)

    def stop_all(self, killed: set[str] = frozenset()) -> dict:
        """Stop every process (SIGTERM, then SIGKILL to its group); the exit codes of those not killed on purpose."""
        codes = self.stop()
        return {name: code for name, code in codes.items() if name not in killed}

    def keep(self, test_name: str) -> Path:
        target = FAULTS_OUTPUT / test_name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for log in self.logs.glob("*.log"):
            shutil.copy(log, target / log.name)
        return target


def portal_app(setup: Installation):
    """The portal's app in the test's own process, on the installation's database and folders."""
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + setup.database_url.split("://", 1)[1],
                       "SECRET_KEY": "the-test-only", "UPLOADS_DIR": str(setup.uploads),
                       "MAIL_FOLDER": str(setup.mail)})


def _fail(message: str):
    raise AssertionError(message)


def rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# --- the database, seen from the test -----------------------------------------------------------

class Database:
    """Plain SQL on the installation's database (psycopg, autocommit): what the processes left behind."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)

    def close(self):
        self.conn.close()

    def all(self, sql: str, *params) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, *params):
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row is not None and len(row) == 1 else row

    def application(self, application_id: int) -> dict:
        status, number = self.all("SELECT status, number FROM application WHERE id = %s", application_id)[0]
        kinds = Counter(k for (k,) in self.all("SELECT kind FROM event WHERE application_id = %s", application_id))
        return {"status": status, "number": number, "events": dict(kinds),
                "documents": self.one("SELECT count(*) FROM document WHERE application_id = %s", application_id),
                "deadlines": self.one("SELECT count(*) FROM deadline WHERE application_id = %s", application_id),
                "outbox": dict(Counter(k for (k,) in self.all("SELECT kind FROM outbox WHERE application_id = %s",
                                                               application_id)))}


def stored_files(uploads: Path) -> dict[str, list[str]]:
    """Files under UPLOADS_DIR: the stored documents (by key) and anything else (.part leftovers); the drawn pages
    of previews (UPLOADS_DIR/previews, portal/documents/preview.py) are a cache, not documents."""
    files, other = [], []
    if uploads.exists():
        for path in uploads.rglob("*"):
            if path.is_file() and path.relative_to(uploads).parts[0] != "previews":
                (files if re.fullmatch(r"[0-9a-f]{32}", path.name) else other).append(path.name)
    return {"documents": sorted(files), "other": sorted(other)}


def files_match_rows(db: Database, uploads: Path) -> dict:
    """Files on disk against document rows: both sets, and what is on one side only."""
    on_disk = stored_files(uploads)
    keys = {k for (k,) in db.all("SELECT storage_key FROM document")}
    files = set(on_disk["documents"])
    return {"rows": len(keys), "files": len(files), "orphaned_files": sorted(files - keys),
            "rows_without_file": sorted(keys - files), "other_files": on_disk["other"]}


# --- HTTP as a browser does it -----------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: dict, body: bytes, ms: float):
        self.status, self.headers, self.body, self.ms = status, headers, body, ms

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return urlsplit(self.headers.get("location", "")).path if self.headers.get("location") else ""

    def csrf(self) -> str:
        token = Page(self.text).attr("input[name=csrf_token]", "value")
        assert token, f"no CSRF token in the answer ({self.status}): {self.text[:300]}"
        return token


class Stats:
    """Every request of a load: its step, status and time; what was not expected, with a snippet of the answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.unexpected: list[dict] = []
        self.timeline: list[tuple[float, str, int]] = []

    def add(self, step: str, status: int, ms: float, expected, body: bytes = b"", error: str = ""):
        with self.lock:
            self.statuses[step][status] += 1
            self.ms[step].append(ms)
            self.timeline.append((time.time(), step, status))
            if status not in expected:
                self.unexpected.append({"step": step, "status": status, "at": time.strftime("%H:%M:%S"),
                                        "error": error, "body": body[:400].decode("utf-8", "replace")})

    def total(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def summary(self) -> dict:
        def pct(values, p):
            values = sorted(values)
            return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 1) if values else None

        with self.lock:
            every = [ms for values in self.ms.values() for ms in values]
            statuses = Counter()
            for counter in self.statuses.values():
                statuses.update(counter)
            return {
                "requests": len(every), "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "server_errors": sum(v for k, v in statuses.items() if k >= 500),
                "connection_errors": statuses.get(0, 0), "unexpected": len(self.unexpected),
                "latency_ms": {"p50": pct(every, 50), "p95": pct(every, 95), "p99": pct(every, 99),
                               "max": round(max(every), 1) if every else None},
                "steps": {step: {"requests": len(self.ms[step]), "p50_ms": pct(self.ms[step], 50),
                                 "p95_ms": pct(self.ms[step], 95),
                                 "statuses": {str(k): v for k, v in sorted(self.statuses[step].items())}}
                          for step in sorted(self.ms)},
            }


class Browser:
    """One person's cookies and language; one connection per request (gunicorn's sync workers close it anyway)."""

    def __init__(self, base_url: str, lang: str = "ru", stats: Stats | None = None, timeout: float = 60):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.lang, self.stats, self.timeout = lang, stats, timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, step: str, fields: dict | list | None = None,
                files: dict | None = None, headers: dict | None = None, expect=(200,)) -> Response:
        headers = {"Accept-Language": self.lang, "User-Agent": "tyndau-faults", **(headers or {})}
        body = None
        if files:
            body, content_type = multipart(fields or {}, files)
            headers["Content-Type"] = content_type
        elif fields is not None:
            from urllib.parse import urlencode

            body = urlencode(fields, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            data = raw.read()
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data,
                                (time.perf_counter() - started) * 1000)
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                        self.cookies.pop(key.strip(), None)
                    else:
                        self.cookies[key.strip()] = val.strip()
        except (OSError, http.client.HTTPException) as exc:
            if self.stats:
                self.stats.add(step, 0, (time.perf_counter() - started) * 1000, expect, error=repr(exc))
            raise
        finally:
            connection.close()
        if self.stats:
            self.stats.add(step, response.status, response.ms, expect, response.body)
        return response

    def get(self, path: str, step: str, **kwargs) -> Response:
        return self.request("GET", path, step, **kwargs)

    def post(self, path: str, step: str, fields, **kwargs) -> Response:
        return self.request("POST", path, step, fields=fields, **kwargs)


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{item}\r\n").encode()
    for name, (filename, content, mime) in files.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {mime}\r\n\r\n").encode() + content + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


# --- the journeys ------------------------------------------------------------------------------

def log_in(browser: Browser, username: str, password: str) -> None:
    page = browser.get("/login", "login form")
    answer = browser.post("/login", "log in", {"csrf_token": page.csrf(), "username": username, "password": password},
                          expect=(302,))
    assert answer.status == 302, f"log-in of {username} answered {answer.status}"


def application_fields(csrf: str, version: str, n: int) -> dict:
    return {
        "csrf_token": csrf, "version": version, "kind": "accreditation",
        "legal_name": "ТОО «Altyn Hash»", "bin": GOOD_BIN, "legal_address": "Астана, пр. Мәңгілік Ел, 55",
        "pool_name": f"Altyn Hash Pool {n}",
        "main-settlement": "Астана", "main-address": "ул. Сығанақ, 10",
        "main-provider_1": "Kazakhtelecom", "main-provider_2": "Transtelecom",
        "backups-0-settlement": "Қарағанды", "backups-0-address": "ул. Ерубаева, 1",
        "backups-0-provider_1": "Kazakhtelecom", "backups-0-provider_2": "Beeline",
        "support_24_7": "y", "ui_languages": ["kk", "ru", "en"], "security_act_number": f"ИБ-2026/{n}",
        "security_act_date": "01.10.2026", "state_service_integration": "y", "consent_secrets": "y",
        "consent_personal_data": "y", "next": "next",
    }


def start_application(browser: Browser, n: int) -> int:
    """The cabinet, a new draft, the form filled in: the id of a draft waiting for its documents."""
    cabinet = browser.get("/cabinet", "cabinet")
    created = browser.post("/applications/new", "new draft", {"csrf_token": cabinet.csrf(), "kind": "accreditation"},
                           expect=(302,))
    application_id = int(re.search(r"/applications/(\d+)/edit", created.location).group(1))
    form = browser.get(created.location, "form")
    saved = browser.post(created.location, "save form",
                         application_fields(form.csrf(), Page(form.text).value("version"), n), expect=(302,))
    assert saved.location.endswith(f"/applications/{application_id}/documents"), saved.location
    return application_id


def missing_codes(page: Response) -> list[str]:
    return [item.removeprefix("doc-") for item in Page(page.text).attrs("li.checklist-item.missing", "id")]


def upload(browser: Browser, application_id: int, code: str, csrf: str, content: bytes = PDF,
           name: str = "document.pdf", step: str = "upload", expect=(200,)) -> Response:
    """One file for one item, as htmx posts it (the checklist comes back in place)."""
    return browser.request("POST", f"/applications/{application_id}/documents?code={code}", step,
                           fields={"csrf_token": csrf, "code": code, "expires_on": ""},
                           files={"file": (name, content, "application/pdf")},
                           headers={"HX-Request": "true", "HX-Target": "checklist"}, expect=expect)


def attach_all(browser: Browser, application_id: int) -> int:
    page = browser.get(f"/applications/{application_id}/documents", "documents")
    csrf, codes = page.csrf(), missing_codes(page)
    for code in codes:
        answer = upload(browser, application_id, code, csrf)
        assert answer.status == 200, answer.status
    return len(codes)


def submit(browser: Browser, application_id: int, step: str = "submit", expect=(302,), csrf: str | None = None
           ) -> Response:
    """The submit page and its button; with `csrf`, the same form posted again (a resubmission)."""
    if csrf is None:
        csrf = browser.get(f"/applications/{application_id}/submit", "submit page").csrf()
    return browser.post(f"/applications/{application_id}/submit", step, {"csrf_token": csrf, "submit": "submit"},
                        expect=expect)


def file_application(browser: Browser, n: int) -> int:
    """Applicant: the whole filing, through the forms, ending on the case page; the case's id."""
    application_id = start_application(browser, n)
    attach_all(browser, application_id)
    answer = submit(browser, application_id)
    assert answer.location == f"/applications/{application_id}", answer.location
    browser.get(answer.location, "case (applicant)")
    return application_id


def clerk_round(browser: Browser, known: list[int]) -> None:
    """Clerk: the queue, the queue filtered (htmx), a case and its completeness check."""
    queue_page = browser.get("/staff/cases", "queue")
    browser.get("/staff/cases?stage=registered", "queue filtered (htmx)",
                headers={"HX-Request": "true", "HX-Target": "queue-results"})
    ids = [int(href.removeprefix("/applications/")) for href in Page(queue_page.text).hrefs("/applications/")
           if href.removeprefix("/applications/").isdigit()]
    pool = known[-20:] or ids
    if not pool:
        return
    case_id = random.choice(pool)
    browser.get(f"/applications/{case_id}", "case (clerk)")
    if case_id in known:  # filed in this run: still registered, so its completeness check is open
        browser.get(f"/staff/cases/{case_id}/completeness", "completeness")


# --- a load at a steady rate ---------------------------------------------------------------------

class SteadyLoad:
    """Applicants filing and clerks reviewing, each journey started on a fixed schedule (an open model):
    a filing every `filing_every` seconds and a clerk's round every `clerk_every` seconds, whatever the
    answers' speed. Each journey borrows a logged-in person from a pool; a journey that finds nobody free
    starts late, and is counted as such."""

    def __init__(self, url: str, stats: Stats, filing_every: float = 2.0, clerk_every: float = 1.0,
                 applicants: int = 6, clerks: int = 3, lang: str = "ru"):
        self.url, self.stats = url, stats
        self.filing_every, self.clerk_every = filing_every, clerk_every
        self.applicants: queue.Queue = queue.Queue()
        self.clerks: queue.Queue = queue.Queue()
        self.filed: list[int] = []
        self.failures: list[str] = []
        self.late = 0
        self.counter = 0
        self.lock = threading.Lock()
        for _ in range(applicants):
            person = Browser(url, lang, stats)
            log_in(person, "applicant", "demo-applicant")
            self.applicants.put(person)
        for _ in range(clerks):
            person = Browser(url, lang, stats)
            log_in(person, "clerk", "demo-clerk")
            self.clerks.put(person)
        self.pool = ThreadPoolExecutor(max_workers=applicants + clerks)

    def count_into(self, stats: Stats) -> None:
        """From now on, every person's requests are counted in `stats` (after the warm-up, say)."""
        self.stats = stats
        for people in (self.applicants, self.clerks):
            for person in list(people.queue):
                person.stats = stats

    def _journey(self, people: queue.Queue, what):
        try:
            person = people.get_nowait()
        except queue.Empty:
            with self.lock:
                self.late += 1
            person = people.get()
        try:
            what(person)
        except Exception as exc:  # noqa: BLE001  (counted; the load goes on)
            with self.lock:
                self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            people.put(person)

    def _filing(self, person: Browser):
        with self.lock:
            self.counter += 1
            n = self.counter
        application_id = file_application(person, n)
        with self.lock:
            self.filed.append(application_id)

    def _round(self, person: Browser):
        with self.lock:
            known = list(self.filed)
        clerk_round(person, known)

    def run(self, seconds: float, tick=None, stop: threading.Event | None = None) -> None:
        """Start journeys on schedule for `seconds`, then wait for the last ones; tick(elapsed) every second."""
        started = time.monotonic()
        next_filing, next_round, next_tick = started, started, started
        futures = []
        while True:
            now = time.monotonic()
            if now - started >= seconds or (stop is not None and stop.is_set()):
                break
            if now >= next_filing:
                futures.append(self.pool.submit(self._journey, self.applicants, self._filing))
                next_filing += self.filing_every
            if now >= next_round:
                futures.append(self.pool.submit(self._journey, self.clerks, self._round))
                next_round += self.clerk_every
            if tick is not None and now >= next_tick:
                tick(now - started)
                next_tick += 1
            time.sleep(max(0.0, min(next_filing, next_round, next_tick) - time.monotonic()))
        for future in futures:
            future.result()

    def close(self):
        self.pool.shutdown(wait=True)


# --- a PostgreSQL cluster of the test's own (for the restart) -------------------------------------

def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                   key=lambda p: [int(x) for x in p.parent.name.split(".") if x.isdigit()])
    return found[-1] if found else None


class Cluster:
    """A throw-away cluster in /tmp on a free port, as run_production_check.sh makes one; may be restarted."""

    def __init__(self):
        self.bin = pg_bin()
        assert self.bin is not None, "PostgreSQL is not installed (apt-get install postgresql)"
        self.data = Path(tempfile.mkdtemp(prefix="tyndau-faults-pg."))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if self.root else list(args)
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> Cluster:
        if self.root:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"), "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


# --- a tiny SMTP relay ------------------------------------------------------------------------------

class SmtpRelay:
    """Just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to accept mail and keep it in memory."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[bytes] = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    def start(self) -> None:
        relay = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str):
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 faults.test ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-faults.test\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                        self.wfile.flush()
                    elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk in (b".\r\n", b".\n"):
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        with relay.lock:
                            relay.messages.append(bytes(data))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m.group(1).decode() for m in (re.search(rb"^Message-ID:\s*<([^>]+)>", raw, re.M | re.I)
                                                   for raw in self.messages) if m]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
