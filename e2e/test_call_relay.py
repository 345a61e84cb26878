"""A video call in two real browsers through a real TURN relay, and a call whose two sides
are on two app instances sharing the database and Redis.

Relayed: both browsers are made to use relay candidates only (iceTransportPolicy
"relay", as a browser behind a firewall that lets no direct traffic through is left with
them), so the call connects only if the TURN credentials the server minted for each socket
are accepted by coturn (tests/coturn.py, the `turn_server` fixture) and the media flow
through it; the selected candidate pair is checked to be relay on both sides. The policy
is set from the test, by wrapping RTCPeerConnection before the page's script runs: the
app has no test-only switch for it.

Two instances: the patient's page and socket are on one server, the practitioner's on
another; signals and the room's state cross between them by Redis pub/sub.

The servers (module fixtures) run on the suite's database with ICE_SERVERS naming the test
coturn and TURN_SECRET its secret, REDIS_URL the suite's Redis, and a clock ten minutes
before the teleconsultations the tests book (each for a patient and practitioner of its
own). coturn checks credentials against the machine's real clock: the suite's clock is
ahead of it, so minted expiries are in coturn's future."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from conftest import REDIS_TEST_URL, port_open, require
from e2e.conftest import (
    ARTIFACTS,
    DESKTOP,
    MONDAY,
    PHONE,
    OwnPatient,
    screenshot_path,
    start_server,
    stop_server,
)
from tests.integration.engine_fixtures import RECEPTION

CALL_DAY = MONDAY + timedelta(days=1)  # Tuesday of the run's week
CALL_AT = clock_time(14, 0)
STARTS_AT = datetime.combine(CALL_DAY, CALL_AT, tzinfo=ZoneInfo("America/Montreal"))
CONNECTED_MS = 30_000

# Before the page's own script: every RTCPeerConnection it makes is kept (for getStats)
# and, with `relay`, uses relay candidates only.
WRAP = """
(relay) => {
  const Native = window.RTCPeerConnection;
  window.__calls = [];
  window.RTCPeerConnection = function (config, ...rest) {
    const settings = Object.assign({}, config || {}, relay ? { iceTransportPolicy: "relay" } : {});
    const pc = new Native(settings, ...rest);
    window.__calls.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
}
"""

# The connection in use: its selected candidate pair, once media arrive over it.
SELECTED_PAIR = """
async () => {
  const pc = (window.__calls || []).filter((c) => c.connectionState !== "closed").pop();
  if (!pc) return null;
  const report = await pc.getStats();
  let pair = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) {
      pair = report.get(s.selectedCandidatePairId);
    }
  });
  if (!pair || pair.state !== "succeeded" || !pair.bytesReceived) return null;
  const local = report.get(pair.localCandidateId);
  const remote = report.get(pair.remoteCandidateId);
  return { local: local.candidateType, remote: remote.candidateType, url: local.url || "",
           state: pc.connectionState };
}
"""


@dataclass(frozen=True)
class Teleconsultation:
    appointment_id: int
    token: str


async def book_teleconsultation(patient: OwnPatient) -> Teleconsultation:
    """A built-in teleconsultation at CALL_AT on CALL_DAY with the patient's own doctor."""
    from app.booking.links import make_token
    from app.booking.services import BookingDetails, BookingService
    from app.listeners import make_bus
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Slot
    from app.settings import load
    from tests.integration import demo_lookup

    activity = await demo_lookup.activity_id(patient.clinic_id, "Téléconsultation")
    opened = await SchedulingService(clinic_id=patient.clinic_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=patient.doctor_id,
        site_id=patient.site_id,
        activity_id=activity,
        day=CALL_DAY,
        start=CALL_AT,
        end=clock_time(14, 20),
    )
    slot = await Slot.objects().get(Slot.opening == opened.opening_id)
    outcome = await BookingService(clinic_id=patient.clinic_id, bus=make_bus()).staff_book(
        actor=RECEPTION,
        slot_id=slot.id,
        details=BookingDetails(source="staff", patient_id=patient.patient_id),
    )
    assert outcome.ok, outcome
    token = make_token(load().secret_key, outcome.appointment_id, slot.ends_at)
    return Teleconsultation(outcome.appointment_id, token)


def call_clock_offset() -> str:
    """CLOCK_OFFSET_SECONDS for a server whose clock stands ten minutes before the calls."""
    from app import clock

    ahead = (STARTS_AT - timedelta(minutes=10) - clock.now()).total_seconds()
    return str(float(os.environ["CLOCK_OFFSET_SECONDS"]) + ahead)


