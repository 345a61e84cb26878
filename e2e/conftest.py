"""Browser tests: live servers on free ports, Debian's Chromium, *.localhost hosts.

One server for the session (demo data seeded), plus a second one on the same database
whose holds last seconds, for the lapsed hold; and two tiny websites on 127.0.0.1
(another site than *.localhost) that embed the widget: one the demo clinic lists in
its embed origins, one it does not.

Time: the servers inherit this process's CLOCK_OFFSET_SECONDS (see the root conftest),
so they, the seed and the tests share one clock, which starts the run on a Monday at
10:00 in Montreal and flows. Data: the servers are shared, so each test that books gets
a patient of its own (`patient`) whose family doctor sees nobody else, and opens that
doctor's slots (`follow_ups`): no test sees or takes another's."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import CI, free_port, require, truncate_all
from tests.integration.engine_fixtures import RECEPTION
from tests.moments import RUN_START

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}  # the smallest phone the portal supports
SHORT_HOLD_SECONDS = 4
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
    # The video call: a fake camera and microphone, granted without a prompt.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


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
            [sys.executable, "-m", "app", "serve"],
            cwd=ROOT,
            stdout=log,
            stderr=log,
            env={
                **os.environ,
                "PORT": str(port),
                "HOST": "127.0.0.1",
                "BASE_DOMAIN": "localhost",
                **env,
            },
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
            "<title>Clinique Démo : notre site</title></head><body style='margin:0;font-family:sans-serif'>"  # noqa: E501 - the text as read
            "<header style='padding:1rem;background:#222;color:#fff'><p style='margin:0'>Le site de la clinique</p></header>"  # noqa: E501 - the text as read
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
    servers = {
        name: ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingPage)
        for name in ("listed", "unlisted")
    }
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
    await Clinic.update({Clinic.embed_origins: clinic_websites["listed"]}).where(
        Clinic.slug == "demo"
    )
    server = start_server("server")
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def short_hold_server(live_server):
    """A second server on the same data whose holds lapse after a few seconds."""
    server = start_server("short-hold-server", HOLD_SECONDS=str(SHORT_HOLD_SECONDS))
    yield server
    stop_server(server)


MONDAY = RUN_START.astimezone(ZoneInfo("America/Montreal")).date()  # the run's first day
FOLLOW_UP_DAYS = (MONDAY + timedelta(days=2), MONDAY + timedelta(days=3))  # Wednesday, Thursday
FOLLOW_UP_HOURS = (clock_time(9), clock_time(12))  # six 30-minute follow-ups a day
_patients = itertools.count(1)


@dataclass(frozen=True)
class OwnPatient:
    """A demo patient with a file and a family doctor of her own (at centre-ville), so
    that "Follow-up with my family doctor" offers her that doctor's slots and no one
    else's. She types `who` on step 1 (no number: name, birth, sex and email match)."""

    who: dict
    doctor: str
    doctor_id: int
    patient_id: int
    clinic_id: int
    site_id: int
    activity_id: int  # "Suivi", 30 minutes, on site
    service_id: int  # "Follow-up with my family doctor"

    async def open_slots(self, day: date, start: clock_time, end: clock_time) -> list[int]:
        """Her doctor's follow-ups from `start` to `end` on `day`; their ids in order."""
        from app.listeners import make_bus
        from app.scheduling.services import SchedulingService
        from app.scheduling.tables import Slot

        opened = await SchedulingService(clinic_id=self.clinic_id, bus=make_bus()).open_manual(
            actor=RECEPTION,
            practitioner_id=self.doctor_id,
            site_id=self.site_id,
            activity_id=self.activity_id,
            day=day,
            start=start,
            end=end,
        )
        rows = (
            await Slot.select(Slot.id)
            .where(Slot.opening == opened.opening_id)
            .order_by(Slot.starts_at)
        )
        return [row["id"] for row in rows]


async def outlive_cached_settings() -> None:
    """The servers keep a clinic's sites and services a second (tenants.cache): a change a
    test writes to the database itself, not through the app, is in force once it is over."""
    from tenants import cache

    await asyncio.sleep(cache.SECONDS + 0.05)


def letters(number: int) -> str:
    """1 → "B", 12 → "BC": a name part that a name field accepts."""
    return "".join(chr(ord("A") + int(digit)) for digit in str(number))


@pytest.fixture
async def patient(live_server) -> OwnPatient:
    from app import clock
    from app.patients.tables import ContactDetail, Patient
    from app.scheduling.tables import Practitioner, PractitionerSite
    from tests.integration import demo_lookup

    tag = letters(next(_patients))
    clinic = await demo_lookup.clinic_id("demo")
    site = await demo_lookup.site_id(clinic, "centre-ville")
    doctor = Practitioner(
        clinic=clinic, name=f"Dre Claire Roy-{tag}", kind="gp", is_family_doctor=True
    )
    await doctor.save()
    await PractitionerSite(clinic=clinic, practitioner=doctor.id, site=site).save()
    email = f"marie.{tag.lower()}@example.org"
    file = Patient(
        clinic=clinic,
        first_name="Marie",
        last_name=f"Tremblay-{tag}",
        date_of_birth=date(1985, 4, 12),
        sex="F",
        family_doctor=doctor.id,
        created_at=clock.now(),
    )
    await file.save()
    await ContactDetail(
        clinic=clinic, patient=file.id, kind="email", value=email, position=1
    ).save()
    return OwnPatient(
        who={
            "first_name": "Marie",
            "last_name": file.last_name,
            "date_of_birth": "1985-04-12",
            "sex": "F",
            "health_insurance_number": "",
            "cell_phone": "",
            "email": email,
        },
        doctor=doctor.name,
        doctor_id=doctor.id,
        patient_id=file.id,
        clinic_id=clinic,
        site_id=site,
        activity_id=await demo_lookup.activity_id(clinic, "Suivi"),
        service_id=await demo_lookup.service_id(clinic, "Follow-up with my family doctor"),
    )


@pytest.fixture
async def follow_ups(patient) -> OwnPatient:
    """`patient`, with twelve follow-ups open: Wednesday and Thursday of the run's week,
    09:00 to 12:00, two days or more ahead (so they can still be cancelled)."""
    for day in FOLLOW_UP_DAYS:
        await patient.open_slots(day, *FOLLOW_UP_HOURS)
    return patient


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    db = "postgres" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    return str(ARTIFACTS / f"{name}-{db}.png")


__all__ = [
    "CI",
    "DESKTOP",
    "NARROW",
    "PHONE",
    "SHORT_HOLD_SECONDS",
    "OwnPatient",
    "Server",
    "screenshot_path",
]
