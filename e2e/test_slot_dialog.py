"""The slot dialog in a real browser, at desktop (1280×800) and tablet (820×1180) sizes: a
secretary opens a slot's page, books it for a new patient whose file she creates inline,
cancels it with a reason; then opens another slot in the dialog over a page (as the agenda
does: a link into an empty <dialog id="slot-dialog">), finds that patient as she types,
books, and closes the dialog with Esc, focus back on the link. axe-core on the page and
on the open dialog; screenshots of each in e2e/artifacts/. Each run has its own doctor
(`patient`), whose agenda holds only the slots it opens, far ahead."""

from __future__ import annotations

from datetime import time as clock_time
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from app.booking.tables import Appointment
from app.listeners import make_bus
from app.patients.tables import Patient
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from e2e.conftest import DESKTOP, MONDAY, OwnPatient, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.engine_fixtures import RECEPTION

TABLET = {"width": 820, "height": 1180}
SECRETARY = ("secretariat@demo.localhost", "demo-password")
# An agenda's slot link, as the agenda page writes it, and its empty dialog.
AGENDA_LINK = """([href]) => {
  const dialog = document.createElement('dialog');
  dialog.id = 'slot-dialog';
  const link = document.createElement('a');
  link.className = 'slot'; link.href = href; link.textContent = 'Ouvrir la plage';
  link.setAttribute('hx-get', href); link.setAttribute('hx-target', '#slot-dialog');
  const main = document.getElementById('main');
  main.append(link); document.body.append(dialog);
  htmx.process(link);
}"""


async def open_slots(patient: OwnPatient, day, start, end) -> list[int]:
    """The patient's own doctor's follow-ups on `day`; their ids in time order."""
    opened = await SchedulingService(clinic_id=patient.clinic_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=patient.doctor_id,
        site_id=patient.site_id,
        activity_id=patient.activity_id,
        day=day,
        start=start,
        end=end,
    )
    rows = (
        await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).order_by(Slot.starts_at)
    )
    return [row["id"] for row in rows]


async def sign_in(page: Page, url: str) -> None:
    await page.goto(url)
    await page.get_by_label("Courriel").fill(SECRETARY[0])
    await page.get_by_label("Mot de passe").fill(SECRETARY[1])
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
async def test_a_secretary_books_a_new_patient_cancels_and_books_again_in_the_dialog(
    page: Page, live_server, patient: OwnPatient, viewport
):
    size = f"{viewport['width']}x{viewport['height']}"
    await page.set_viewport_size(viewport)
    day = MONDAY + timedelta(days=21 if viewport is DESKTOP else 22)
    first, second = await open_slots(patient, day, clock_time(9), clock_time(10))
    last_name = f"Bélanger-{patient.doctor.rsplit('-', 1)[1]}-{viewport['width']}"

    # The slot's own page (what a link opens without JavaScript).
    await sign_in(page, live_server.url(f"/staff/sign-in?next=/staff/slots/{first}"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("09:00")
    await expect(page.get_by_text("Publié en ligne").first).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-slot-{size}"), full_page=True)

    # A new file, inline: a bad phone first (said next to the field, what was typed kept).
    await page.get_by_label("Créer un dossier").check()
    await page.get_by_label("Prénom").fill("Léa")
    await page.get_by_label("Nom", exact=True).fill(last_name)
    await page.get_by_label("Date de naissance").fill("1991-06-15")
    await page.get_by_label("Sexe").select_option("F")
    await page.get_by_label("Téléphone cellulaire").fill("555-12")
    await page.get_by_label("Motif du rendez-vous").fill("Douleur au genou")
    await page.get_by_role("button", name="Réserver le rendez-vous").click()
    await expect(page.locator("#cell_phone-error")).to_contain_text("numéro de cellulaire valide")
    await expect(page.get_by_label("Prénom")).to_have_value("Léa")
    await page.screenshot(path=screenshot_path(f"staff-slot-bad-phone-{size}"), full_page=True)
    await page.get_by_label("Téléphone cellulaire").fill("(514) 555-0177")
    await page.get_by_role("button", name="Réserver le rendez-vous").click()
    await expect(page.get_by_role("status")).to_contain_text("Le rendez-vous est réservé")
    await expect(page.get_by_text(f"Léa {last_name}")).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-slot-booked-{size}"), full_page=True)

    # Cancel it, with a reason.
    await page.locator("summary", has_text="Annuler le rendez-vous").click()
    await page.get_by_label("Motif de l'annulation").fill("La patiente a rappelé")
    await page.locator("form button", has_text="Annuler le rendez-vous").click()
    await expect(page.get_by_role("status")).to_contain_text("Le rendez-vous est annulé")
    await expect(page.get_by_text("Nouveau rendez-vous")).to_be_visible()
    booked = await Appointment.select().where(Appointment.slot == first).first()
    assert booked["status"] == "cancelled"
    assert booked["cancellation_reason"] == "La patiente a rappelé"

    # The next slot in the dialog, over a page, as the agenda opens it.
    await page.goto(live_server.url("/staff/"))
    await page.evaluate(AGENDA_LINK, [f"/staff/slots/{second}"])
    link = page.get_by_role("link", name="Ouvrir la plage")
    await link.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("dialog#slot-dialog")
    await expect(dialog).to_have_attribute("open", "")
    await expect(page.get_by_role("dialog")).to_contain_text("09:30")
    assert await page.evaluate(
        "document.getElementById('slot-dialog').contains(document.activeElement)"
    )
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-slot-dialog-{size}"))

    # Found as she types, without the accents; booked in place.
    await dialog.get_by_label("Trouver le patient").press_sequentially("lea belanger", delay=20)
    choice = dialog.get_by_label(f"{last_name}, Léa", exact=False)
    await expect(choice).to_be_visible()
    await choice.check()
    await dialog.get_by_label("Motif du rendez-vous").fill("Suivi du genou")
    await dialog.get_by_role("button", name="Réserver le rendez-vous").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Le rendez-vous est réservé")
    await expect(dialog).to_have_attribute("open", "")
    await page.screenshot(path=screenshot_path(f"staff-slot-dialog-booked-{size}"))
    file = await Patient.select(Patient.id).where(Patient.last_name == last_name).first()
    again = await Appointment.select().where(Appointment.slot == second).first()
    assert again["patient"] == file["id"] and again["status"] == "booked"

    # Moved, in the dialog, to the slot freed by the cancellation.
    await dialog.get_by_role("link", name="Déplacer").click()
    await expect(dialog.get_by_role("heading", level=1)).to_have_text("Déplacer le rendez-vous")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-slot-dialog-move-{size}"))
    await dialog.get_by_label("09:00", exact=False).check()
    await dialog.get_by_role("button", name="Déplacer").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Le rendez-vous est déplacé")
    moved = await Appointment.select().where(Appointment.id == again["id"]).first()
    assert moved["slot"] == first

    # Esc closes it; focus goes back to the link that opened it.
    await page.keyboard.press("Escape")
    await expect(dialog).not_to_have_attribute("open", "")
    await expect(link).to_be_focused()
