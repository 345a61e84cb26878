"""Browser tests: a live server on a free port, Debian's Chromium, *.localhost hosts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import CI, free_port, require, truncate_all

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    require(f"Chromium at {CHROMIUM}", Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)))
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Montreal patient's browser: French first.
    return {**browser_context_args, "locale": "fr-CA"}


@pytest.fixture(scope="session")
async def live_server(database):
    """The real server (python -m app serve) on the suite's database, demo data seeded."""
    from app.seed import seed

    await truncate_all()
    await seed()
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "BASE_DOMAIN": "localhost"}
    log = open(ARTIFACTS.mkdir(parents=True, exist_ok=True) or ARTIFACTS / "server.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail("the live server did not start; see e2e/artifacts/server.log")
    yield f"http://{{clinic}}.localhost:{port}"
    process.terminate()
    process.wait(timeout=10)
    log.close()


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "postgres" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    return str(ARTIFACTS / f"{name}-{db}.png")


__all__ = ["CI", "DESKTOP", "PHONE", "screenshot_path"]
