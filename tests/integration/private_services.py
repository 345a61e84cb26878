"""Servers of a test's own, on free ports, for the fault tests that stop and kill them:
a PostgreSQL cluster (initdb + pg_ctl in a temporary directory) and a redis-server. The
machine's PostgreSQL and Redis, which other suites use, are never touched; and an app
process (`python -m app serve`) on whichever the test chooses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx

from conftest import free_port, port_open, require
from tests.processes import stop_process

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROOT = Path(__file__).resolve().parents[2]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresCluster:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/clinic"

    def _pg_ctl(self, *args: str) -> None:
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "postgres.log")
        self._pg_ctl("-o", options, "-l", log, "-w", "-t", "30", "start")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    require(f"PostgreSQL binaries in {PG_BIN}", (PG_BIN / "initdb").exists())
    directory = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = PostgresCluster(directory, free_port())
    initdb = [str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres"]
    subprocess.run(
        _as_postgres([*initdb, "--auth=trust", "--no-sync"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster.start()
    try:
        subprocess.run(
            _as_postgres(
                [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "clinic"]
            ),
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: Redis dies as a crashed machine would, keeping nothing (no saves)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    require("redis-server", shutil.which("redis-server") is not None)
    directory = Path(tempfile.mkdtemp(prefix="clinic-redis-"))
    server = RedisServer(free_port(), directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class AppProcess:
    port: int
    process: subprocess.Popen
    log: Path
    env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@contextmanager
def app_process(log: Path, **env: str) -> Iterator[AppProcess]:
    """`python -m app serve` on a free port, with these settings over the suite's; waits
    until it answers /healthz (whatever it says there)."""
    port = free_port()
    settings = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", **env}
    with open(log, "w") as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=ROOT,
            stdout=output,
            stderr=output,
            env=settings,
        )
    running = AppProcess(port, process, log, env)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"the app exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "the app did not start"
            try:
                httpx.get(f"{running.url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield running
    finally:
        stop_process(process, timeout=10)
