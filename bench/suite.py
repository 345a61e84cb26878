"""Tests of the suite run as benchmarks (bench.fuzz, bench.faults): pytest in a process of
its own, on the benchmark's database (PostgreSQL's `bench`, or a temporary SQLite file of
the suite's) and Redis, each test adding what it measured to a report (tests.figures)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from bench.database import URLS

ROOT = Path(__file__).resolve().parent.parent
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


@dataclass(frozen=True)
class SuiteRun:
    exit_code: int
    seconds: float
    figures: dict[str, dict]  # test's name for its figures: the figures
    outcomes: dict[str, str]  # test id: passed, failed or skipped


async def run_tests(backend: str, test_ids: list[str], **env: str) -> SuiteRun:
    import tests.figures

    folder = Path(tempfile.mkdtemp(prefix="bench-suite-"))
    report, junit = folder / "figures.json", folder / "junit.xml"
    settings = {
        **os.environ,
        **env,
        "FIGURES_REPORT": str(report),
        "TEST_REDIS_URL": BENCH_REDIS_URL,
        "TEST_MESSAGING_REDIS_URL": BENCH_REDIS_URL,
    }
    settings.pop("DATABASE_URL", None)  # the suite's conftest chooses from TEST_DATABASE_URL
    if backend == "postgres":
        from app.db import create_postgres_database

        await create_postgres_database(URLS["postgres"])
        settings["TEST_DATABASE_URL"] = URLS["postgres"]
    else:
        settings.pop("TEST_DATABASE_URL", None)
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"),
        *(f"--junitxml={junit}", *test_ids),
        cwd=ROOT,
        env=settings,
        stdout=sys.stderr.fileno(),  # stdout carries only the figures
    )
    code = await process.wait()
    return SuiteRun(
        exit_code=code,
        seconds=time.perf_counter() - started,
        figures=tests.figures.read(report),
        outcomes=_outcomes(junit),
    )


def _outcomes(junit: Path) -> dict[str, str]:
    if not junit.exists():
        return {}
    outcomes = {}
    for case in ElementTree.parse(junit).iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        kinds = {child.tag for child in case}
        outcome = (
            "failed"
            if kinds & {"failure", "error"}
            else "skipped"
            if "skipped" in kinds
            else "passed"
        )
        outcomes[f"{path}::{case.get('name')}"] = outcome
    return outcomes
