"""python -m bench [--backend sqlite|postgres] [--only engine]: run the benchmarks, print
a table, and merge the figures into bench/results.json.

Each benchmark module runs in its own process per backend and prints one JSON object
of figures; they land under the backend's name in results.json, key by key, so
figures other benchmarks wrote there are kept. To add a benchmark, add its module to
BENCHMARKS: it takes --backend and prints its figures as one JSON line on stdout
(bench.database.main does both).
Other options (--searches 500) are passed to every benchmark run: pair them with --only."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.database import BACKENDS, URLS

RESULTS = Path(__file__).resolve().parent / "results.json"
ROOT = RESULTS.parent.parent
# Benchmark name: module run as `python -m <module> --backend <backend>`.
BENCHMARKS = {
    "engine": "bench.engine",
    "messaging": "bench.messaging",
    "agenda": "bench.agenda",
    "live": "bench.live",
    "patients": "bench.patients",
    "signalling": "bench.signalling",
    "storm": "bench.storm",
    "faults": "bench.faults",
    "fuzz": "bench.fuzz",
}
# Figure: (target, "max", "min" or "exact"), checked in the table.
TARGETS = {
    "search_next5_p95_ms": (10, "max"),
    "search_next50_p95_ms": (25, "max"),
    "search_next5_daypart_p95_ms": (10, "max"),
    "search_next50_daypart_p95_ms": (25, "max"),
    "race_double_bookings": (0, "exact"),
    "messages_per_s": (300, "min"),
    "messages_duplicated": (0, "exact"),
    "messages_lost": (0, "exact"),
    "agenda_week_p95_ms": (50, "max"),
    "agenda_site_day_p95_ms": (50, "max"),
    "agenda_live_p95_ms": (500, "max"),  # one change to 50 open agendas, through Redis
    "agenda_live_missed": (0, "exact"),
    "patient_search_p95_ms": (20, "max"),  # the worst kind of query, 100,000 files
    "signalling_p95_ms": (50, "max"),  # 100 calls' signals, across two instances by Redis
    "signalling_missed": (0, "exact"),
    # 500 patients after 50 slots over HTTP (two instances behind HAProxy on PostgreSQL)
    "storm_booked": (50, "exact"),
    "storm_double_bookings": (0, "exact"),
    "storm_5xx": (0, "exact"),
    "faults_failed": (0, "exact"),  # each fault test injected and passed
    "fuzz_5xx": (0, "exact"),
    "fuzz_errors_logged": (0, "exact"),
    "fuzz_unescaped_echoes": (0, "exact"),
    "fuzz_foreign_clinic_leaks": (0, "exact"),
}
# Figures whose target depends on the backend (the storm's: two instances on PostgreSQL,
# the embedded default's one process on SQLite).
BACKEND_TARGETS = {
    "postgres": {"storm_holds_books_per_s": (500, "min"), "storm_hold_p95_ms": (1000, "max")},
    "sqlite": {"storm_holds_books_per_s": (300, "min"), "storm_hold_p95_ms": (2000, "max")},
}
SIGNS = {"max": "≤", "min": "≥", "exact": "="}


def target_of(key: str, backend: str) -> tuple | None:
    return BACKEND_TARGETS.get(backend, {}).get(key) or TARGETS.get(key)


RACE_EXPECTED = "race_slots"  # every raced slot ends booked exactly once


def run_one(module: str, backend: str, extra: list[str]) -> dict | None:
    command = [sys.executable, "-m", module, "--backend", backend, *extra]
    print(f"\n== {module} on {backend} ({URLS[backend]})", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        print(f"!! {module} on {backend} failed (exit {done.returncode})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def merge(results: dict, backend: str, figures: dict) -> None:
    results.setdefault(backend, {}).update(figures)


def verdict(key: str, value, row: dict, backend: str) -> str:
    if key == "race_bookings":
        return "ok" if value == row.get(RACE_EXPECTED) else "MISSED"
    found = target_of(key, backend)
    if found is None or not isinstance(value, (int, float)):
        return ""
    target, kind = found
    met = {"max": value <= target, "min": value >= target, "exact": value == target}[kind]
    return "ok" if met else "MISSED"


def table(results: dict, backends: list[str], keys: list[str]) -> str:
    width = max(len(k) for k in keys) + 2
    lines = [f"{'figure':{width}}" + "".join(f"{b:>22}" for b in backends) + "   target"]
    for key in keys:
        cells = []
        for backend in backends:
            row = results.get(backend, {})
            value = row.get(key, "-")
            mark = verdict(key, value, row, backend) if key in row else ""
            cells.append(f"{_show(value)}{' ' + mark if mark else '':>7}".rjust(22))
        targets = {b: target_of(key, b) for b in backends}
        shown = {f"{SIGNS[t[1]]} {t[0]}" for t in targets.values() if t}
        if len(shown) > 1:
            hint = " / ".join(f"{b} {SIGNS[t[1]]} {t[0]}" for b, t in targets.items() if t)
        else:
            hint = shown.pop() if shown else ("= race_slots" if key == "race_bookings" else "")
        lines.append(f"{key:{width}}" + "".join(cells) + f"   {hint}")
    return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, action="append", help="default: both")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="default: all")
    args, extra = parser.parse_known_args()  # the rest goes to each benchmark (e.g. --searches 500)
    backends = args.backend or list(BACKENDS)
    names = args.only or list(BENCHMARKS)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    measured: list[str] = []
    failed = False
    for backend in backends:
        for name in names:
            figures = run_one(BENCHMARKS[name], backend, extra)
            if figures is None:
                failed = True
                continue
            merge(results, backend, figures)
            measured += [k for k in figures if k not in measured]
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print()
    print(table(results, backends, measured))
    digests = {b: results.get(b, {}).get("search_digest") for b in backends}
    if len(set(digests.values())) > 1:
        print("\n!! the backends returned different search results:", digests)
        failed = True
    print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
