"""What every benchmark shares: the machine's description, a throw-away PostgreSQL, small helpers."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(command: list[str]) -> str | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else None


def machine() -> dict:
    """What the figures were measured on; the load average says how quiet the machine was."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    commit = _version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "hostname": platform.node(), "os": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
        "postgresql": _version([str(pg_bin() / "postgres"), "--version"]) if pg_bin() else None,
        "wrk": _version(["wrk", "--version"]), "commit": commit,
        "load_average": [float(x) for x in _read("/proc/loadavg").split()[:3]] or None,
    }


def load_average() -> list[float]:
    return [float(x) for x in _read("/proc/loadavg").split()[:3]]


def ensure_packages(commands: dict[str, str]) -> None:
    """Install the Debian packages of missing commands ({command: package}), as .ci/run does."""
    missing = sorted({package for command, package in commands.items()
                      if shutil.which(command) is None and not _pg_command(command)})
    if not missing:
        return
    log(f"installing {' '.join(missing)} (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env, stdout=subprocess.DEVNULL)


def _pg_command(command: str) -> bool:
    return command == "pg_ctl" and pg_bin() is not None


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")
                                                                         if x.isdigit()])
    return found[-1] if found else None


class Postgres:
    """A throw-away cluster in /tmp on its own port, as .ci/run makes one; stopped and removed at the end.

    Sized for this machine rather than for the defaults (shared buffers, WAL, no JIT for short queries);
    durability stays on.
    """

    SETTINGS = {
        "shared_buffers": "2GB", "effective_cache_size": "8GB", "work_mem": "16MB",
        "maintenance_work_mem": "512MB", "max_wal_size": "8GB", "checkpoint_timeout": "15min",
        "random_page_cost": "1.1", "jit": "off", "max_connections": "100",
    }

    # Below the kernel's ephemeral range (32768-60999): wrk's thousands of short connections use those
    # as source ports, and a server port taken by one of them for a moment makes pg_ctl fail.
    def __init__(self, port: int = 25440):
        self.port = port
        self.bin = pg_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.data = Path(tempfile.mkdtemp(prefix="tyndau-bench-pg-"))
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args, **kwargs):
        command = [str(a) for a in args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, **kwargs)

    def start(self) -> Postgres:
        if self.as_postgres:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", stdout=subprocess.DEVNULL)
        for attempt in range(5):
            self.port = free_port(self.port)
            options = " ".join([f"-p {self.port}", f"-k {self.data}", "-c listen_addresses=127.0.0.1",
                                *(f"-c {k}={v}" for k, v in self.SETTINGS.items())])
            try:
                self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.data / "server.log",
                          "-w", "start", stdout=subprocess.DEVNULL)
                return self
            except subprocess.CalledProcessError:
                self.port += 1  # taken meanwhile: the next one
        raise RuntimeError(f"PostgreSQL did not start; see {self.data / 'server.log'}")

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "stop", stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL)
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.data, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                              "-d", database, "-Atqc", statement], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def create(self, database: str) -> str:
        self.sql(f'DROP DATABASE IF EXISTS "{database}"')
        self.sql(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def drop(self, database: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{database}"')


def free_port(preferred: int) -> int:
    """`preferred` if nothing listens there, else the next free one (other clusters may run beside us)."""
    import socket

    for port in range(preferred, preferred + 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port from {preferred}")


def flask(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, **kwargs)


def app_env(database_url: str, instance: Path) -> dict:
    """The environment of the portal's processes in the benchmark: development mode, fixed secret key."""
    return {**os.environ, "DATABASE_URL": database_url, "TYNDAU_INSTANCE": str(instance),
            "SECRET_KEY": "bench-not-a-secret", "TYNDAU_ENV": "development", "PYTHONPATH": str(ROOT)}


def dump(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
