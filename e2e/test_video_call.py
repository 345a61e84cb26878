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
from e2e.portal import WORDS, assert_accessible, choose_service, hold_first_slot, identify
from tests.integration.staff_helpers import PASSWORD
from tests.integration.video_helpers import book_teleconsultation
from tests.moments import RUN_START

JULIE = "julie.roy@demo.localhost"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def slot_of(appointment_id: int) -> int:
    from app.booking.tables import Appointment

    row = await Appointment.select(Appointment.slot).where(Appointment.id == appointment_id)
    return row[0]["slot"]


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

        # The chat and a file, both ways, live through the room's socket.
        await marie.get_by_label("Message", exact=True).fill("Bonjour docteure")
        await marie.get_by_role("button", name="Envoyer").click()
        await expect(julie.locator(".chat-lines")).to_contain_text("Bonjour docteure")
        await julie.get_by_label("Message", exact=True).fill("Bonjour Marie, je vous entends.")
        await julie.get_by_role("button", name="Envoyer").click()
        await expect(marie.locator(".chat-lines")).to_contain_text("je vous entends")
        # Each post swaps the sender's panel: the file is chosen once the swap is in. Her
        # own line can arrive first by the room's socket, so wait for htmx's request to end
        # (the class goes with the swapped-out form); a file chosen before is swapped away.
        await expect(julie.locator(".chat-lines")).to_contain_text("je vous entends")
        await expect(julie.locator("#chat-panel .htmx-request")).to_have_count(0)
        await julie.get_by_label("Partager un fichier").set_input_files(
            {"name": "ordonnance.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        await julie.get_by_role("button", name="Partager", exact=True).click()
        await expect(marie.locator(".chat-lines")).to_contain_text("ordonnance.pdf")
        await expect(julie.locator(".chat-lines")).to_contain_text("ordonnance.pdf")
        await marie.get_by_label("Partager un fichier").set_input_files(
            {"name": "photo.png", "mimeType": "image/png", "buffer": PNG}
        )
        await marie.get_by_role("button", name="Partager", exact=True).click()
        await expect(julie.locator(".chat-lines")).to_contain_text("photo.png")

        await julie.get_by_role("button", name="Raccrocher").click()
        await expect(
            marie.get_by_role("heading", name="La consultation est terminée")
        ).to_be_visible()
        await expect(julie.get_by_role("status")).to_have_text("La consultation est terminée")
        await marie.screenshot(path=screenshot_path("call-ended-phone"), full_page=True)
        # Afterwards, the details page and the staff's view of the appointment keep them.
        await marie.goto(server.url(f"/a/{visit.token}"))
        for kept in ("Bonjour docteure", "je vous entends", "ordonnance.pdf", "photo.png"):
            await expect(marie.locator("main")).to_contain_text(kept)
        slot = await slot_of(visit.appointment_id)
        await julie.goto(server.url(f"/staff/slots/{slot}"))
        for kept in ("Bonjour docteure", "ordonnance.pdf", "photo.png"):
            await expect(julie.locator("main")).to_contain_text(kept)
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


async def test_marie_books_online_waits_and_is_accepted_from_the_waiting_room(
    browser, live_server, patient
):
    """The issue's path from the portal: a patient with a file books "Téléconsultation"
    online, and on the day (a server whose clock stands ten minutes before it) her
    details page leads her to the waiting room; Dre Julie Roy sees her in the staff
    waiting room, accepts, and the call window connects them."""
    from app.booking.tables import Appointment

    phone = await browser.new_context(
        locale="fr-CA", viewport=PHONE, is_mobile=True, has_touch=True
    )
    desk = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    marie = await phone.new_page()
    server = None
    try:
        await marie.goto(live_server.url("/centre-ville/"))
        await identify(marie, patient.who)
        await choose_service(marie, "Téléconsultation", "Toux depuis une semaine")
        await hold_first_slot(marie)
        await marie.get_by_role("button", name=WORDS["fr"]["book"]).click()
        details = await marie.get_by_role("link", name=WORDS["fr"]["view"]).get_attribute("href")
        booked = await (
            Appointment.select(Appointment.id, Appointment.starts_at)
            .where(Appointment.patient == patient.patient_id)
            .first()
        )
        ahead = (booked["starts_at"] - timedelta(minutes=10)) - clock.now()
        offset = float(os.environ["CLOCK_OFFSET_SECONDS"]) + ahead.total_seconds()
        server = start_server("booked-call-server", CLOCK_OFFSET_SECONDS=str(offset))

        await marie.goto(server.url(details))
        await marie.get_by_role("link", name="Rejoindre la salle d'attente").click()
        await marie.get_by_role("button", name="Tester ma caméra et mon micro").click()
        await expect(marie.get_by_text("Votre caméra et votre micro fonctionnent.")).to_be_visible()
        await marie.get_by_role("button", name="Rejoindre la salle d'attente").click()
        await expect(marie.get_by_role("status")).to_have_text(
            "Le professionnel va vous faire entrer"
        )

        julie = await desk.new_page()
        await julie.goto(server.url("/staff/sign-in"))
        await julie.get_by_label("Courriel").fill(JULIE)
        await julie.get_by_label("Mot de passe").fill(PASSWORD)
        await julie.get_by_role("button", name="Se connecter").click()
        await julie.goto(server.url("/staff/waiting-room"))
        name = f"{patient.who['first_name']} {patient.who['last_name']}"
        async with desk.expect_page() as opened:
            await julie.get_by_role("button", name=f"Accepter: {name}").click()
        window = await opened.value
        await remote_plays(window)
        await remote_plays(marie)
        await expect(marie.get_by_role("status")).to_have_text("Vous êtes en consultation.")
        await window.get_by_role("button", name="Raccrocher").click()
        await expect(
            marie.get_by_role("heading", name="La consultation est terminée")
        ).to_be_visible()
    finally:
        await phone.close()
        await desk.close()
        if server is not None:
            stop_server(server)
