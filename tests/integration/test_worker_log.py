"""The worker's log as production writes it (LOG_FORMAT=json): `python -m jobs.worker`,
the command `make worker` and `make cluster` run, writes one JSON object per line, arq's
own lines (started, each job) included, like the web server's request log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.integration.private_services import ROOT, redis_server
from tests.processes import stop_process


def test_the_worker_writes_json_lines(tmp_path):
    database = f"sqlite:///{tmp_path / 'worker.db'}"
    env = {**os.environ, "DATABASE_URL": database, "LOG_FORMAT": "json"}
    subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = tmp_path / "worker.log"
    with redis_server() as redis, open(log, "w") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "jobs.worker"],
            cwd=ROOT,
            env={**env, "REDIS_URL": redis.url()},
            stdout=output,
            stderr=output,
        )
        try:
            deadline = time.monotonic() + 30
            # Started, and the dispatcher's cron job run at least once (it runs every second).
            while not ("Starting worker" in log.read_text() and "dispatch_due" in log.read_text()):
                assert worker.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
        finally:
            stop_process(worker, timeout=15)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {"ts", "level", "logger", "message"} <= set(lines[0])
    started = next(line for line in lines if "Starting worker" in line["message"])
    assert started["logger"] == "arq.worker" and started["level"] == "info"
    assert any("dispatch_due" in line["message"] for line in lines)
