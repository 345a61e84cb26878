"""PostgreSQL restarted under a running app (its own cluster, its own app process): while
the database is down, pages answer a clean 503 ("briefly unavailable", HTML) and
/healthz a 503 in JSON, never a 500; once it is back, the same process serves again,
without a restart of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import pytest

from tests import figures
from tests.integration.private_services import ROOT, app_process, postgres_cluster

pytestmark = pytest.mark.skipif(
    not os.environ["DATABASE_URL"].startswith("postgres"),
    reason="a PostgreSQL server's restart; runs in the PostgreSQL pass (SQLite has no server)",
)
DEMO = {"host": "demo.localhost"}
PAGES = ("/centre-ville/", "/laval/", "/staff/sign-in")
READ_THE_DATABASE = PAGES[:2]  # the sign-in page does not, and still shows


def prepare(database_url: str) -> None:
    """`make migrate` and `make seed` on the private cluster."""
    for command in ("migrate", "seed"):
        subprocess.run(
            [sys.executable, "-m", "app", command],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            check=True,
            capture_output=True,
            timeout=120,
        )


def wait_for(client: httpx.Client, status: int, path: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while client.get(path, headers=DEMO).status_code != status:
        assert time.monotonic() < deadline, f"{path} never answered {status}"
        time.sleep(0.2)


class Traffic:
    """Patients loading pages, one after the other, until stopped; every status kept."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: Counter = Counter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=DEMO, timeout=10) as client:
            n = 0
            while not self.stopping.is_set():
                n += 1
                try:
                    self.statuses[client.get(PAGES[n % len(PAGES)]).status_code] += 1
                except httpx.HTTPError as error:
                    self.statuses[type(error).__name__] += 1

    def __enter__(self) -> "Traffic":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=15)


def test_a_postgres_restart_is_a_clean_503_and_the_app_recovers_by_itself(tmp_path):
    with postgres_cluster() as postgres:
        prepare(postgres.url)
        with (
            app_process(tmp_path / "app.log", DATABASE_URL=postgres.url, LOG_FORMAT="json") as app,
            httpx.Client(base_url=app.url, timeout=10) as client,
        ):
            assert client.get("/centre-ville/", headers=DEMO).status_code == 200
            assert client.get("/healthz").json()["status"] == "ok"

            with Traffic(app.url) as during_restart:
                time.sleep(1)
                postgres.stop()
                time.sleep(1.5)
                # Down: each page says so cleanly, in the patient's language and the
                # site's layout; the load balancer reads JSON.
                for path in READ_THE_DATABASE:
                    down = client.get(path, headers=DEMO)
                    assert down.status_code == 503, (path, down.status_code)
                    assert down.headers["content-type"].startswith("text/html")
                    assert "Retry-After" in down.headers
                    assert "Briefly unavailable" in down.text or "indisponible" in down.text
                health = client.get("/healthz")
                assert health.status_code == 503
                assert health.json()["status"] == "down" and health.json()["database"] == "error"
                postgres.start()
                wait_for(client, 200, "/centre-ville/")
                time.sleep(1)

            assert client.get("/healthz").json()["status"] == "ok"
            for path in PAGES:
                assert client.get(path, headers=DEMO).status_code == 200
            # Through it all: pages or a clean 503, never a 500 nor a dropped connection.
            assert set(during_restart.statuses) <= {200, 503}, during_restart.statuses
            assert during_restart.statuses[503] >= 1 and during_restart.statuses[200] >= 1
            assert app.process.poll() is None  # the same process, never restarted

            # A second, quick restart (pg_ctl restart) while patients keep coming.
            with Traffic(app.url) as quick:
                time.sleep(0.5)
                postgres.stop()
                postgres.start()
                wait_for(client, 200, "/centre-ville/")
                time.sleep(0.5)
            print(
                f"statuses: stopped {dict(during_restart.statuses)}, restart {dict(quick.statuses)}"
            )
            figures.record(
                "postgres_restart",
                {"stopped": dict(during_restart.statuses), "restarted": dict(quick.statuses)},
            )
            assert set(quick.statuses) <= {200, 503}, quick.statuses
            assert client.get("/healthz").json()["status"] == "ok"
        log = (tmp_path / "app.log").read_text()
        assert '"status": 500' not in log and "unhandled error" not in log
