"""Back after htmx's history cache missed: the page comes back whole (header, language
switch, footer), not as a bare step swapped into <body>. And nothing the pages do is
refused by their Content-Security-Policy."""

from playwright.async_api import Page, expect

from e2e.conftest import PHONE, screenshot_path
from e2e.portal import WORDS, heading, identify
from tests.integration.portal_helpers import MARIE

FR = WORDS["fr"]


async def test_back_after_a_history_cache_miss_shows_the_whole_page(page: Page, live_server):
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text)
        if "Content Security Policy" in message.text
        else None,
    )
    await page.set_viewport_size(PHONE)
    await page.goto(live_server.url("/centre-ville/"))
    await identify(page, MARIE)
    await heading(page, FR["service_title"])  # swapped in by htmx, the address bar followed
    assert "/b/" in page.url

    # What a long visit (htmx keeps the last 10 pages) or a full storage leave htmx with:
    # no copy of the first page to restore.
    await page.evaluate("sessionStorage.removeItem('htmx-history-cache')")
    async with page.expect_request(
        lambda request: request.headers.get("hx-history-restore-request") == "true"
    ):
        await page.go_back()
    await heading(page, FR["identify_title"])
    await expect(page.locator("header.site-header")).to_be_visible()
    await expect(
        page.get_by_role("navigation", name="Langue").get_by_role("link", name="English")
    ).to_be_visible()
    await expect(page.locator("footer.site-footer")).to_contain_text("514 555 0100")
    assert await page.locator("header.site-header").count() == 1  # not a page inside the page
    await page.screenshot(path=screenshot_path("history-restore-phone"), full_page=True)
    assert refused == []
