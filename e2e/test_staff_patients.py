"""The front desk finds a file as it types and opens it, at 1280x800, in English and in
French: results swap in as the secretary types, the file shows its contacts in order;
axe-core finds nothing wrong on either page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from app.patients.normalise import fold_name
from e2e.conftest import DESKTOP, PHONE, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.staff_helpers import PASSWORD

WORDS = {
    "en": {"sign_in": "Sign in", "search": "Search for a file", "main": "Main contact"},
    "fr": {
        "sign_in": "Se connecter",
        "search": "Rechercher un dossier",
        "main": "Contact principal",
    },
}


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_secretary_finds_and_opens_a_file(page: Page, live_server, follow_ups, lang):
    words = WORDS[lang]
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url(f"/staff/sign-in?lang={lang}"))
    await page.locator("#email").fill("secretariat@demo.localhost")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name=words["sign_in"]).click()
    await page.goto(live_server.url(f"/staff/patients?lang={lang}"))
    last_name = follow_ups.who["last_name"]
    # Typed as the secretary would, lower case and without accents: results swap in. The
    # whole name: other tests' files share its first letters and may fill the first page.
    typed = fold_name(last_name)
    await page.get_by_label(words["search"]).press_sequentially(typed, delay=40)
    link = page.locator("#patient-results a", has_text=last_name)
    await expect(link.first).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-patients-search-{lang}"), full_page=True)
    await link.first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(last_name)
    await expect(page.locator("ol.contacts li").first).to_contain_text(words["main"])
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-patients-file-{lang}"), full_page=True)


CONTACT_WORDS = {
    "en": {
        "kind": "Kind of contact",
        "value": "Email or phone number",
        "add": "Add the contact",
        "home": "Home phone",
        "bad": "Enter a valid phone number",
        "correct": "Correct",
        "save": "Save the contact",
        "remove": "Remove",
    },
    "fr": {
        "kind": "Type de coordonnée",
        "value": "Courriel ou numéro de téléphone",
        "add": "Ajouter la coordonnée",
        "home": "Téléphone à la maison",
        "bad": "Entrez un numéro de téléphone valide",
        "correct": "Corriger",
        "save": "Enregistrer la coordonnée",
        "remove": "Retirer",
    },
}


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_secretary_adds_corrects_and_removes_a_contact(
    page: Page, live_server, patient, lang
):
    """By keyboard and plain forms: a bad number is said next to the field and kept, a
    good one joins the file last, is corrected on its own page, then removed."""
    words = CONTACT_WORDS[lang]
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url(f"/staff/sign-in?lang={lang}"))
    await page.locator("#email").fill("secretariat@demo.localhost")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name=CONTACT_SIGN_IN[lang]).click()
    await page.goto(live_server.url(f"/staff/patients/{patient.patient_id}?lang={lang}"))
    await page.get_by_label(words["kind"]).select_option("home")
    await page.get_by_label(words["value"]).fill("555 12")
    await page.get_by_label(words["value"]).press("Enter")
    await expect(page.locator("#value-error")).to_contain_text(words["bad"])
    await expect(page.get_by_label(words["value"])).to_have_value("555 12")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-contact-error-{lang}"), full_page=True)
    await page.get_by_label(words["value"]).fill("514 555 0142")
    await page.get_by_role("button", name=words["add"]).click()
    last = page.locator("ol.contacts > li").last
    await expect(last).to_contain_text(words["home"])
    await expect(last).to_contain_text("555-0142")
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=screenshot_path(f"staff-contacts-{lang}"), full_page=True)
    await last.get_by_role("link", name=words["correct"]).click()
    await page.get_by_label(words["value"]).fill("514 555 0143")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path(f"staff-contact-correct-{lang}"), full_page=True)
    await page.get_by_role("button", name=words["save"]).click()
    last = page.locator("ol.contacts > li").last
    await expect(last).to_contain_text("555-0143")
    await last.get_by_role("button", name=words["remove"]).click()
    await expect(page.locator("ol.contacts")).not_to_contain_text("555-0143")
    await expect(page.locator("ol.contacts > li")).to_have_count(1)


CONTACT_SIGN_IN = {"en": "Sign in", "fr": "Se connecter"}
