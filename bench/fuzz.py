"""Fuzz totals: the suite's three fuzzers (the portal, the staff area, the inbound SMS
webhook; tests/integration/fuzz_budget.py) sending 10,000 requests between them.

`python -m bench.fuzz --backend sqlite|postgres [--requests N]` runs them under pytest, as
`make test` does with 1,000, on the benchmark's database and Redis (bench.suite),
counting instead of stopping at the first finding, and prints one JSON line: requests
sent, 5xx answers, errors logged, injected scripts echoed unescaped, answers naming
another clinic, and requests per second (one at a time)."""

from __future__ import annotations

from bench.database import log, main
from bench.suite import run_tests

FUZZERS = [
    "tests/integration/test_fuzz_portal.py::test_no_request_gets_a_5xx_or_logs_an_error",
    "tests/integration/test_fuzz_staff.py::test_no_staff_request_gets_a_5xx_or_logs_an_error",
    "tests/integration/test_sms_replies.py::test_well_signed_fuzzed_forms_never_get_a_5xx",
]


async def measure(args) -> dict:
    log(f"fuzzing with {args.requests} requests on {args.backend}")
    run = await run_tests(args.backend, FUZZERS, FUZZ_REQUESTS=str(args.requests))
    found = run.figures
    if set(found) != {"portal", "staff", "sms"}:
        raise SystemExit(
            f"the fuzzers did not all report (pytest exit {run.exit_code}): {sorted(found)}"
        )
    total = {key: sum(f[key] for f in found.values()) for key in next(iter(found.values()))}
    return {
        "fuzz_requests": total["requests"],
        "fuzz_5xx": total["server_errors"],
        "fuzz_errors_logged": total["errors_logged"],
        "fuzz_unescaped_echoes": total["unescaped_echoes"],
        "fuzz_foreign_clinic_leaks": total["foreign_clinic_leaks"],
        # Sent and checked one at a time; the set-up of the fuzzers' data is not counted.
        "fuzz_requests_per_s": round(total["requests"] / total["seconds"], 1),
        "fuzz_run_s": round(run.seconds, 1),  # the whole run, pytest's start-up included
        **{f"fuzz_{name}_requests": f["requests"] for name, f in found.items()},
    }


if __name__ == "__main__":
    main(__doc__, measure, requests=(10_000, "requests in all, shared by the three fuzzers"))
