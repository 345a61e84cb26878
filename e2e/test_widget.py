"""The widget embedded on the clinic's own website, which is another site than the
portal (127.0.0.1 against demo.localhost), in a browser that blocks third-party cookies."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.async_api import expect

from e2e.conftest import LAUNCH_ARGS, PHONE, OwnPatient, screenshot_path
from e2e.portal import WORDS, choose_service, heading, hold_first_slot, identify

FR = WORDS["fr"]
PROBE = "document.cookie = 'probe=1; SameSite=None; Secure; Path=/'; document.cookie.includes('probe=1')"  # noqa: E501 - the text as read


@pytest.fixture(scope="module")
async def cookieless_browser(browser_type, browser_type_launch_args):
    """Chromium as it ships to people who block third-party cookies."""
    browser = await browser_type.launch(
        **{**browser_type_launch_args, "args": [*LAUNCH_ARGS, "--test-third-party-cookie-phaseout"]}
    )
    yield browser
    await browser.close()


async def website(browser, origin: str, live_server) -> str:
    """The clinic's website with the widget snippet pasted into it exactly as the clinic
    copies it from the administration's embed page (in the clinic's own browser, signed in
    as its administrator, not the patient's)."""
    clinic = await browser.new_context(locale="fr-CA")
    try:
        admin = await clinic.new_page()
        await admin.goto(live_server.url("/staff/sign-in"))
        await admin.get_by_label("Courriel").fill("admin@demo.localhost")
        await admin.get_by_label("Mot de passe").fill("demo-password")
        await admin.get_by_role("button", name="Se connecter").click()
        await expect(admin.get_by_role("button", name="Se déconnecter")).to_be_visible()
        await admin.goto(live_server.url("/staff/administration/embed"))
        # The first site's widget (Centre-ville).
        snippet = await admin.get_by_label("Widget (s'ajuste tout seul)").first.input_value()
    finally:
        await clinic.close()
    return f"{origin}/?snippet={quote(snippet, safe='')}"


async def test_booking_through_the_widget_without_third_party_cookies(
    cookieless_browser, live_server, clinic_websites, follow_ups: OwnPatient
):
    context = await cookieless_browser.new_context(locale="fr-CA", viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(await website(cookieless_browser, clinic_websites["listed"], live_server))
        frame = page.frame_locator("iframe")
        await heading(frame, FR["identify_title"])
        inner = await (await page.locator("iframe").element_handle()).content_frame()

        # Inside the frame the portal is third-party: a cookie it sets does not stick.
        assert await inner.evaluate(PROBE) is False

        # The frame takes its content's height: the patient scrolls the clinic's page only.
        await assert_frame_fits(page, inner)
        await shoot(page, "widget-1-identify-phone")

        await identify(frame, follow_ups.who)
        # The button was at the bottom of a tall frame: the next step shows from its top.
        await heading(frame, FR["service_title"])
        await expect(frame.get_by_role("heading", level=1)).to_be_in_viewport()
        await choose_service(frame, FR["follow_up"], "Contrôle annuel")
        await hold_first_slot(frame)
        await heading(frame, FR["review_title"])
        await assert_frame_fits(page, inner)
        await shoot(page, "widget-4-review-phone")
        await frame.get_by_role("button", name=FR["book"]).click()
        await heading(frame, FR["done_title"])
        await frame.get_by_role("link", name=FR["view"]).click()
        await heading(frame, FR["details_title"])
        await assert_frame_fits(page, inner)
        await shoot(page, "widget-6-details-phone")
        assert await context.cookies(live_server.url("/")) == []  # the whole way without a cookie

        # The same cookie sticks on the portal's own page: only the third-party rule stopped it.
        own = await context.new_page()
        await own.goto(live_server.url("/centre-ville/"))
        assert await own.evaluate(PROBE) is True
    finally:
        await context.close()


async def shoot(page, name: str) -> None:
    """The whole clinic page with the portal in it. Full-page captures leave a frame from
    another site blank in Chromium, so the viewport is stretched to the page instead."""
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({**PHONE, "height": height})
    await page.screenshot(path=screenshot_path(name))
    await page.set_viewport_size(PHONE)


async def assert_frame_fits(page, inner) -> None:
    """The iframe grows and shrinks to the portal's page inside it (down to the widget's
    640 px minimum): no scrolling inside the frame, no empty band under the portal."""
    content = await inner.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
    await page.wait_for_function(
        "(content) => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - Math.max(640, content)) <= 2",  # noqa: E501 - the text as read
        arg=content,
    )
    assert await inner.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")


async def test_a_website_the_clinic_does_not_list_cannot_frame_the_portal(
    cookieless_browser, live_server, clinic_websites
):
    context = await cookieless_browser.new_context(locale="fr-CA", viewport=PHONE)
    try:
        page = await context.new_page()
        url = await website(cookieless_browser, clinic_websites["unlisted"], live_server)
        async with page.expect_console_message(
            lambda message: "frame-ancestors" in message.text
        ) as refusal:
            await page.goto(url)
        assert "The request has been blocked" in (await refusal.value).text
        inner = await (await page.locator("iframe").element_handle()).content_frame()
        assert not inner.url.startswith(
            live_server.url("/")
        )  # the browser left it on an error page
        await expect(
            page.frame_locator("iframe").get_by_role("heading", name=FR["identify_title"])
        ).to_have_count(0)
        await shoot(page, "widget-refused-phone")
    finally:
        await context.close()
