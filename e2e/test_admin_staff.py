"""Staff accounts, the embed snippets and SMS usage in the administration, in Chromium at
1280x800: an administrator creates an account, the invitee opens the emailed link (read
from the dev outbox), chooses a password and signs in; axe-core finds nothing on each
page in French and English; screenshots in e2e/artifacts/."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, screenshot_path
from e2e.portal import assert_accessible


async def sign_in(page: Page, live_server, email: str, password: str) -> None:
    await page.goto(live_server.url("/staff/sign-in"))
    await page.get_by_label("Courriel").fill(email)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_role("button", name="Se connecter").click()
    await expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


async def check(page: Page, name: str) -> None:
    """axe-core in French, then in English, a screenshot of each."""
    url = page.url.split("?")[0]
    for lang in ("fr", "en"):
        await page.goto(f"{url}?lang={lang}")
        await assert_accessible(page)
        await page.screenshot(path=screenshot_path(f"admin-{name}-{lang}"), full_page=True)
    await page.goto(f"{url}?lang=fr")


async def test_an_account_is_created_and_its_invitee_sets_a_password_and_signs_in(
    browser, live_server
):
    email = f"nouveau-{uuid.uuid4().hex[:8]}@demo.localhost"
    admin_context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    admin = await admin_context.new_page()
    await sign_in(admin, live_server, "admin@demo.localhost", "demo-password")
    await admin.goto(live_server.url("/staff/administration/accounts"))
    await check(admin, "accounts")

    # A bad email first: the message next to the field, the name kept.
    await admin.get_by_label("Courriel").fill("pas une adresse")
    await admin.get_by_label("Nom", exact=True).fill("Nora Nouveau")
    await admin.get_by_role("button", name="Créer et envoyer l'invitation").click()
    await expect(admin.locator("#email-error")).to_be_visible()
    await expect(admin.get_by_label("Nom", exact=True)).to_have_value("Nora Nouveau")
    await admin.screenshot(path=screenshot_path("admin-accounts-error"), full_page=True)

    await admin.get_by_label("Courriel").fill(email)
    await admin.get_by_label("Rôle").select_option("secretary")
    await admin.get_by_role("button", name="Créer et envoyer l'invitation").click()
    await expect(admin.get_by_role("status")).to_contain_text("Compte créé")
    await expect(admin.get_by_role("link", name="Nora Nouveau")).to_be_visible()

    await admin.goto(live_server.url("/dev/outbox"))
    body = await admin.locator("article", has_text=email).locator("pre").inner_text()
    link = re.search(r"http://\S+/staff/set-password/\S+", body).group(0)

    invitee_context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    invitee = await invitee_context.new_page()
    await invitee.goto(live_server.url("/" + link.split("/", 3)[3]))  # this server's port
    await expect(invitee.get_by_role("heading", level=1)).to_have_text(
        "Choisissez votre mot de passe"
    )
    await assert_accessible(invitee)
    await invitee.get_by_label("Nouveau mot de passe").fill("trop court")
    await invitee.get_by_label("Le même mot de passe encore").fill("trop court")
    await invitee.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(invitee.locator("#password-error")).to_contain_text("au moins 12")
    await invitee.screenshot(path=screenshot_path("admin-set-password-error"), full_page=True)
    await invitee.get_by_label("Nouveau mot de passe").fill("une phrase assez longue")
    await invitee.get_by_label("Le même mot de passe encore").fill("une phrase assez longue")
    await invitee.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await expect(invitee.get_by_role("status")).to_contain_text("Votre mot de passe est enregistré")
    await sign_in(invitee, live_server, email, "une phrase assez longue")
    await expect(invitee.get_by_text("Nora Nouveau").first).to_be_visible()
    await invitee.screenshot(path=screenshot_path("admin-invitee-signed-in"), full_page=True)
    await invitee_context.close()
    await admin_context.close()


async def test_the_embed_and_sms_usage_pages_are_accessible(browser, live_server):
    context = await browser.new_context(locale="fr-CA", viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, "admin@demo.localhost", "demo-password")
    await page.goto(live_server.url("/staff/administration/accounts"))
    await page.get_by_role("link", name="Dre Julie Roy").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Dre Julie Roy")
    await check(page, "account")
    await page.goto(live_server.url("/staff/administration/embed"))
    await page.get_by_text("Aperçu").first.click()  # the live preview opens
    await expect(page.frame_locator("iframe.embed-preview").first.locator("h1")).to_be_visible()
    await check(page, "embed")
    await page.goto(live_server.url("/staff/administration/sms-usage"))
    await expect(page.locator("svg.sms-chart")).to_be_visible()
    await check(page, "sms-usage")
    await context.close()
