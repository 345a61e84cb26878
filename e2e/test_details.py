"""The appointment details page in a real browser, on the run's flowing clock (the
server's too): each appointment is placed at the right distance from now, so each action
is inside or outside its window. Each test has its own patient and her own family
doctor, whose agenda holds nothing but what the test opens."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from app import clock, i18n
from app.booking.links import make_token
from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.listeners import make_bus
from app.scheduling.tables import Slot
from app.templating import local_day, local_time
from e2e.conftest import OwnPatient
from e2e.portal import check_page, heading
from tests.integration.engine_fixtures import RECEPTION

ZONE = "America/Montreal"
LINK_DOES_NOT_WORK = "Ce lien ne fonctionne pas"


async def appointment_in(patient: OwnPatient, delay: timedelta) -> dict:
    """The patient's follow-up (on site, booked online) starting about `delay` from now,
    on a slot opened for it; returns its id, slot, start and details link."""
    start = (clock.now() + delay).astimezone(ZoneInfo(ZONE)).replace(second=0, microsecond=0)
    start += timedelta(minutes=5 - start.minute % 5)
    end = start + timedelta(minutes=30)
    assert end.date() == start.date(), (
        f"{start} leaves no room for a 30-minute slot before midnight"
    )
    [slot_id] = await patient.open_slots(start.date(), start.time(), end.time())
    slot = await Slot.select(Slot.starts_at, Slot.ends_at).where(Slot.id == slot_id).first()
    booked = await BookingService(clinic_id=patient.clinic_id, bus=make_bus()).staff_book(
        actor=RECEPTION,
        slot_id=slot_id,
        details=BookingDetails(
            source="online",
            patient_id=patient.patient_id,
            contact_email=patient.who["email"],
            language="fr",
            reason="Renouvellement d'ordonnance",
            service_id=patient.service_id,
        ),
    )
    assert booked.ok
    token = make_token(os.environ["SECRET_KEY"], booked.appointment_id, slot["ends_at"])
    return {
        "id": booked.appointment_id,
        "slot": slot_id,
        "starts_at": slot["starts_at"],
        "url": f"/a/{token}",
    }


def french(moment: datetime) -> tuple[str, str]:
    """The day and time as the page writes them in French."""
    i18n.activate("fr")
    return local_day(moment, ZONE), local_time(moment, ZONE)


def button(page: Page, name: str):
    return page.get_by_role("main").get_by_role("button", name=name, exact=True)


async def test_four_days_ahead_cancel_is_open_and_confirming_opens_with_the_3_day_reminder(
    page: Page, live_server, patient: OwnPatient
):
    appointment = await appointment_in(patient, timedelta(days=4))
    await page.goto(live_server.url(appointment["url"]))
    await heading(page, "Votre rendez-vous")
    await expect(page.get_by_role("main")).to_contain_text(patient.doctor)
    # The clinic's first reminder (3 days before) asks to confirm: the window opens with it.
    day, time = french(appointment["starts_at"] - timedelta(hours=72))
    await expect(
        page.get_by_text(f"Vous pourrez confirmer votre présence à partir du {day} à {time}.")
    ).to_be_visible()
    _, arrival = french(appointment["starts_at"] - timedelta(minutes=30))
    await expect(
        page.get_by_text(f"Vous pourrez signaler votre arrivée à partir de {arrival} le jour même.")
    ).to_be_visible()
    await expect(button(page, "Confirmer ma présence")).to_have_count(0)
    await expect(button(page, "Je suis arrivé")).to_have_count(0)
    await expect(page.get_by_role("link", name="Changer l'heure")).to_be_visible()
    await check_page(page, "details-3-days-fr")

    await page.get_by_text("Annuler", exact=True).click()  # cancelling asks once more
    await check_page(page, "details-cancel-asks-fr")
    await button(page, "Oui, annuler mon rendez-vous").click()
    await expect(page.get_by_role("status")).to_have_text("Votre rendez-vous est annulé.")
    await expect(page.locator(".status")).to_have_text("Annulé")
    await expect(page.get_by_role("main").get_by_role("button")).to_have_count(
        0
    )  # nothing left to do
    assert (
        await Appointment.select(Appointment.status)
        .where(Appointment.id == appointment["id"])
        .first()
    )["status"] == "cancelled"
    await check_page(page, "details-cancelled-fr")


async def test_the_day_before_presence_can_be_confirmed_but_not_cancelled_or_moved(
    page: Page, live_server, patient: OwnPatient
):
    appointment = await appointment_in(patient, timedelta(hours=20))
    await page.goto(live_server.url(appointment["url"]))
    await expect(page.get_by_text("Annuler", exact=True)).to_have_count(0)
    await expect(
        page.get_by_text("Pour annuler moins de 24 heures avant, veuillez appeler la clinique.")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Changer l'heure")).to_have_count(0)

    await button(page, "Confirmer ma présence").click()
    await expect(page.get_by_role("status")).to_have_text("Merci, votre présence est confirmée.")
    await expect(page.locator(".status")).to_have_text("Présence confirmée")
    await expect(button(page, "Confirmer ma présence")).to_have_count(0)
    await check_page(page, "details-confirmed-fr")

    # Reaching the reschedule page anyway (an old tab, a typed address) says until when it was
    # possible.
    await page.goto(live_server.url(appointment["url"] + "/reschedule"))
    day, time = french(appointment["starts_at"] - timedelta(hours=24))
    alert = page.get_by_role("alert")
    await expect(alert).to_have_text(
        f"C'était possible jusqu'au {day} à {time}. Veuillez appeler la clinique."
    )
    await expect(alert).to_be_focused()


async def test_within_30_minutes_the_patient_says_they_have_arrived(
    page: Page, live_server, patient: OwnPatient
):
    appointment = await appointment_in(patient, timedelta(minutes=15))
    await page.goto(live_server.url(appointment["url"] + "?lang=en"))
    await heading(page, "Your appointment")
    await check_page(page, "details-arrival-en")
    await button(page, "I have arrived").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Thank you, the clinic knows you have arrived."
    )
    await expect(page.locator(".status")).to_have_text("Arrived")
    await expect(button(page, "I have arrived")).to_have_count(0)
    assert (
        await Appointment.select(Appointment.status)
        .where(Appointment.id == appointment["id"])
        .first()
    )["status"] == "arrived"


async def test_reschedule_moves_the_appointment_in_one_step(
    page: Page, live_server, patient: OwnPatient
):
    appointment = await appointment_in(patient, timedelta(days=3, hours=1))
    later = (clock.now() + timedelta(days=5)).astimezone(ZoneInfo(ZONE)).date()
    [other] = await patient.open_slots(later, clock_time(10), clock_time(10, 30))
    await page.goto(live_server.url(appointment["url"]))
    await page.get_by_role("link", name="Changer l'heure").click()
    await heading(page, "Choisir une nouvelle heure")
    await expect(page.get_by_text("Votre rendez-vous actuel reste réservé")).to_be_visible()
    choices = page.get_by_role("group", name="Disponibilités").get_by_role("radio")
    await expect(choices.first).to_be_visible()
    await check_page(page, "details-reschedule-fr")
    await expect(choices).to_have_count(1)  # the only other slot of her doctor's
    new_slot = int(await choices.first.get_attribute("value"))
    assert new_slot == other
    await choices.first.check()
    await page.get_by_role("button", name="Déplacer mon rendez-vous").click()

    await expect(page.get_by_role("status")).to_have_text("Votre rendez-vous a été déplacé.")
    moved = (
        await Appointment.select(Appointment.slot, Appointment.starts_at)
        .where(Appointment.id == appointment["id"])
        .first()
    )
    assert moved["slot"] == new_slot
    day, time = french(moved["starts_at"])
    await expect(page.get_by_role("main").locator(".summary")).to_contain_text(day)
    await expect(page.get_by_role("main").locator(".summary")).to_contain_text(time)
    assert (await Slot.select(Slot.state).where(Slot.id == appointment["slot"]).first())[
        "state"
    ] == "open"


async def test_expired_and_tampered_links_get_a_clear_page_and_nothing_else(
    page: Page, live_server, patient: OwnPatient
):
    appointment = await appointment_in(patient, timedelta(days=4))
    token = appointment["url"].removeprefix("/a/")
    number, expires, signature = token.split(".")
    another = (
        (await appointment_in(patient, timedelta(days=5)))["url"].removeprefix("/a/").split(".")[0]
    )
    links = {
        "tampered": f"{number}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "another appointment": f"{another}.{expires}.{signature}",  # a real one, hers too
        "truncated": f"{number}.{expires}",
        "expired": make_token(
            os.environ["SECRET_KEY"], appointment["id"], clock.now() - timedelta(hours=13)
        ),
    }
    for name, link in links.items():
        response = await page.goto(live_server.url(f"/a/{link}"))
        assert response.status == 404, name
        await heading(page, LINK_DOES_NOT_WORK)
        await expect(page.get_by_role("main")).not_to_contain_text(patient.doctor)
        await expect(page.get_by_role("link", name="514 555 0100").first).to_be_visible()
    await check_page(page, "details-link-invalid-fr")
