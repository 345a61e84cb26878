"""Fuzz totals: the suite's three fuzzers (the portal, the staff area, the inbound SMS
webhook; tests/integration/fuzz_budget.py) sending 10,000 requests between them.

`python -m bench.fuzz --backend sqlite|postgres [--requests N]` runs them under pytest, as
`make test` does with 1,000, on the benchmark's database (PostgreSQL's `bench`, or a
temporary SQLite file) and Redis, counting instead of stopping at the first finding, and
prints one JSON line: requests sent, 5xx answers, errors logged, injected scripts echoed
unescaped, answers naming another clinic, and requests per second (one at a time)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.database import URLS, log, main

ROOT = Path(__file__).resolve().parent.parent
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
FUZZERS = [
    "tests/integration/test_fuzz_portal.py::test_no_request_gets_a_5xx_or_logs_an_error",
    "tests/integration/test_fuzz_staff.py::test_no_staff_request_gets_a_5xx_or_logs_an_error",
    "tests/integration/test_sms_replies.py::test_well_signed_fuzzed_forms_never_get_a_5xx",
]


async def measure(args) -> dict:
    report = Path(tempfile.mkdtemp(prefix="bench-fuzz-")) / "report.json"
    env = {
        **os.environ,
        "FUZZ_REQUESTS": str(args.requests),
        "FUZZ_REPORT": str(report),
        "TEST_REDIS_URL": BENCH_REDIS_URL,
        "TEST_MESSAGING_REDIS_URL": BENCH_REDIS_URL,
    }
    env.pop("DATABASE_URL", None)  # the suite's conftest chooses from TEST_DATABASE_URL
    if args.backend == "postgres":
        from app.db import create_postgres_database

        await create_postgres_database(URLS["postgres"])
        env["TEST_DATABASE_URL"] = URLS["postgres"]
    else:
        env.pop("TEST_DATABASE_URL", None)  # a temporary SQLite file of the suite's own
    log(f"fuzzing with {args.requests} requests on {args.backend}")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        *FUZZERS,
        cwd=ROOT,
        env=env,
        stdout=sys.stderr.fileno(),  # stdout carries only the figures
    )
    code = await process.wait()
    seconds = time.perf_counter() - started
    found = json.loads(report.read_text()) if report.exists() else {}
    if set(found) != {"portal", "staff", "sms"}:
        raise SystemExit(f"the fuzzers did not all report (pytest exit {code}): {sorted(found)}")
    total = {key: sum(f[key] for f in found.values()) for key in next(iter(found.values()))}
    return {
        "fuzz_requests": total["requests"],
        "fuzz_5xx": total["server_errors"],
        "fuzz_errors_logged": total["errors_logged"],
        "fuzz_unescaped_echoes": total["unescaped_echoes"],
        "fuzz_foreign_clinic_leaks": total["foreign_clinic_leaks"],
        # Sent and checked one at a time; the set-up of the fuzzers' data is not counted.
        "fuzz_requests_per_s": round(total["requests"] / total["seconds"], 1),
        "fuzz_run_s": round(seconds, 1),  # the whole run, pytest's start-up included
        **{f"fuzz_{name}_requests": f["requests"] for name, f in found.items()},
    }


if __name__ == "__main__":
    main(__doc__, measure, requests=(10_000, "requests in all, shared by the three fuzzers"))
