"""The production check's machinery: a PostgreSQL database, the processes of the Procfile, waiting
for them; shared by the setup check and the fault drill."""
from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from portal.signatures.pki import DEMO_AUTHORITY, DEMO_PROVIDER


ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "test-output" / "production"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
WORKERS = 2
LOOP_SECONDS = 2
# SIGTERM ends gunicorn gracefully (exit 0) and the flask loops by the signal itself.
CLEAN_EXIT = (0, -signal.SIGTERM)


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
