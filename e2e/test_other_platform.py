"""Another platform (issue 14) in a real browser: a secretary types the Zoom link on a
teleconsultation of the demo's "Autre plateforme" type in the slot dialog (a bad link is
said next to the field, the good one is saved and the camera opens it); the patient's
details page on a phone offers "Rejoindre l'appel vidéo". And the end-of-consultation
email as a mail client shows it. Screenshots in e2e/artifacts/; axe-core on each."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from playwright.async_api import Page, expect

from app.booking.links import make_token
from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.booking.views import appointment_view
from app.listeners import make_bus
from app.messaging.content import render
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from app.settings import load
from app.templating import make_environment
from e2e.conftest import DESKTOP, MONDAY, PHONE, screenshot_path
from e2e.portal import assert_accessible
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION

SECRETARY = ("secretariat@demo.localhost", "demo-password")
OTHER = "Téléconsultation (autre plateforme)"
ZOOM = "https://zoom.us/j/987654321?pwd=Demo"


async def other_platform_appointment(start: time = time(19)) -> tuple[int, int, int]:
    clinic = await demo_lookup.clinic_id("demo")
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(clinic, "Dre Julie Roy"),
        site_id=await demo_lookup.site_id(clinic, "centre-ville"),
        activity_id=await demo_lookup.activity_id(clinic, OTHER),
        day=MONDAY + timedelta(days=45),
        start=start,
        end=time(start.hour, start.minute + 20),
    )
    slot = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
    outcome = await BookingService(clinic_id=clinic, bus=make_bus()).staff_book(
        slot_id=slot["id"],
        details=BookingDetails(
            source="staff",
            patient_id=await demo_lookup.patient_id(clinic, "Tremblay"),
            reason="Suivi",
        ),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    return clinic, slot["id"], outcome.appointment_id


async def test_the_secretary_types_the_link_and_the_patient_joins_from_the_details_page(
    page: Page, live_server
):
    clinic, slot, appointment = await other_platform_appointment()
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url(f"/staff/sign-in?next=/staff/slots/{slot}"))
    await page.get_by_label("Courriel").fill(SECRETARY[0])
    await page.get_by_label("Mot de passe").fill(SECRETARY[1])
    await page.get_by_role("button", name="Se connecter").click()
    field = page.get_by_label("Lien de l'appel vidéo")
    await field.fill("http://zoom.us/j/1")
    await page.get_by_role("button", name="Enregistrer le lien").click()
    await expect(page.locator("#video_link-error")).to_contain_text("https://")
    await expect(page.get_by_label("Lien de l'appel vidéo")).to_have_value("http://zoom.us/j/1")
    await page.screenshot(path=screenshot_path("other-platform-link-refused"), full_page=True)
    await page.get_by_label("Lien de l'appel vidéo").fill(ZOOM)
    await page.get_by_role("button", name="Enregistrer le lien").click()
    await expect(page.get_by_text("Le lien vidéo est enregistré")).to_be_visible()
    camera = page.locator(f'a.call-link[href="{ZOOM}"]')
    await expect(camera).to_be_visible()
    await expect(camera).to_have_attribute("rel", "noopener noreferrer")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("other-platform-link-saved"), full_page=True)

    row = await Appointment.select(Appointment.ends_at).where(Appointment.id == appointment).first()
    token = make_token(load().secret_key, appointment, row["ends_at"])
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url(f"/a/{token}"))
    join = page.get_by_role("link", name="Rejoindre l'appel vidéo")
    await expect(join).to_have_attribute("href", ZOOM)
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("other-platform-details-390"), full_page=True)


async def test_the_end_of_consultation_email_as_a_mail_client_shows_it(page: Page, live_server):
    clinic, _slot, appointment = await other_platform_appointment(time(19, 30))
    view = await appointment_view(clinic_id=clinic, appointment_id=appointment)
    base = live_server.url("/").rstrip("/")
    rendered = render(
        make_environment(),
        kind="consultation_end",
        view=view,
        clinic={"time_zone": "America/Montreal", "name": "Clinique Démo", "slug": "demo"},
        language="fr",
        details_url=f"{base}/a/TOKEN",
        now=datetime.now().astimezone(),
        pay_url=f"{base}/a/TOKEN/pay",
        amount_cents=4500,
        currency="cad",
        documents=(("ordonnance.pdf", f"{base}/a/TOKEN/room/files/KEY"),),
    )
    for viewport, name in ((PHONE, "390"), (DESKTOP, "desktop")):
        await page.set_viewport_size(viewport)
        await page.set_content(rendered.html)
        await expect(page.get_by_role("link", name="Payer 45,00 $")).to_be_visible()
        await expect(page.get_by_role("link", name="ordonnance.pdf")).to_be_visible()
        await page.screenshot(
            path=screenshot_path(f"consultation-end-email-{name}"), full_page=True
        )
