"""`make faults`: load, faults and recovery (issue 8), the full length, with the figures in bench/faults.json.

Runs tests/production/test_faults.py — the same tests CI runs in `make test-production`, there with a 20-second
load — with a LOAD_SECONDS-long steady load (300 by default) and the SMTP relay down for FAULT_SMTP_DOWN_SECONDS
(90: long enough for a retry to fail too), on gunicorn with 2 workers, the sweeper and the outbox on PostgreSQL:

1. steady load of real journeys: no error answer, each worker's RSS at the end within 10% of its RSS after warm-up;
2. a gunicorn worker SIGKILLed mid-upload and mid-submission: no half-created application, no orphaned file
   (after `flask documents clean-orphans`), the retry succeeds once;
3. the sweeper SIGKILLed mid-batch: the next one finishes, no effect twice;
4. PostgreSQL restarted under load: 503 pages during the outage, the same workers answer again afterwards;
5. the SMTP relay unreachable: mails wait in the outbox and all go out once it is back, each once;
6. hostile previews under load (issue 15): PDF pages costing many seconds of CPU each, requested by several clients
   for FAULT_HOSTILE_SECONDS (60; CI 20): /healthz keeps answering, no worker dies, each page is tried once.

DATABASE_URL names the PostgreSQL server to use; without it a throw-away cluster is started (and removed).
The exit status is pytest's, so a failed check fails `make faults`. Writes bench/faults.json (not results.json,
which is `make bench`'s) and prints a summary.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "faults.json"


def _first_line(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else None


def machine() -> dict:
    from tests.production.faults_support import pg_bin

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
               platform.processor())
    mem_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    pg = pg_bin()
    return {"hostname": platform.node(), "os": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
            "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "postgresql": _first_line([str(pg / "postgres"), "--version"]) if pg else None,
            "commit": _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
            "load_average": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]}


def summary(results: dict) -> list[str]:
    lines = []
    load = results.get("steady_load")
    if load:
        rss = load["worker_rss_kb"]
        lines.append(f"steady load     {'ok ' if load['ok'] else 'FAIL'} {load['seconds']:.0f} s at "
                     f"{load['rate']['requests_per_s']} req/s, {load['requests']} requests "
                     f"({load['applications_filed']} applications filed), statuses {load['statuses']}, "
                     f"p50/p95/p99 {load['latency_ms']['p50']}/{load['latency_ms']['p95']}/{load['latency_ms']['p99']} ms; "
                     f"worker RSS growth after warm-up {rss['growth']} (limit {rss['tolerance']:.0%})")
    kill = results.get("worker_killed")
    if kill:
        lines.append(f"worker killed   {'ok ' if kill['ok'] else 'FAIL'} mid-write, before the row's commit and "
                     f"mid-submission; clean-orphans removed {kill.get('clean_orphans', {}).get('removed')} file(s); "
                     f"after the retry: {kill.get('after_retry', {}).get('events')}")
    sweep = results.get("sweeper_killed")
    if sweep:
        lines.append(f"sweeper killed  {'ok ' if sweep['ok'] else 'FAIL'} {sweep.get('open_deadlines')} due deadlines, "
                     f"killed after {sweep.get('killed_after_s')} s with {sweep.get('at_kill', {}).get('effects')} "
                     f"committed; at the end {sweep.get('at_end', {}).get('effects')}, effects twice "
                     f"{sweep.get('at_end', {}).get('effect_keys_twice')}, events twice {sweep.get('events_twice')}, "
                     f"mails twice {sweep.get('mails_twice')}")
    restart = results.get("postgresql_restart")
    if restart:
        lines.append(f"postgres restart {'ok ' if restart['ok'] else 'FAIL'} outage {restart['outage_seconds']} s, "
                     f"statuses {restart['statuses']}, answered again {restart['recovered_after_s']} s after, "
                     f"same workers {restart['workers_before'] == restart['workers_after']}; loops {restart['loops']}")
    smtp = results.get("smtp_unreachable")
    if smtp:
        lines.append(f"smtp down       {'ok ' if smtp['ok'] else 'FAIL'} {smtp.get('down_seconds')} s down, "
                     f"{smtp.get('mails')} mails sent {smtp.get('delivered_after_s')} s after it was back, "
                     f"received {smtp.get('received')}, twice {smtp.get('received_twice')}, attempts {smtp.get('attempts')}")
    hostile = results.get("hostile_preview")
    if hostile:
        healthz = hostile.get("healthz", {})
        lines.append(f"hostile preview {'ok ' if hostile['ok'] else 'FAIL'} {hostile.get('seconds')} s of "
                     f"{hostile.get('previews', {}).get('requests')} requests for {hostile.get('hostile_pages')} "
                     f"costly pages: /healthz {healthz.get('requests')} answers {healthz.get('statuses')}, slowest "
                     f"{healthz.get('max_s')} s; pages marked unavailable {len(hostile.get('pages_marked_unavailable', []))}, "
                     f"same workers {hostile.get('workers_before') == hostile.get('workers_after')}")
    return lines


def main() -> int:
    from tests.production.faults_support import Cluster

    settings = {"LOAD_SECONDS": os.environ.get("LOAD_SECONDS", "300"),
                "FAULT_SMTP_DOWN_SECONDS": os.environ.get("FAULT_SMTP_DOWN_SECONDS", "90"),
                "FAULT_HOSTILE_SECONDS": os.environ.get("FAULT_HOSTILE_SECONDS", "60")}
    OUT.write_text(json.dumps({"machine": machine(), "settings": settings}, indent=2) + "\n", encoding="utf-8")
    env = {**os.environ, **settings, "PRODUCTION_CHECK": "1", "FAULTS_JSON": str(OUT)}
    cluster = None
    started = time.monotonic()
    try:
        if not env.get("DATABASE_URL", "").startswith(("postgresql", "postgres:")):
            cluster = Cluster().init()
            env["DATABASE_URL"] = cluster.url
            print(f"== a throw-away PostgreSQL cluster on port {cluster.port}", flush=True)
        print(f"== load, faults and recovery ({settings['LOAD_SECONDS']} s of load): tests/production/test_faults.py",
              flush=True)
        code = subprocess.run([sys.executable, "-m", "pytest", "tests/production/test_faults.py", "-p",
                               "no:cacheprovider", "-v", "-rfE", *sys.argv[1:]], cwd=ROOT, env=env).returncode
    finally:
        if cluster is not None:
            cluster.remove()
    data = json.loads(OUT.read_text(encoding="utf-8"))
    data.update({"passed": code == 0, "pytest_exit_status": code, "minutes": round((time.monotonic() - started) / 60, 1)})
    OUT.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print("\n== bench/faults.json")
    for line in summary(data.get("results", {})):
        print("  " + line)
    return code


if __name__ == "__main__":
    sys.exit(main())
