"""A secretary's open agenda is live: a patient books online, in another browser, and
the slot shows "Booked online" ("Réservé en ligne") on the secretary's screen within two
seconds, without a reload; the focus she had stays where it was.

The agenda page is the one of the agenda URLs contract (`staff:agenda_practitioner`,
`#agenda[data-live-agenda]` with the practitioners and days it shows, each slot an
`a.slot#slot-{id}` with its icons as images named by their labels); live.js marks the
document `data-live="open"` once its stream is connected."""

from __future__ import annotations

import re
import time

import pytest
from playwright.async_api import expect

from e2e.conftest import (
    DESKTOP,
    FOLLOW_UP_DAYS,
    FOLLOW_UP_HOURS,
    OwnPatient,
    screenshot_path,
)
from e2e.portal import WORDS, choose_service, heading, hold_first_slot, identify

TABLET = {"width": 820, "height": 1180}
SECRETARY = "secretariat@demo.localhost"
PASSWORD = "demo-password"
DELIVERY_MS = 2000


async def signed_in_agenda(new_context, live_server, patient: OwnPatient, viewport: dict):
    """The secretary's browser (at her desk, 1280x800, or a tablet; in French), on the day
    of the patient's doctor that holds the follow-ups."""
    context = await new_context()
    page = await context.new_page()
    await page.set_viewport_size(viewport)
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(SECRETARY)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    day = FOLLOW_UP_DAYS[0].isoformat()
    await page.goto(live_server.url(f"/staff/agenda/practitioner/{patient.doctor_id}/day/{day}"))
    agenda = page.locator("#agenda[data-live-agenda]")
    await expect(agenda).to_be_visible()
    await expect(agenda).to_have_attribute("data-live-days", re.compile(day))
    await expect(agenda).to_have_attribute(
        "data-live-practitioners", re.compile(str(patient.doctor_id))
    )
    await expect(page.locator("html")).to_have_attribute("data-live", "open")
    return context, page


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
async def test_an_online_booking_shows_in_the_open_agenda_within_two_seconds(
    new_context, live_server, patient: OwnPatient, viewport
):
    slots = await patient.open_slots(FOLLOW_UP_DAYS[0], *FOLLOW_UP_HOURS)
    first = f"#slot-{slots[0]}"
    staff_context, agenda = await signed_in_agenda(new_context, live_server, patient, viewport)
    booked = agenda.locator(first).get_by_role("img", name="Réservé en ligne")
    await expect(agenda.locator(first)).to_be_visible()
    await expect(booked).to_have_count(0)
    # What must survive the update: no reload, the slot she is on keeps the focus.
    await agenda.evaluate("window.__notReloaded = true")
    await agenda.locator(f"#slot-{slots[-1]}").focus()
    await agenda.screenshot(path=screenshot_path(f"agenda-live-before-{viewport['width']}"))

    patient_context = await new_context()  # a phone, in French
    portal = await patient_context.new_page()
    await portal.goto(live_server.url("/centre-ville/"))
    await identify(portal, patient.who)
    await choose_service(portal, WORDS["fr"]["follow_up"], "Contrôle")
    await hold_first_slot(portal)
    await heading(portal, WORDS["fr"]["review_title"])
    await portal.get_by_role("button", name=WORDS["fr"]["book"]).click()
    await heading(portal, WORDS["fr"]["done_title"])
    committed = time.monotonic()

    await expect(booked).to_be_visible(timeout=DELIVERY_MS)
    assert (time.monotonic() - committed) * 1000 < DELIVERY_MS
    assert await agenda.evaluate("window.__notReloaded === true"), "the agenda was reloaded"
    assert await agenda.evaluate("document.activeElement && document.activeElement.id") == (
        f"slot-{slots[-1]}"
    )
    await agenda.screenshot(path=screenshot_path(f"agenda-live-after-{viewport['width']}"))
    await patient_context.close()
    await staff_context.close()
