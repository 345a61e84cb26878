"""To reconcile, end to end in Chromium at 1280x800: a stranger books online; the
secretary finds the appointment under "À associer" (counted in the navigation) and
creates a file from it; the next booking of the same person with the same details is
identified, so it never reaches the list. axe-core on the page; screenshots taken."""

from __future__ import annotations

import re
from datetime import time, timedelta

from playwright.async_api import Browser, Page, expect

from e2e.conftest import DESKTOP, MONDAY, PHONE, OwnPatient, letters, screenshot_path
from e2e.portal import WORDS, assert_accessible, choose_service, hold_first_slot, identify

WEEK = MONDAY + timedelta(weeks=4)  # beyond the seed's slots and the other tests'


def shot(name: str) -> str:
    return screenshot_path(f"reconcile-{name}-1280x800")


async def open_urgent(patient: OwnPatient) -> None:
    """Urgent consultations (the service open to everyone) with the run's own doctor."""
    from app.listeners import make_bus
    from app.scheduling.services import SchedulingService
    from tests.integration import demo_lookup
    from tests.integration.engine_fixtures import RECEPTION

    await SchedulingService(clinic_id=patient.clinic_id, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=patient.doctor_id,
        site_id=patient.site_id,
        activity_id=await demo_lookup.activity_id(patient.clinic_id, "Consultation urgente"),
        day=WEEK,
        start=time(9),
        end=time(10),
    )


async def book_online(browser: Browser, live_server, who: dict) -> None:
    context = await browser.new_context(locale="fr-CA", viewport=PHONE)
    page = await context.new_page()
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, who)
    await choose_service(page, WORDS["fr"]["urgent"], "Mal de gorge")
    await hold_first_slot(page)
    await page.get_by_role("button", name=WORDS["fr"]["book"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(WORDS["fr"]["done_title"])
    await context.close()


async def secretary_page(browser: Browser, live_server) -> Page:
    context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill("secretariat@demo.localhost")
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    return page


async def test_a_stranger_booked_online_gets_a_file_and_is_known_next_time(
    browser: Browser, live_server, patient: OwnPatient
):
    from app.booking.tables import Appointment
    from app.patients.tables import Patient

    await open_urgent(patient)
    tag = letters(patient.patient_id)
    stranger = {
        "first_name": "Paul",
        "last_name": f"Inconnu-{tag}",
        "date_of_birth": "1990-01-01",
        "sex": "M",
        "health_insurance_number": "",
        "cell_phone": "",
        "email": f"paul.{tag.lower()}@example.net",
    }
    name = f"Paul Inconnu-{tag}"
    await book_online(browser, live_server, stranger)

    secretary = await secretary_page(browser, live_server)
    entry = secretary.get_by_role("navigation", name="Espace du personnel").get_by_role(
        "link", name="À associer"
    )
    await expect(entry).to_be_visible()
    await expect(entry.locator(".nav-count")).to_contain_text(re.compile(r"^\d+"))
    await entry.click()
    await expect(secretary.get_by_role("heading", level=1)).to_have_text("À associer")
    card = secretary.locator("li.reconcile-item", has=secretary.get_by_role("heading", name=name))
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("1990-01-01")
    await expect(card).to_contain_text(stranger["email"])
    await assert_accessible(secretary)
    await secretary.screenshot(path=shot("listed"), full_page=True)

    before = int((await entry.locator(".nav-count").inner_text()).split()[0])
    await card.get_by_role("button", name="Créer un dossier").click()  # enhanced by htmx
    await expect(secretary.get_by_role("status")).to_contain_text(
        "Dossier créé, et le rendez-vous y est associé."
    )
    await expect(card).to_have_count(0)
    remaining = secretary.locator("#nav-count-staff-reconcile")
    if before > 1:
        await expect(remaining).to_contain_text(str(before - 1))
    else:
        await expect(remaining).to_be_hidden()
    file = (
        await Patient.select(Patient.id).where(Patient.last_name == stranger["last_name"]).first()
    )
    link = secretary.get_by_role("link", name="Ouvrir le dossier")
    await expect(link).to_have_attribute("href", f"/staff/patients/{file['id']}")
    await assert_accessible(secretary)
    await secretary.screenshot(path=shot("created"), full_page=True)

    # The same person, the same details, books again: identified, so not to reconcile.
    await book_online(browser, live_server, stranger)
    latest = (
        await Appointment.select(Appointment.patient)
        .where(Appointment.contact_email == stranger["email"])
        .order_by(Appointment.id, ascending=False)
        .first()
    )
    assert latest["patient"] == file["id"]
    await secretary.reload()
    await expect(secretary.get_by_role("heading", name=name)).to_have_count(0)
    await secretary.screenshot(path=shot("after-second-booking"), full_page=True)
    await secretary.context.close()


async def test_a_misspelt_patient_is_attached_to_her_file_ranked_first(
    browser: Browser, live_server, patient: OwnPatient
):
    """Her name typed with an accent and another email: the portal cannot tell, the desk
    sees her file ranked first and attaches the appointment; the email joins it pending."""
    from app.booking.tables import Appointment
    from app.patients.tables import ContactDetail

    await open_urgent(patient)
    misspelt = {
        **patient.who,
        "last_name": patient.who["last_name"].replace("Tremblay", "Tremblé"),
        "email": f"autre.{letters(patient.patient_id).lower()}@example.net",
    }
    await book_online(browser, live_server, misspelt)
    secretary = await secretary_page(browser, live_server)
    await secretary.goto(live_server.url("/staff/reconcile"))
    typed = f"Marie {misspelt['last_name']}"
    card = secretary.locator("li.reconcile-item", has=secretary.get_by_role("heading", name=typed))
    first = card.locator("tbody tr").first
    await expect(first.get_by_role("link")).to_have_attribute(
        "href", f"/staff/patients/{patient.patient_id}"
    )
    await expect(first).to_contain_text("Même date de naissance, Nom semblable")
    await assert_accessible(secretary)
    await secretary.screenshot(path=shot("ranked"), full_page=True)

    await first.get_by_role("button", name="Associer à ce dossier").click()
    await expect(secretary.get_by_role("status")).to_contain_text("Rendez-vous associé au dossier.")
    await expect(card).to_have_count(0)
    await secretary.screenshot(path=shot("attached"), full_page=True)
    row = (
        await Appointment.select(Appointment.patient)
        .where(Appointment.contact_email == misspelt["email"])
        .first()
    )
    assert row["patient"] == patient.patient_id
    contacts = (
        await ContactDetail.select(ContactDetail.value, ContactDetail.verified)
        .where(ContactDetail.patient == patient.patient_id)
        .order_by(ContactDetail.position)
    )
    assert [(c["value"], c["verified"]) for c in contacts] == [
        (patient.who["email"], True),
        (misspelt["email"], False),
    ]
    await secretary.context.close()
