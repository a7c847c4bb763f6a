"""`make bench`: every benchmark of issue 8, written to bench/results.json with a readable summary.

    make bench                         # pages and scale at 100,000 and 1,000,000 cases, sweep, signatures, rules
    make bench BENCH_CASES=100000      # a quicker run: the pages at 100,000 cases only
    BENCH_ONLY=signatures,rules make bench   # some of them (pages, sweep, signatures, rules)
    BENCH_SECONDS=20 BENCH_CONNECTIONS=16    # wrk's duration and connections per page (the issue's figures)

Each timing is compared, in the same run, with the limit of its own stack: pages with a bare route
served by the same gunicorn, the portal's signature check with a bare xmlsec verify, the rulesets
with the same checks in plain Python, the sweep at 1,000,000 open deadlines with the sweep at 100,000.
The machine (and its load average, since other work may share it) is recorded with every result.
PostgreSQL is a throw-away cluster in /tmp (Debian's package, as .ci/run makes one); wrk is installed
with apt-get when missing.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.common import ROOT, Postgres, dump, ensure_packages, load_average, log, machine

RESULTS = ROOT / "bench" / "results.json"
ALL = ("pages", "sweep", "signatures", "rules")


def settings() -> dict:
    raw = os.environ.get("BENCH_CASES") or os.environ.get("BENCH_SCALE") or "100000,1000000"
    cases = [int(x.replace("_", "")) for x in raw.replace(" ", ",").split(",") if x.strip()]
    only = [x.strip() for x in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",") if x.strip()]
    unknown = set(only) - set(ALL)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmarks {sorted(unknown)}; choose among {', '.join(ALL)}")
    return {"cases": cases, "only": only, "seconds": int(os.environ.get("BENCH_SECONDS", "20")),
            "connections": int(os.environ.get("BENCH_CONNECTIONS", "16"))}


def summary(results: list[dict]) -> str:
    lines = [f"{'benchmark':<84} {'figures':<52} {'ratio':>7}  result"]
    for r in results:
        f = r.get("figures", {})
        if r["name"].startswith("pages/"):
            text = f"{f['rps']:>7.1f} rps  p50 {f['p50_ms']:>6.1f}  p95 {f['p95_ms']:>6.1f}  p99 {f['p99_ms']:>6.1f} ms"
        elif r["name"].startswith("scale/"):
            text = f"{f['seconds']:>7.0f} s  ({f['cases_per_s']:,} cases/s, {f['database_bytes'] / 2**30:.1f} GiB)"
        elif r["name"].startswith("sweep/"):
            text = f"{f['median_seconds']:.3f} s for {f['due']:,} due among {f['open_deadlines']:,} open"
        elif r["name"] == "signatures":
            text = (f"portal {f['portal_ms']:.2f} ms, bare xmlsec {f['bare_ms']:.2f} ms per 100 KB document"
                    + (f"; GOST 2015-512 {f['gost_ms']:.1f} ms" if "gost_ms" in f else ""))
        elif r["name"] == "rules":
            text = f"{f['rules_cases_per_s']:,} cases/s (plain Python {f['plain_python_cases_per_s']:,})"
        else:
            text = r.get("error", "")[:52]
        verdict = {True: "PASS", False: "FAIL", None: "—"}[r.get("pass")]
        ratio = "" if r.get("ratio") is None else f"{r['ratio']:.3f}"
        lines.append(f"{r['name'][:84]:<84} {text:<52} {ratio:>7}  {verdict}")
        if r.get("pass") is False and r.get("target"):
            lines.append(f"{'':<84} target: {r['target']}")
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    options = settings()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if "pages" in options["only"] or "sweep" in options["only"]:
        ensure_packages({"wrk": "wrk", "pg_ctl": "postgresql"})
    host = machine()
    results: list[dict] = []
    document = {"generated": started, "settings": options, "machine": host, "benchmarks": results}

    def save():
        for r in results:
            r.setdefault("machine", host)
        document["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        document["load_average_at_end"] = load_average()
        dump(RESULTS, document)

    def attempt(name: str, fn) -> None:
        try:
            out = fn()
            results.extend(out if isinstance(out, list) else [out])
        except Exception as exc:  # noqa: BLE001 — one broken benchmark must not hide the others
            traceback.print_exc()
            results.append({"name": name, "figures": {}, "ratio": None, "target": "", "pass": False,
                            "error": f"{type(exc).__name__}: {exc}"})
        save()

    work = Path(tempfile.mkdtemp(prefix="tyndau-bench-"))
    if "pages" in options["only"] or "sweep" in options["only"]:
        pg = Postgres().start()
        log(f"PostgreSQL {pg.port} in {pg.data}")
        try:
            if "pages" in options["only"]:
                from bench import pages

                for cases in options["cases"]:
                    attempt(f"pages/{cases}", lambda cases=cases: pages.run(
                        pg, cases, work, options["seconds"], options["connections"]))
                    pg.drop(f"bench_{cases}")  # the next size needs the disk more
                pages.judge(results)
                save()
            if "sweep" in options["only"]:
                from bench import sweep

                attempt("sweep", lambda: sweep.run(pg))
        finally:
            pg.stop()
    if "signatures" in options["only"]:
        from bench import signatures

        attempt("signatures", signatures.run)
    if "rules" in options["only"]:
        from bench import rules

        attempt("rules", rules.run)
    save()
    print()
    print(summary(results))
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}; machine: {host['cpus']} × {host['cpu']}, "
          f"load average {host['load_average']} at the start, {document['load_average_at_end']} at the end.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
