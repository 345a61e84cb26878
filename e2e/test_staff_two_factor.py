"""A staff member turns on two-factor authentication and signs in with a code, in a real
browser at 1280x800: the sign-in page, the security page (the QR code and the key as
text), the recovery codes, the second step (a wrong code said next to the field), all
without an accessibility violation (axe-core). Screenshots land in e2e/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from app.staff import accounts, totp
from app.staff.tables import StaffAccount, StaffRole
from e2e.conftest import DESKTOP, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.demo_lookup import clinic_id

EMAIL = "deux.facteurs@demo.localhost"
PASSWORD = "a long password for the browser test"


@pytest.fixture
async def account(live_server):
    """An account of its own, so that no other browser test meets a second factor."""
    await StaffAccount.delete().where(StaffAccount.email == EMAIL)
    await accounts.create(
        clinic_id=await clinic_id("demo"),
        email=EMAIL,
        name="Camille Deux-Facteurs",
        role=StaffRole.SECRETARY,
        password=PASSWORD,
    )
    yield EMAIL
    await StaffAccount.delete().where(StaffAccount.email == EMAIL)


async def sign_in_with_password(page: Page, server) -> None:
    await page.goto(server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(EMAIL)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Se connecter", exact=True).click()


async def test_a_secretary_turns_on_two_factor_and_signs_in_with_a_code(
    page: Page, live_server, account
):
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url("/staff/sign-in"))
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-sign-in"), full_page=True)
    await sign_in_with_password(page, live_server)
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Camille")

    await page.goto(live_server.url("/staff/account/security"))
    await expect(
        page.get_by_role("img", name="Code QR pour votre application d'authentification")
    ).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-security-enrol"), full_page=True)
    secret = re.sub(r"\s", "", await page.locator("#totp-secret").inner_text())
    await page.get_by_label("Code de l'application").fill("000000")
    await page.get_by_role("button", name="Activer l'authentification à deux facteurs").click()
    await expect(page.locator("#enrol-code-error")).to_have_text("Ce code n'est pas correct.")
    await assert_accessible(page)
    await page.get_by_label("Code de l'application").fill(totp.code_at(secret, totp.current_step()))
    await page.get_by_role("button", name="Activer l'authentification à deux facteurs").click()
    codes = page.locator(".recovery-codes code")
    await expect(codes).to_have_count(10)
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-recovery-codes"), full_page=True)
    await page.get_by_role("link", name="Je les ai conservés, continuer").click()

    await page.get_by_role("button", name="Se déconnecter").click()
    await sign_in_with_password(page, live_server)
    await expect(
        page.get_by_role("heading", name="Authentification à deux facteurs")
    ).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-second-factor"), full_page=True)
    await page.get_by_label("Code", exact=True).fill("000000")
    await page.get_by_role("button", name="Continuer").click()
    await expect(page.locator("#code-error")).to_have_text("Ce code n'est pas correct.")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-second-factor-wrong"), full_page=True)
    # The next time step's code (the one enrolment used cannot serve twice)
    await page.get_by_label("Code", exact=True).fill(totp.code_at(secret, totp.current_step() + 1))
    await page.get_by_role("button", name="Continuer").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Camille")
    await page.goto(live_server.url("/staff/account/security"))
    await expect(page.get_by_text("Activée")).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-security-on"), full_page=True)


async def test_the_administration_page_is_accessible(page: Page, live_server):
    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill("admin@demo.localhost")
    await page.get_by_label("Mot de passe").fill("demo-password")
    await page.get_by_role("button", name="Se connecter", exact=True).click()
    await page.goto(live_server.url("/staff/administration/clinic"))
    box = page.get_by_label("Exiger l'authentification à deux facteurs pour la clinique")
    await expect(box).not_to_be_checked()
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("staff-administration"), full_page=True)
