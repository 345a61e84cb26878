"""An administrator creates a schedule template (adding a block row with HTMX) and opens a
week from it for a practitioner of their own, at desktop and tablet sizes; the three
schedule forms pass axe-core, with and without an error shown; screenshots of each page
land in e2e/artifacts/ (schedules-*.png)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, MONDAY, screenshot_path
from e2e.portal import assert_accessible

TABLET = {"width": 820, "height": 1180}
WEEK = MONDAY + timedelta(weeks=10)  # a Monday beyond every slot the seed opens
_runs = itertools.count(1)


@pytest.fixture
async def practitioner(live_server) -> dict:
    """A practitioner of the demo clinic at centre-ville with an empty agenda."""
    from app.scheduling.tables import Practitioner, PractitionerSite
    from tests.integration import demo_lookup

    clinic = await demo_lookup.clinic_id("demo")
    site = await demo_lookup.site_id(clinic, "centre-ville")
    doctor = Practitioner(clinic=clinic, name=f"Dr Horaire {next(_runs)}", kind="gp")
    await doctor.save()
    await PractitionerSite(clinic=clinic, practitioner=doctor.id, site=site).save()
    return {"id": doctor.id, "name": doctor.name, "site": site}


async def sign_in_as_administrator(page: Page, live_server) -> None:
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill("admin@demo.localhost")
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Admin Démo")


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=screenshot_path(f"schedules-{name}"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, TABLET], ids=["desktop", "tablet"])
async def test_an_administrator_opens_a_week_from_a_new_template(
    page: Page, live_server, practitioner, viewport
):
    size = f"{viewport['width']}x{viewport['height']}"
    await page.set_viewport_size(viewport)
    await sign_in_as_administrator(page, live_server)

    # A new template: a first block, then a second row added (HTMX, nothing saved yet).
    await page.goto(live_server.url("/staff/schedules/templates/new"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau modèle d'horaire")
    name = f"Semaine {practitioner['name']}"
    await page.get_by_label("Nom").fill(name)
    await page.locator("#block-0-weekday").select_option(label="Lundi")
    await page.locator("#block-0-start").fill("09:00")
    await page.locator("#block-0-end").fill("10:00")
    await page.locator("#block-0-activity").select_option(label="Consultation urgente")
    await page.get_by_role("button", name="Ajouter un bloc").click()
    await expect(page.locator("#block-1-start")).to_be_visible()
    await expect(page.locator("#block-0-start")).to_have_value("09:00")
    await page.locator("#block-1-weekday").select_option(label="Mercredi")
    await page.locator("#block-1-start").fill("13:00")
    await page.locator("#block-1-end").fill("12:00")
    await page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    # The end before the start: said next to the field, the rows kept.
    await expect(page.locator("#block-1-end-error")).to_have_text(
        "La fin doit venir après le début."
    )
    await expect(page.locator("#block-1-end")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await shot(page, f"template-error-{size}")
    await page.locator("#block-1-end").fill("14:00")
    await page.locator("#block-1-activity").select_option(label="Vaccination")
    await page.get_by_role("button", name="Enregistrer", exact=True).last.click()
    await expect(page.get_by_role("status")).to_have_text("Modèle enregistré.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Modifier le modèle d'horaire")
    await expect(page.get_by_text("Supprimer ce modèle")).to_be_visible()
    await assert_accessible(page)
    await shot(page, f"template-{size}")
    await page.get_by_role("link", name="Tous les modèles").click()
    await expect(page.get_by_role("link", name=name)).to_be_visible()
    await assert_accessible(page)
    await shot(page, f"templates-{size}")

    # Open the week from it, as the agenda's "Open a schedule" link would arrive.
    await page.goto(
        live_server.url(
            f"/staff/schedules/open?practitioner={practitioner['id']}"
            f"&site={practitioner['site']}&day={WEEK.isoformat()}"
        )
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ouvrir un horaire")
    await assert_accessible(page)
    await shot(page, f"open-{size}")
    section = page.locator("#template-form")
    await section.get_by_label("Modèle d'horaire").select_option(label=name)
    await expect(section.get_by_label("Dernier jour")).to_have_value(
        (WEEK + timedelta(days=6)).isoformat()
    )
    await section.get_by_role("button", name="Ouvrir ces disponibilités").click()
    # Monday 09:00-10:00 (four of 15 min) and Wednesday 13:00-14:00 (six of 10 min).
    notice = page.locator("#template-form").get_by_role("status")
    await expect(notice).to_contain_text("10 disponibilités ouvertes.")
    link = notice.get_by_role("link", name="Les voir à l'agenda")
    await expect(link).to_have_attribute(
        "href", f"/staff/agenda/practitioner/{practitioner['id']}/week/{WEEK.isoformat()}"
    )
    await assert_accessible(page)
    await shot(page, f"opened-{size}")

    # The same week again: the engine's overlap refusal, next to the first day.
    await (
        page.locator("#template-form")
        .get_by_role("button", name="Ouvrir ces disponibilités")
        .click()
    )
    error = page.locator("#template-first_day-error")
    await expect(error).to_contain_text("Rien n'a été ouvert")
    await expect(error).to_contain_text(practitioner["name"])
    await assert_accessible(page)
    await shot(page, f"overlap-{size}")

    # Closing free slots: the form, then a closing of that Monday.
    await page.goto(live_server.url(f"/staff/schedules/close?practitioner={practitioner['id']}"))
    await page.get_by_label("Premier jour").fill(WEEK.isoformat())
    await page.get_by_label("Dernier jour").fill(WEEK.isoformat())
    await assert_accessible(page)
    await shot(page, f"close-{size}")
    await page.get_by_role("button", name="Fermer les disponibilités libres").click()
    await expect(page.get_by_role("status")).to_contain_text("4 disponibilités libres fermées.")
    await expect(page.get_by_text("Aucun rendez-vous dans cette période.")).to_be_visible()
    await assert_accessible(page)
    await shot(page, f"closed-{size}")
