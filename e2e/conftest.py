"""Browser tests: live servers on free ports, Debian's Chromium, *.localhost hosts.

One server for the session (demo data seeded, schedules relative to today), plus a
second one on the same database whose holds last seconds, for the lapsed hold; and
two tiny websites on 127.0.0.1 (another site than *.localhost) that embed the widget:
one the demo clinic lists in its embed origins, one it does not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from conftest import CI, free_port, require, truncate_all

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}  # the smallest phone the portal supports
SHORT_HOLD_SECONDS = 4
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


@pytest.fixture(scope="session")
def browser_type_launch_args():
    require(f"Chromium at {CHROMIUM}", Path(CHROMIUM).exists() or bool(shutil.which(CHROMIUM)))
    return {"executable_path": CHROMIUM, "headless": True, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Montreal patient's browser: French first.
    return {**browser_context_args, "locale": "fr-CA", "viewport": PHONE}


@dataclass(frozen=True)
class Server:
    port: int
    process: subprocess.Popen

    def url(self, path: str = "/", clinic: str = "demo") -> str:
        return f"http://{clinic}.localhost:{self.port}{path}"

    def format(self, clinic: str) -> str:
        return f"http://{clinic}.localhost:{self.port}"


def start_server(name: str, **env: str) -> Server:
    """python -m app serve on a free port, on the suite's database; waits for /healthz."""
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / f"{name}.log", "w") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], cwd=ROOT, stdout=log, stderr=log,
            env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "BASE_DOMAIN": "localhost", **env},
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return Server(port, process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"the {name} server did not start; see e2e/artifacts/{name}.log")


def stop_server(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


class EmbeddingPage(BaseHTTPRequestHandler):
    """A clinic's own website: one page with the snippet given in ?snippet= pasted into it."""

    def do_GET(self):
        snippet = parse_qs(urlsplit(self.path).query).get("snippet", [""])[0]
        body = (
            "<!doctype html><html lang=fr><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            "<title>Clinique Démo : notre site</title></head><body style='margin:0;font-family:sans-serif'>"
            "<header style='padding:1rem;background:#222;color:#fff'><p style='margin:0'>Le site de la clinique</p></header>"
            f"<main><h1 style='padding:0 1rem'>Prendre rendez-vous en ligne</h1>{snippet}</main>"
            "<footer style='padding:1rem'>Pied de page du site</footer></body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture(scope="session")
def clinic_websites():
    """{"listed": origin, "unlisted": origin}: two websites on 127.0.0.1, which is
    another site than demo.localhost (so the portal's cookies are third-party there)."""
    servers = {name: ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingPage) for name in ("listed", "unlisted")}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {name: f"http://127.0.0.1:{server.server_address[1]}" for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
async def live_server(database, clinic_websites):
    """The real server on the suite's database, demo data seeded. The demo clinic lets
    the "listed" website embed its portal; that is set before the server starts,
    since the server caches each host's clinic."""
    from app.seed import seed
    from tenants.tables import Clinic

    await truncate_all()
    await seed()
    await Clinic.update({Clinic.embed_origins: clinic_websites["listed"]}).where(Clinic.slug == "demo")
    server = start_server("server")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def short_hold_server(live_server):
    """A second server on the same data whose holds lapse after a few seconds."""
    server = start_server("short-hold-server", HOLD_SECONDS=str(SHORT_HOLD_SECONDS))
    yield server
    stop_server(server)


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "postgres" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    return str(ARTIFACTS / f"{name}-{db}.png")


__all__ = ["CI", "DESKTOP", "NARROW", "PHONE", "SHORT_HOLD_SECONDS", "Server", "screenshot_path"]
