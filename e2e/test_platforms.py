"""The external integrated platform (Reacts-style) end to end, as `make run` has it: the
server (no VIDEO_PLATFORM_URL, base domain localhost) starts the local simulator; Marie's
Reacts teleconsultation booked, the server's in-process job creates the session and the
platform invites her; she opens her
invitation link on her phone, the platform's signed webhook reaches the server, and Dre
Julie Roy sees her in the waiting room with the camera icon to the platform; the slot
dialog offers "Cancel and rebook" instead of a move."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from playwright.async_api import expect

from app import clock
from app.booking.services import BookingDetails, BookingService
from app.listeners import make_bus
from app.platforms.tables import ExternalSession, SessionState
from app.scheduling.tables import Slot
from e2e.conftest import DESKTOP, PHONE, screenshot_path
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.staff_helpers import PASSWORD

JULIE = "julie.roy@demo.localhost"


async def book_reacts() -> tuple[int, int]:
    """Marie's Reacts teleconsultation: the seed's first such slot of today from now on."""
    clinic = await demo_lookup.clinic_id("demo")
    activity = await demo_lookup.activity_id(clinic, "Téléconsultation Reacts")
    now = clock.now()
    slot = await (
        Slot.select(Slot.id)
        .where(
            (Slot.activity == activity)
            & (Slot.state == "open")
            & (Slot.starts_at > now)
            & (Slot.starts_at < now + timedelta(hours=12))
        )
        .order_by(Slot.starts_at)
        .first()
    )
    assert slot, "the seed opens Reacts teleconsultations at 18:00 on weekdays"
    outcome = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        slot_id=slot["id"],
        details=BookingDetails(
            source="staff", patient_id=await demo_lookup.patient_id(clinic, "Tremblay")
        ),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    return outcome.appointment_id, slot["id"]


async def invitation(appointment_id: int) -> str:
    """The patient's link, once the server's in-process job has made the session."""
    for _ in range(150):  # the loop turns every two seconds
        row = await (
            ExternalSession.select(ExternalSession.patient_url)
            .where(
                (ExternalSession.appointment == appointment_id)
                & (ExternalSession.state == SessionState.CREATED.value)
            )
            .first()
        )
        if row:
            return row["patient_url"]
        await asyncio.sleep(0.1)
    raise AssertionError("the platform never made the session")


async def test_marie_connects_on_the_platform_and_waits_in_our_waiting_room(browser, live_server):
    server = live_server
    appointment_id, slot_id = await book_reacts()
    link = await invitation(appointment_id)
    phone = await browser.new_context(locale="fr-CA", viewport=PHONE, is_mobile=True)
    desk = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    marie, julie = await phone.new_page(), await desk.new_page()
    try:
        await marie.goto(link)
        await expect(marie.get_by_text("you are connected")).to_be_visible()
        await marie.screenshot(path=screenshot_path("reacts-patient-phone"), full_page=True)

        await julie.goto(server.url("/staff/sign-in"))
        await julie.get_by_label("Courriel").fill(JULIE)
        await julie.get_by_label("Mot de passe").fill(PASSWORD)
        await julie.get_by_role("button", name="Se connecter").click()
        await expect(julie.get_by_role("button", name="Se déconnecter")).to_be_visible()
        await julie.goto(server.url("/staff/waiting-room"))
        row = julie.locator(f"#waiting-{appointment_id}")
        await expect(row).to_contain_text("Marie Tremblay")
        camera = row.get_by_role(
            "link", name="Ouvrir l'appel avec Marie Tremblay (nouvelle fenêtre)"
        )
        await expect(camera).to_have_attribute(
            "href", f"/staff/platform-sessions/{appointment_id}/join"
        )
        await julie.screenshot(path=screenshot_path("reacts-waiting-room-desktop"), full_page=True)
        async with desk.expect_page() as opened:
            await camera.click()
        platform = await opened.value
        await expect(platform.get_by_text("Practitioner's side")).to_be_visible()
        await platform.close()

        await julie.goto(server.url(f"/staff/slots/{slot_id}"))
        await julie.get_by_text("Annuler et reprendre un rendez-vous").first.click()
        await expect(
            julie.get_by_role("button", name="Annuler et reprendre un rendez-vous")
        ).to_be_visible()
        await julie.screenshot(path=screenshot_path("reacts-rebook-desktop"), full_page=True)
        await julie.set_viewport_size(PHONE)
        await julie.screenshot(path=screenshot_path("reacts-rebook-phone"), full_page=True)
    finally:
        await phone.close()
        await desk.close()
