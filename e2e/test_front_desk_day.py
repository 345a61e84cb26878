"""The staff side end to end, at desktop and tablet sizes: an administrator opens a week
from a schedule template; the agenda shows its slots "Published online"; a patient books
one on the portal in another browser; the open agenda shows it "Booked online" within two
seconds, without a reload; a secretary moves it, then cancels it, and both open agendas
follow; the patient's change and cancellation notices are sent. Each run has its own
practitioner and patient (`patient`), so no other test sees or takes these slots."""

from __future__ import annotations

import re
from datetime import time, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from e2e.conftest import DESKTOP, MONDAY, PHONE, OwnPatient, screenshot_path
from e2e.portal import WORDS, assert_accessible, choose_service, hold_first_slot, identify
from tests.integration.polling import until

TABLET = {"width": 820, "height": 1180}
WEEK = MONDAY + timedelta(weeks=3)  # beyond the seed's slots; the cancel window is open
LIVE = 2_000  # ms: a change reaches open agendas within two seconds (issue 11)
STAFF = {"locale": "fr-CA"}


async def staff_page(browser: Browser, live_server, email: str, viewport: dict) -> Page:
    context = await browser.new_context(**STAFF, viewport=viewport)
    page = await context.new_page()
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(email)
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    return page


async def week_template(patient: OwnPatient) -> str:
    """A weekly template for the patient's doctor: follow-ups Wednesday and Thursday,
    09:00 to 10:00 (two 30-minute slots each)."""
    from app.events import Actor
    from app.listeners import make_bus
    from app.scheduling.templates import TemplateBlock, TemplateService

    name = f"Semaine de {patient.doctor}"
    await TemplateService(clinic_id=patient.clinic_id, bus=make_bus()).save(
        template_id=None,
        name=name,
        blocks=[TemplateBlock(day, time(9), time(10), patient.activity_id) for day in (2, 3)],
        actor=Actor.system("test"),
    )
    return name


def shot(name: str, viewport: dict) -> str:
    return screenshot_path(f"front-desk-{name}-{viewport['width']}x{viewport['height']}")


async def sent_to(live_server, email: str, kind: str) -> bool:
    """Whether the dev outbox (the embedded default's mail) shows this notice sent."""
    async with httpx.AsyncClient() as client:
        html = (
            await client.get(
                f"http://127.0.0.1:{live_server.port}/dev/outbox",
                headers={"Host": f"demo.localhost:{live_server.port}"},
            )
        ).text
    return any(
        email in article and kind in article and "envoyé" in article
        for article in re.findall(r'<article class="card message">(.*?)</article>', html, re.S)
    )


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
async def test_a_week_opened_booked_online_moved_and_cancelled_live(
    browser: Browser, live_server, patient: OwnPatient, viewport
):
    template = await week_template(patient)
    admin = await staff_page(browser, live_server, "admin@demo.localhost", viewport)

    # The administrator opens the week from the template, then looks at it in the agenda.
    await admin.goto(
        live_server.url(
            f"/staff/schedules/open?practitioner={patient.doctor_id}"
            f"&site={patient.site_id}&day={WEEK.isoformat()}"
        )
    )
    form = admin.locator("#template-form")
    await form.get_by_label("Modèle d'horaire").select_option(label=template)
    await form.get_by_role("button", name="Ouvrir ces disponibilités").click()
    await expect(form.get_by_role("status")).to_contain_text("4 disponibilités ouvertes.")
    await form.get_by_role("link", name="Les voir à l'agenda").click()
    agenda = admin.locator("#agenda")
    await expect(agenda.locator("a.slot")).to_have_count(4)
    published = agenda.locator("svg[role=img][aria-label='Publié en ligne']")
    await expect(published).to_have_count(4)
    await expect(agenda.locator("svg[aria-label='Réservé en ligne']")).to_have_count(0)
    await assert_accessible(admin)
    await admin.screenshot(path=shot("week-opened", viewport), full_page=True)

    # The patient books the first of them on the portal, in a browser of her own.
    portal = await browser.new_context(locale="fr-CA", viewport=PHONE)
    patient_page = await portal.new_page()
    await patient_page.goto(live_server.url("/centre-ville/"))
    await identify(patient_page, patient.who)
    await choose_service(patient_page, WORDS["fr"]["follow_up"], "Contrôle")
    await hold_first_slot(patient_page)
    await patient_page.get_by_role("button", name=WORDS["fr"]["book"]).click()
    await expect(patient_page.get_by_role("heading", level=1)).to_have_text(
        WORDS["fr"]["done_title"]
    )

    # The open agenda shows it, without a reload.
    booked_online = agenda.locator("svg[aria-label='Réservé en ligne']")
    await expect(booked_online).to_have_count(1, timeout=LIVE)
    name = f"Marie {patient.who['last_name']}"
    await expect(agenda.locator("a.slot", has_text=name)).to_have_count(1)
    await admin.screenshot(path=shot("week-booked-online", viewport), full_page=True)

    # The secretary, in her own browser, moves it to the next slot, then cancels it.
    secretary = await staff_page(browser, live_server, "secretariat@demo.localhost", viewport)
    await secretary.goto(admin.url)
    await secretary.locator("#agenda a.slot", has_text=name).click()
    dialog = secretary.locator("dialog#slot-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(name)
    await assert_accessible(secretary)
    await secretary.screenshot(path=shot("dialog", viewport), full_page=True)
    await dialog.get_by_role("link", name="Déplacer").click()
    await expect(dialog.get_by_role("heading", level=1)).to_have_text("Déplacer le rendez-vous")
    await dialog.get_by_label("09:30", exact=False).first.check()
    await dialog.get_by_role("button", name="Déplacer").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Le rendez-vous est déplacé")
    await expect(agenda.locator("a.slot", has_text=name)).to_contain_text("09:30", timeout=LIVE)
    # The patient is told of the move (a notice still waiting when the appointment is
    # cancelled would be dropped: the cancellation says it all).
    email = patient.who["email"]
    await until(lambda: sent_to(live_server, email, "Avis de changement"), what="the notice")

    await dialog.locator("summary", has_text="Annuler le rendez-vous").click()
    await dialog.get_by_label("Motif de l'annulation").fill("La patiente a rappelé")
    await dialog.locator("form button", has_text="Annuler le rendez-vous").click()
    await expect(dialog.get_by_role("status")).to_contain_text("Le rendez-vous est annulé")
    await secretary.screenshot(path=shot("dialog-cancelled", viewport), full_page=True)
    # The slot is free again; the agenda still says whose appointment was cancelled there.
    await expect(agenda.locator("a.slot", has_text=name)).to_contain_text(
        f"Annulé : {name}", timeout=LIVE
    )
    await expect(agenda.locator("svg[aria-label='Réservé en ligne']")).to_have_count(0)
    await admin.screenshot(path=shot("week-after", viewport), full_page=True)

    await until(lambda: sent_to(live_server, email, "Avis d'annulation"), what="the cancellation")
    await portal.close()
    await secretary.context.close()
    await admin.context.close()
