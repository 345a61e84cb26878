"""An administrator at desktop size switches a site's portal off and changes its patient
message; a patient's browser (another context) sees both at once. A bad slug is refused
next to its field without a reload. axe-core finds nothing wrong on each administration
page, in French and in English; the screenshots land in e2e/artifacts/."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from e2e.conftest import DESKTOP, outlive_cached_settings, screenshot_path
from e2e.portal import assert_accessible
from tests.integration.staff_helpers import PASSWORD


async def _restore_laval(stored: dict) -> None:
    from tenants.tables import SiteSlugRedirect, WorkSite

    await WorkSite.update(stored).where(WorkSite.slug == stored["slug"])
    await SiteSlugRedirect.delete(force=True)
    await outlive_cached_settings()  # the next test finds the site as it was


async def test_an_administrator_closes_a_portal_and_the_patient_sees_it(
    page: Page, browser: Browser, live_server
):
    from tenants.tables import WorkSite

    stored = (
        await WorkSite.select(
            WorkSite.slug, WorkSite.portal_active, WorkSite.patient_message_en, WorkSite.phone
        )
        .where(WorkSite.slug == "laval")
        .first()
    )
    patient_context = await browser.new_context(locale="en-CA", viewport=DESKTOP)
    patient = await patient_context.new_page()
    try:
        await patient.goto(live_server.url("/laval/?lang=en"))
        await expect(patient.get_by_role("button", name="Continue")).to_be_visible()

        await page.set_viewport_size(DESKTOP)
        await page.goto(live_server.url("/staff/sign-in?lang=en"))
        await page.get_by_label("Email").fill("admin@demo.localhost")
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await (
            page.get_by_role("navigation", name="Staff area")
            .get_by_role("link", name="Administration")
            .click()
        )
        await expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
        await assert_accessible(page)
        await page.screenshot(path=screenshot_path("admin-index-desktop"), full_page=True)

        await page.get_by_role("link", name="Clinic", exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Clinic")
        await assert_accessible(page)
        await page.screenshot(path=screenshot_path("admin-clinic-desktop"), full_page=True)

        await page.goto(live_server.url("/staff/administration?lang=en"))
        await page.get_by_role("link", name="Work sites").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Work sites")
        await assert_accessible(page)
        await page.get_by_role("link", name="Laval").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Laval")
        await assert_accessible(page)

        # A bad slug: said next to its field, typed value kept, without a reload
        await page.get_by_label("Portal address").fill("Not A Slug")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("#slug-error")).to_be_visible()
        await expect(page.get_by_label("Portal address")).to_have_value("Not A Slug")
        await assert_accessible(page)
        await page.screenshot(path=screenshot_path("admin-site-error-desktop"), full_page=True)
        await page.get_by_label("Portal address").fill("laval")

        await page.get_by_label("Portal active").uncheck()
        await page.get_by_label("Patient message (English)").fill(
            "Closed for renovations: please call us."
        )
        await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_contain_text("Saved.")
        await page.screenshot(path=screenshot_path("admin-site-saved-desktop"), full_page=True)

        await patient.reload()
        await expect(patient.get_by_role("heading", level=1)).to_have_text(
            "Online booking is not available"
        )
        await expect(patient.get_by_text("Closed for renovations: please call us.")).to_be_visible()
        await expect(patient.get_by_role("link", name="(450) 555-0200")).to_be_visible()
        await patient.screenshot(
            path=screenshot_path("admin-portal-closed-patient"), full_page=True
        )

        # The same pages in French
        for path, heading in (
            ("/staff/administration?lang=fr", "Administration"),
            ("/staff/administration/clinic?lang=fr", "Clinique"),
            ("/staff/administration/sites?lang=fr", "Sites de travail"),
        ):
            await page.goto(live_server.url(path))
            await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            await assert_accessible(page)
        await page.get_by_role("link", name="Laval").click()
        await expect(page.get_by_label("Portail actif")).not_to_be_checked()
        await expect(page.get_by_label("Message au patient (anglais)")).to_have_value(
            "Closed for renovations: please call us."
        )
        await expect(page.get_by_role("button", name="Enregistrer")).to_be_visible()
        await assert_accessible(page)
        await page.screenshot(path=screenshot_path("admin-site-fr-desktop"), full_page=True)
    finally:
        await patient_context.close()
        await _restore_laval(stored)
