"""An administrator, at desktop size, makes an online service inactive and a patient in
another browser no longer sees it at step 2; axe-core finds nothing wrong on the
administration's service and catalogue pages, in French and in English."""

from __future__ import annotations

import itertools

from playwright.async_api import Page, expect

from e2e.conftest import DESKTOP, outlive_cached_settings, screenshot_path
from e2e.portal import WORDS, assert_accessible, heading, identify
from tests.integration.staff_helpers import PASSWORD

_tags = itertools.count(1)


async def _service_open_to_all(clinic_id: int) -> tuple[int, str]:
    """A service of this test's own (the servers are shared): vaccinations, open to all."""
    from app.online_services.tables import OnlineService, ServiceActivity
    from tests.integration import demo_lookup

    name = f"Bilan éclair {next(_tags)}"
    service = OnlineService(
        clinic=clinic_id,
        name_fr=name,
        name_en=name,
        description_fr="",
        description_en="",
        display_order=90,
    )
    await service.save()
    activity = await demo_lookup.activity_id(clinic_id, "Vaccination")
    await ServiceActivity(clinic=clinic_id, service=service.id, activity=activity).save()
    await outlive_cached_settings()  # written here, not through the app
    return service.id, name


async def _sign_in(page: Page, live_server) -> None:
    await page.goto(live_server.url("/staff/sign-in?lang=en"))
    await page.get_by_label("Email").fill("admin@demo.localhost")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Staff area")).to_be_visible()


async def _step2_services(page: Page) -> list[str]:
    return await page.get_by_label(WORDS["fr"]["category"]).locator("option").all_inner_texts()


async def test_an_inactive_service_leaves_step_2_of_a_patient_elsewhere(
    page: Page, new_context, live_server, patient
):
    service_id, name = await _service_open_to_all(patient.clinic_id)
    visitor = await (await new_context()).new_page()
    await visitor.set_viewport_size(DESKTOP)
    await visitor.goto(live_server.url("/centre-ville/"))
    await identify(visitor, patient.who)
    await heading(visitor, WORDS["fr"]["service_title"])
    assert name in [label.strip() for label in await _step2_services(visitor)]

    await page.set_viewport_size(DESKTOP)
    await _sign_in(page, live_server)
    await page.goto(live_server.url("/staff/administration/services/?lang=en"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Online services")
    row = page.get_by_role("row").filter(has_text=name)
    await expect(row).to_contain_text("Open to everyone")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("admin-services-en"), full_page=True)
    await row.get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Edit the online service")
    await page.get_by_label("Active: offered on the portal").uncheck()
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Online service saved")
    await expect(page.get_by_label("Active: offered on the portal")).not_to_be_checked()

    await visitor.reload()
    await heading(visitor, WORDS["fr"]["service_title"])
    assert name not in [label.strip() for label in await _step2_services(visitor)]
    await visitor.screenshot(path=screenshot_path("admin-services-step2-after"), full_page=True)

    # Bad input: the message next to the field, the typed text kept (HTMX swap).
    await page.get_by_label("Minimum age (years)").fill("abc")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.locator("#min_age-error")).to_have_text(
        "Enter an age in years, from 0 to 130."
    )
    await expect(page.get_by_label("Minimum age (years)")).to_have_value("abc")
    await assert_accessible(page)
    await page.screenshot(path=screenshot_path("admin-service-error-en"), full_page=True)
    await visitor.context.close()


async def test_the_administration_pages_pass_axe_in_french_and_english(page: Page, live_server):
    from tests.integration import demo_lookup

    clinic = await demo_lookup.clinic_id("demo")
    activity = await demo_lookup.activity_id(clinic, "Suivi")
    practitioner = await demo_lookup.practitioner_id(clinic, "Dre Julie Roy")
    await page.set_viewport_size(DESKTOP)
    await _sign_in(page, live_server)
    pages = {
        "services": "/staff/administration/services/",
        "service-new": "/staff/administration/services/new",
        "catalogue": "/staff/administration/catalogue/",
        "activity": f"/staff/administration/catalogue/activities/{activity}",
        "type-new": "/staff/administration/catalogue/appointment-types/new",
        "practitioner": f"/staff/administration/catalogue/practitioners/{practitioner}",
    }
    for lang in ("fr", "en"):
        for name, path in pages.items():
            await page.goto(live_server.url(f"{path}?lang={lang}"))
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            await assert_accessible(page)
            await page.screenshot(path=screenshot_path(f"admin-{name}-{lang}"), full_page=True)
