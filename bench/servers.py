"""Real app processes for the benchmarks: `python -m app serve` on a free port, on the
benchmark database chosen by bench.database.use()."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time as timer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET_KEY = "bench-secret-key-not-for-production"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start_server(port: int, **env: str) -> subprocess.Popen:
    """An app instance on `port` sharing the benchmarks' Redis and secret key; waits for
    /healthz. `env` adds or overrides settings (an empty value removes one)."""
    import httpx

    environment = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY,
        "BASE_DOMAIN": "localhost",
        **env,
    }
    environment.pop("CLOCK_OFFSET_SECONDS", None)
    environment = {k: v for k, v in environment.items() if v != ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = timer.monotonic() + 30
    async with httpx.AsyncClient() as probe:
        while timer.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return server
            await asyncio.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
