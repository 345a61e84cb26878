"""The built-in video call, in two real browsers (Chromium's fake camera and microphone):
Marie, on her phone, passes the device check and waits; Dre Julie Roy, at her desk,
opens the call window and accepts; each sees the other's video playing; Mute and Turn
camera off toggle; "Hang up" ends the call on both sides.

A server of its own runs ten minutes before the appointment (CLOCK_OFFSET_SECONDS moved
from the suite's), on the suite's database, so the room is open."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from app import clock
from e2e.conftest import DESKTOP, PHONE, screenshot_path, start_server, stop_server
from e2e.portal import assert_accessible
from tests.integration.staff_helpers import PASSWORD
from tests.integration.video_helpers import book_teleconsultation
from tests.moments import RUN_START

JULIE = "julie.roy@demo.localhost"
REMOTE_PLAYING = """() => { const v = document.getElementById('remote-video');
    return !!v && v.videoWidth > 0 && !v.paused && v.readyState >= 2; }"""


@pytest.fixture(scope="module")
async def call(live_server):
    """Marie Tremblay's teleconsultations with Julie Roy on the run's Monday at 19:00 and
    19:20 (after Julie's own blocks), and a server whose clock stands ten minutes before
    the first."""
    visit = await book_teleconsultation(RUN_START + timedelta(hours=9))
    # Another patient's visit right after, for the tests that leave its call unended.
    other = await book_teleconsultation(RUN_START + timedelta(hours=9, minutes=20))
    ahead = (visit.starts_at - timedelta(minutes=10)) - clock.now()
    offset = float(os.environ["CLOCK_OFFSET_SECONDS"]) + ahead.total_seconds()
    server = start_server("call-server", CLOCK_OFFSET_SECONDS=str(offset))
    yield visit, server, other
    stop_server(server)


async def remote_plays(page: Page) -> None:
    """The other side's video plays; where autoplay kept its sound off, the tap that
    turns it on does."""
    await page.wait_for_function(REMOTE_PLAYING, timeout=15000)
    sound = page.get_by_role("button", name="Activer le son")
    if await sound.is_visible():
        await sound.click()
        await expect(sound).to_be_hidden()
    assert await page.evaluate("() => !document.getElementById('remote-video').muted")


async def track_enabled(page: Page, kind: str) -> bool:
    return await page.evaluate(
        f"""() => document.getElementById('local-video').srcObject
            .get{kind}Tracks()[0].enabled"""
    )


async def test_a_teleconsultation_from_the_device_check_to_hang_up(browser, call):
    visit, server, _ = call
    phone = await browser.new_context(
        locale="fr-CA", viewport=PHONE, is_mobile=True, has_touch=True
    )
    desk = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    marie = await phone.new_page()
    julie = await desk.new_page()
    try:
        await marie.goto(server.url(visit.room))
        await expect(marie.get_by_role("heading", name="Consultation vidéo")).to_be_visible()
        await marie.get_by_role("button", name="Tester ma caméra et mon micro").click()
        await expect(marie.get_by_text("Votre caméra et votre micro fonctionnent.")).to_be_visible()
        await marie.wait_for_function(
            "() => document.getElementById('preview-video').videoWidth > 0"
        )
        await expect(marie.get_by_label("Caméra", exact=True)).to_be_visible()
        await assert_accessible(marie)
        await marie.screenshot(path=screenshot_path("call-device-check-phone"), full_page=True)

        await marie.get_by_role("button", name="Rejoindre la salle d'attente").click()
        await expect(marie.get_by_role("status")).to_have_text(
            "Le professionnel va vous faire entrer"
        )
        await expect(marie.locator("#waiting-room")).to_be_visible()
        await assert_accessible(marie)
        await marie.screenshot(path=screenshot_path("call-waiting-phone"), full_page=True)

        await julie.goto(server.url("/staff/sign-in"))
        await julie.get_by_label("Courriel").fill(JULIE)
        await julie.get_by_label("Mot de passe").fill(PASSWORD)
        await julie.get_by_role("button", name="Se connecter").click()
        await expect(julie.get_by_role("button", name="Se déconnecter")).to_be_visible()
        await julie.goto(server.url(f"/staff/calls/{visit.appointment_id}"))
        await expect(julie.locator("#call-state")).to_contain_text(
            "Le patient est dans la salle d'attente."
        )
        await julie.get_by_role("button", name="Accepter").click()

        await remote_plays(julie)
        await remote_plays(marie)
        await expect(marie.get_by_role("status")).to_have_text("Vous êtes en consultation.")
        await expect(marie.locator("#call-quality")).to_have_attribute("data-quality", "good")
        await marie.screenshot(path=screenshot_path("call-in-call-phone"), full_page=True)
        await julie.screenshot(path=screenshot_path("call-in-call-desktop"), full_page=True)

        mute = marie.get_by_role("button", name="Couper le micro")
        camera = marie.get_by_role("button", name="Couper la caméra")
        await mute.click()
        await expect(mute).to_have_attribute("aria-pressed", "true")
        assert await track_enabled(marie, "Audio") is False
        await camera.click()
        await expect(camera).to_have_attribute("aria-pressed", "true")
        assert await track_enabled(marie, "Video") is False
        await mute.click()
        await camera.click()
        await expect(mute).to_have_attribute("aria-pressed", "false")
        assert await track_enabled(marie, "Audio") and await track_enabled(marie, "Video")

        # Julie shows her screen in place of her camera (replaceTrack), then stops.
        share = julie.get_by_role("button", name="Partager mon écran")
        await share.click()
        await expect(share).to_have_attribute("aria-pressed", "true")
        await share.click()
        await expect(share).to_have_attribute("aria-pressed", "false")
        await remote_plays(marie)

        await julie.get_by_role("button", name="Raccrocher").click()
        await expect(
            marie.get_by_role("heading", name="La consultation est terminée")
        ).to_be_visible()
        await expect(julie.get_by_role("status")).to_have_text("La consultation est terminée")
        await marie.screenshot(path=screenshot_path("call-ended-phone"), full_page=True)
    finally:
        await phone.close()
        await desk.close()


@pytest.mark.parametrize(
    "error, said",
    [
        ("NotAllowedError", "Votre navigateur a bloqué la caméra ou le micro."),
        ("NotFoundError", "Aucune caméra ni aucun micro n'a été trouvé."),
    ],
)
async def test_a_blocked_or_missing_device_is_said_plainly(browser, call, error, said):
    """The browser refuses the devices (as after "Block" in its prompt, or with none
    plugged in): the page says what to do, in the patient's language."""
    _, server, visit = call
    context = await browser.new_context(locale="fr-CA", viewport=PHONE)
    await context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject("
        f"new DOMException('refused', '{error}'))"
    )
    page = await context.new_page()
    try:
        await page.goto(server.url(visit.room))
        await page.get_by_role("button", name="Tester ma caméra et mon micro").click()
        await expect(page.get_by_role("alert")).to_contain_text(said)
        await page.screenshot(path=screenshot_path(f"call-device-{error}-phone"))
    finally:
        await context.close()
