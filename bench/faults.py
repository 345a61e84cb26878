"""Fault results: the suite's fault tests, run as a benchmark so their figures land in
bench/results.json beside the storm's.

`python -m bench.faults --backend sqlite|postgres` runs them under pytest (bench.suite):
an instance killed mid-storm behind HAProxy and PostgreSQL restarted under traffic (both
PostgreSQL only), Redis killed while 1,000 messages go out, the mail server refusing for a
minute, a worker killed holding a batch. Prints each one's outcome (passed, failed,
skipped) and what it measured, and how many failed."""

from __future__ import annotations

from bench.database import log, main
from bench.suite import run_tests

TESTS = "tests/integration/"
# Fault: the test that injects it (its figures are recorded under the fault's name).
FAULTS = {
    "instance_killed": TESTS + "test_cluster.py::"
    "test_an_instance_killed_mid_storm_costs_only_its_requests_in_flight",
    "postgres_restart": TESTS + "test_fault_postgres.py::"
    "test_a_postgres_restart_is_a_clean_503_and_the_app_recovers_by_itself",
    "redis_killed": TESTS + "test_fault_redis.py::"
    "test_redis_killed_mid_delivery_and_restarted_every_message_goes_once",
    "smtp_refusing": TESTS + "test_fault_smtp.py::"
    "test_a_mail_server_refusing_for_a_minute_loses_and_doubles_nothing",
    "worker_killed": TESTS + "test_messaging_workers.py::"
    "test_a_worker_killed_holding_a_batch_loses_nothing",
}
POSTGRES_ONLY = {"instance_killed", "postgres_restart"}


async def measure(args) -> dict:
    faults = [f for f in FAULTS if args.backend == "postgres" or f not in POSTGRES_ONLY]
    log(f"injecting {len(faults)} faults on {args.backend}: {', '.join(faults)}")
    run = await run_tests(args.backend, [FAULTS[f] for f in faults])
    results: dict = {}
    for fault in faults:
        results[f"fault_{fault}"] = run.outcomes.get(FAULTS[fault], "not run")
        for key, value in run.figures.get(fault, {}).items():
            results[f"fault_{fault}_{key}"] = value
    results["faults_failed"] = sum(results[f"fault_{f}"] != "passed" for f in faults)
    return results


if __name__ == "__main__":
    main(__doc__, measure)
