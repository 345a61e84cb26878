"""The call's chat panel in a real browser (issue 13), on its own page (`…/room/chat`,
what the call page loads into its chat section), on the run's flowing clock: a
teleconsultation ten minutes away, so the room is open. The patient writes, shares a
file, is told at once that a file is too big and by the server that a renamed one is
not a PDF; the other side's lines arrive as the room:chat / room:file events call.js
dispatches; after the call the details page lists it all."""

from __future__ import annotations

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from app import clock
from app.booking.links import make_token
from app.booking.services import BookingDetails, BookingService
from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.video.tables import CallFile, CallMessage
from e2e.conftest import DESKTOP, OwnPatient, screenshot_path
from e2e.portal import assert_accessible, check_page
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def teleconsultation_soon(patient: OwnPatient) -> dict:
    """The patient's teleconsultation (built-in platform) with her doctor, ten minutes
    from now (the room opens 30 minutes before)."""
    zone = ZoneInfo("America/Montreal")
    start = (clock.now() + timedelta(minutes=10)).astimezone(zone).replace(second=0, microsecond=0)
    start += timedelta(minutes=5 - start.minute % 5)
    video = await demo_lookup.activity_id(patient.clinic_id, "Téléconsultation")
    opened = await SchedulingService(clinic_id=patient.clinic_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=patient.doctor_id,
        site_id=patient.site_id,
        activity_id=video,
        day=start.date(),
        start=start.time(),
        end=(start + timedelta(minutes=20)).time(),
    )
    slot = await Slot.select(Slot.id, Slot.ends_at).where(Slot.opening == opened.opening_id).first()
    booked = await BookingService(clinic_id=patient.clinic_id, bus=make_bus()).staff_book(
        actor=RECEPTION,
        slot_id=slot["id"],
        details=BookingDetails(source="staff", patient_id=patient.patient_id, language="fr"),
    )
    assert booked.ok, booked
    token = make_token(os.environ["SECRET_KEY"], booked.appointment_id, slot["ends_at"])
    return {"id": booked.appointment_id, "url": f"/a/{token}", "slot": slot["id"]}


async def test_the_patient_chats_and_shares_files_in_the_panel(
    page: Page, live_server, patient, tmp_path
):
    call = await teleconsultation_soon(patient)
    await page.goto(live_server.url(call["url"] + "/room/chat"))
    await expect(page.get_by_role("heading", name="Discussion")).to_be_visible()
    await expect(page.get_by_text("Aucun message pour l'instant.")).to_be_visible()

    # A message, by keyboard: the panel is swapped in place (htmx), the line in the log.
    await page.get_by_label("Message").fill("Bonjour, je suis prête.")
    await page.get_by_role("button", name="Envoyer").press("Enter")
    log = page.get_by_role("log")
    await expect(log.get_by_text("Bonjour, je suis prête.")).to_be_visible()
    await expect(page.get_by_label("Message")).to_have_value("")
    assert page.url.endswith("/room/chat")  # no navigation: a swap

    # An empty message: said next to the field.
    await page.get_by_role("button", name="Envoyer").click()
    await expect(page.locator("#chat-message-error")).to_have_text("Écrivez un message.")

    # A file over 10 MB is refused before it is sent.
    uploads = []
    page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/room/files") else None)
    big = tmp_path / "scanner.pdf"
    big.write_bytes(b"%PDF-" + b"0" * (10 * 1024 * 1024))
    await page.get_by_label("Partager un fichier").set_input_files(big)
    await page.get_by_role("button", name="Partager", exact=True).click()
    await expect(page.locator("#chat-file-error")).to_have_text(
        "Ce fichier est trop volumineux : 10 Mo au plus."
    )
    assert uploads == []
    # A page renamed .pdf: the server reads its first bytes and says no.
    fake = tmp_path / "ordonnance.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    await page.get_by_label("Partager un fichier").set_input_files(fake)
    await page.get_by_role("button", name="Partager", exact=True).click()
    await expect(page.locator("#chat-file-error")).to_have_text(
        "Seuls les fichiers PDF, PNG et JPEG peuvent être partagés."
    )
    assert await CallFile.count().where(CallFile.appointment == call["id"]) == 0

    real = tmp_path / "résultats.pdf"
    real.write_bytes(PDF)
    await page.get_by_label("Partager un fichier").set_input_files(real)
    await page.get_by_role("button", name="Partager", exact=True).click()
    await expect(log.get_by_role("link", name="résultats.pdf")).to_be_visible()

    # The practitioner's line and file arrive as room events (call.js dispatches them).
    now = clock.now()
    await page.evaluate(
        """(at) => {
          document.dispatchEvent(new CustomEvent("room:chat", {detail: {id: 999999,
            side: "staff", author: "Dre Roy", body: "<b>Bonjour</b> Marie", sent_at: at}}));
          document.dispatchEvent(new CustomEvent("room:file", {detail: {key: "abcDEF_-123",
            side: "staff", author: "Dre Roy", name: "ordonnance.pdf", size: 2048,
            media_type: "application/pdf", shared_at: at}}));
        }""",
        now.isoformat(),
    )
    line = log.locator("li", has_text="<b>Bonjour</b> Marie")  # as text, not HTML
    await expect(line).to_be_visible()
    # Its time in the clinic's zone, as the server writes the others.
    local = now.astimezone(ZoneInfo("America/Montreal")).strftime("%H:%M")
    await expect(line.locator("time")).to_have_text(local)
    link = log.get_by_role("link", name="ordonnance.pdf")
    await expect(link).to_have_attribute("href", call["url"] + "/room/files/abcDEF_-123")
    # Our own line echoed back by the room is not shown twice.
    line_id = (
        await CallMessage.select(CallMessage.id)
        .where(CallMessage.appointment == call["id"])
        .first()
    )["id"]
    await page.evaluate(
        """(id) => document.dispatchEvent(new CustomEvent("room:chat", {detail: {id: id,
            side: "patient", author: "Marie", body: "Bonjour, je suis prête.",
            sent_at: new Date().toISOString()}}))""",
        line_id,
    )
    await expect(log.get_by_text("Bonjour, je suis prête.")).to_have_count(1)
    await check_page(page, "call-chat-panel")

    # The file downloads as an attachment.
    async with page.expect_download() as download:
        await log.get_by_role("link", name="résultats.pdf").click()
    assert (await download.value).suggested_filename == "résultats.pdf"

    # After the call, the details page keeps it all.
    await page.goto(live_server.url(call["url"]))
    record = page.get_by_role("region", name="Discussion et fichiers de la téléconsultation")
    await expect(record.get_by_text("Bonjour, je suis prête.")).to_be_visible()
    await expect(record.get_by_role("link", name="résultats.pdf")).to_be_visible()
    await check_page(page, "call-record-details")


