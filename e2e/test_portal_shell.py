"""A patient opens a site's portal on a phone and switches language."""

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, PHONE, screenshot_path
from e2e.portal import check_page


async def test_portal_on_a_phone_switches_language(page: Page, live_server):
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.format(clinic="demo") + "/centre-ville/")

    # The site's portal opens on the first step of the wizard.
    await expect(page.get_by_role("heading", level=1)).to_have_text("Prendre rendez-vous")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_text("Centre-ville", exact=True)).to_be_visible()
    await expect(page.get_by_label("Prénom")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=screenshot_path("portal-fr-phone"), full_page=True)

    await page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_text("Downtown", exact=True)).to_be_visible()
    await page.screenshot(path=screenshot_path("portal-en-phone"), full_page=True)

    # The choice sticks: the next page (no ?lang=) is still English.
    await page.goto(live_server.format(clinic="demo") + "/laval/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Book an appointment")

    await page.set_viewport_size(DESKTOP)
    await page.goto(live_server.format(clinic="demo") + "/centre-ville/")
    await page.screenshot(path=screenshot_path("portal-en-desktop"), full_page=True)


async def test_skip_link_is_the_first_tab_stop(page: Page, live_server):
    await page.goto(live_server.format(clinic="demo") + "/centre-ville/?lang=en")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()


async def test_unknown_clinic_host_shows_the_404_page(page: Page, live_server):
    response = await page.goto(live_server.format(clinic="nobody") + "/centre-ville/")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")


async def test_the_clinic_home_lists_its_sites(page: Page, live_server):
    await page.goto(live_server.format(clinic="demo") + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Clinique Démo")
    await check_page(page, "clinic-home-fr")
    await page.get_by_role("link", name="Laval").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Prendre rendez-vous")
    await expect(page.get_by_text("3000 boulevard Le Carrefour", exact=False)).to_be_visible()