@pytest.fixture(scope="module")
def call_servers(live_server, turn_server):
    """Two instances ("call-a", "call-b") sharing the database and Redis, with TURN."""
    require("Redis at 127.0.0.1:6379", port_open("127.0.0.1", 6379))
    env = {
        "ICE_SERVERS": f"stun:{turn_server.host}:{turn_server.port} {turn_server.url}",
        "TURN_SECRET": turn_server.secret,
        "REDIS_URL": REDIS_TEST_URL,
        "CLOCK_OFFSET_SECONDS": call_clock_offset(),
    }
    servers = [start_server(name, **env) for name in ("call-a", "call-b")]
    yield servers
    for server in servers:
        stop_server(server)


async def staff_window(browser: Browser, server, appointment_id: int, *, relay: bool) -> Page:
    context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    page = await context.new_page()
    await page.add_init_script(script=f"({WRAP})({'true' if relay else 'false'})")
    await page.goto(server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill("admin@demo.localhost")
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    await page.goto(server.url(f"/staff/calls/{appointment_id}"))
    return page


async def patient_room(browser: Browser, server, token: str, *, relay: bool) -> Page:
    context = await browser.new_context(locale="fr-CA", viewport=PHONE)
    page = await context.new_page()
    await page.add_init_script(script=f"({WRAP})({'true' if relay else 'false'})")
    await page.goto(server.url(f"/a/{token}/room"))
    await page.locator("#join-room").click()
    await expect(page.locator("#waiting-room")).to_be_visible()
    return page


async def accept_and_connect(patient: Page, staff: Page) -> list[dict]:
    """The practitioner accepts; both sides' remote video plays. Each side's selected pair."""
    await staff.locator(".call-accept button").click()
    pairs = []
    for page in (patient, staff):
        await page.wait_for_function(
            "() => { const v = document.getElementById('remote-video');"
            " return v && v.videoWidth > 0 && v.currentTime > 0; }",
            timeout=CONNECTED_MS,
        )
        pairs.append(await selected_pair(page))
    return pairs


async def selected_pair(page: Page) -> dict:
    """Polled here: wait_for_function does not wait for an async predicate's value."""
    for _ in range(CONNECTED_MS // 250):
        pair = await page.evaluate(SELECTED_PAIR)
        if pair:
            return pair
        await page.wait_for_timeout(250)
    raise AssertionError(f"no media over a selected candidate pair at {page.url}")


async def hang_up(patient: Page, staff: Page) -> None:
    await staff.locator("#call-hangup").click()
    await expect(patient.locator("#call-ended")).to_be_visible()
    await staff.context.close()
    await patient.context.close()


async def test_a_call_through_the_turn_relay(browser: Browser, call_servers, patient, turn_server):
    server = call_servers[0]
    call = await book_teleconsultation(patient)
    room = await patient_room(browser, server, call.token, relay=True)
    window = await staff_window(browser, server, call.appointment_id, relay=True)
    pairs = await accept_and_connect(room, window)
    for pair in pairs:
        assert (pair["local"], pair["remote"]) == ("relay", "relay"), pairs
        assert f"{turn_server.host}:{turn_server.port}" in pair["url"], pairs
    await room.screenshot(path=screenshot_path("call-relayed-patient-phone"))
    await window.screenshot(path=screenshot_path("call-relayed-staff-desktop"))
    await hang_up(room, window)
    # The patient's socket is under her details link: the server's log keeps no token.
    log = (ARTIFACTS / "call-a.log").read_text()
    assert "/room/ws" in log and call.token not in log


async def test_a_call_across_two_instances(browser: Browser, call_servers, patient):
    """The patient on one instance, the practitioner on the other: the accept, every
    signal and the hang-up cross by Redis (and the media go straight between the browsers)."""
    first, second = call_servers
    call = await book_teleconsultation(patient)
    window = await staff_window(browser, second, call.appointment_id, relay=False)
    await expect(window.locator(".call-accept button")).to_have_count(0)  # nobody waits yet
    room = await patient_room(browser, first, call.token, relay=False)
    await expect(window.locator(".call-accept button")).to_be_visible()  # her arrival crossed
    pairs = await accept_and_connect(room, window)
    assert all(pair["state"] == "connected" for pair in pairs), pairs
    await window.screenshot(path=screenshot_path("call-two-instances-staff-desktop"))
    await hang_up(room, window)