async def test_the_staff_chat_share_and_find_it_all_in_the_appointment(
    page: Page, live_server, patient, tmp_path
):
    call = await teleconsultation_soon(patient)
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url("/staff/sign-in?lang=en"))
    await page.get_by_label("Email").fill("admin@demo.localhost")
    await page.get_by_label("Password").fill("demo-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    await page.goto(live_server.url(f"/staff/calls/{call['id']}/chat"))
    await page.get_by_label("Message").fill("Good morning, can you hear me?")
    await page.get_by_role("button", name="Send").click()
    log = page.get_by_role("log")
    await expect(log.get_by_text("Good morning, can you hear me?")).to_be_visible()
    scan = tmp_path / "prescription.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000)
    await page.get_by_label("Share a file").set_input_files(scan)
    await page.get_by_role("button", name="Share", exact=True).click()
    await expect(log.get_by_role("link", name="prescription.png")).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("call-chat-staff-desktop"), full_page=True)

    # The appointment's own page (the slot) lists the call's record with its downloads.
    await page.goto(live_server.url(f"/staff/slots/{call['slot']}"))
    record = page.get_by_role("region", name="Chat and files of the teleconsultation")
    await expect(record.get_by_text("Good morning, can you hear me?")).to_be_visible()
    link = record.get_by_role("link", name="prescription.png")
    await expect(link).to_have_attribute(
        "href",
        f"/staff/calls/{call['id']}/files/"
        + (await CallFile.select(CallFile.key).where(CallFile.appointment == call["id"]).first())[
            "key"
        ],
    )
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("call-record-staff-slot-desktop"), full_page=True)


async def test_the_panel_loaded_into_a_call_page_brings_its_script(
    page: Page, live_server, patient
):
    """As H1's call page does it: <section id="call-chat" hx-get="…/chat" hx-trigger="load">.
    The fragment's own script then listens for the room's events."""
    call = await teleconsultation_soon(patient)
    await page.goto(live_server.url(call["url"]))  # a page with htmx and without call_chat.js
    assert await page.evaluate("window.callChatLoaded === undefined")
    await page.evaluate(
        """(url) => {
          const section = document.createElement("section");
          section.id = "call-chat";
          section.setAttribute("hx-get", url);
          section.setAttribute("hx-trigger", "load");
          document.querySelector("main").appendChild(section);
          htmx.process(section);
        }""",
        call["url"] + "/room/chat",
    )
    await expect(page.locator("#call-chat #chat-panel")).to_be_visible()
    await expect(page.locator("#call-chat h1")).to_have_count(0)  # the fragment only
    # A function, not an expression: Playwright polls an expression with eval(), which the
    # page's CSP refuses (it passed only when the script had loaded by the first check).
    await page.wait_for_function("() => window.callChatLoaded === true")
    await page.evaluate(
        """() => document.dispatchEvent(new CustomEvent("room:chat", {detail: {id: 424242,
            side: "staff", author: "Dre Roy", body: "Je vous fais entrer",
            sent_at: new Date().toISOString()}}))"""
    )
    await expect(page.get_by_role("log").get_by_text("Je vous fais entrer")).to_be_visible()
    # A post from inside the call page swaps the panel only, the page stays.
    await page.get_by_label("Message").fill("Merci")
    await page.get_by_role("button", name="Envoyer").click()
    await expect(page.get_by_role("log").get_by_text("Merci", exact=True)).to_be_visible()
    assert page.url == live_server.url(call["url"])
    await expect(page.get_by_role("heading", name="Votre rendez-vous")).to_be_visible()
