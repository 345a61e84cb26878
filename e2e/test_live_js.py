"""static/js/live.js on its own, in a real browser against a real server: a page with an
`#agenda[data-live-agenda]` (served by the test in place of the agenda, at the clinic's
origin, so its EventSource reaches the real /staff/live with the secretary's session), and
events published by the test on the clinic's channel through the server's Redis.

What a secretary would notice: a change elsewhere (another practitioner and site, another
day) leaves her agenda alone; a burst of changes refreshes it once; a refresh keeps her
scroll position and focus and never reloads the page; with a dialog open the agenda only
waits, and catches up as the dialog closes."""

from __future__ import annotations

import asyncio
import json

import pytest
from playwright.async_api import Route, expect
from redis.asyncio import Redis

from app.live.channels import agenda_channel, redis_prefix
from conftest import REDIS_TEST_URL, port_open, require
from e2e.conftest import DESKTOP, start_server, stop_server

SECRETARY = "secretariat@demo.localhost"
SHOWN = {"practitioners": [3], "sites": [1], "days": ["2027-01-13"]}
QUIET_S = 0.8  # longer than live.js's debounce and a fetch: long enough to see nothing happen


def fake_agenda(version: int) -> str:
    """An agenda page as the contract describes it, saying which version it is."""
    slots = "".join(
        f'<a class="slot" id="slot-{n}" href="#slot-{n}">Slot {n} (v{version})</a>'
        for n in range(1, 6)
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Agenda</title></head><body><div id="agenda-view"><h1>Agenda</h1>
<section id="agenda" data-live-agenda data-live-practitioners="3,4" data-live-sites="1"
  data-live-days="2027-01-13,2027-01-14">
  <p id="version">{version}</p>
  <div id="scroller" style="overflow:auto;width:300px;height:120px">
    <div style="width:2400px;height:1200px">{slots}</div>
  </div>
</section></div>
<dialog id="slot-dialog"><p>Slot</p>
  <button id="close" onclick="this.closest('dialog').close()">Close</button></dialog>
<script src="/static/vendor/htmx-2.0.11.min.js"></script>
<script src="/static/js/live.js"></script>
</body></html>"""


@pytest.fixture(scope="module")
def redis_server(live_server):
    """A server of the suite's data whose channels go through Redis, where the test
    publishes as another app instance would."""
    require("Redis at 127.0.0.1:6379", port_open("127.0.0.1", 6379))
    server = start_server("live-redis-server", REDIS_URL=REDIS_TEST_URL)
    yield server
    stop_server(server)


@pytest.mark.browser_context_args(viewport=DESKTOP, locale="en-CA")
async def test_live_js_refreshes_the_agenda_only_when_a_change_touches_it(
    new_context, redis_server
):
    from tests.integration import demo_lookup

    clinic = await demo_lookup.clinic_id("demo")
    redis = Redis.from_url(REDIS_TEST_URL)
    channel = redis_prefix(REDIS_TEST_URL) + agenda_channel(clinic)

    async def change(**touched) -> None:
        await redis.publish(channel, json.dumps({**SHOWN, **touched}))

    fetched: list[bool] = []  # one entry per refetch, True when sent as an htmx request

    async def agenda_page(route: Route) -> None:
        headers = route.request.headers
        if headers.get("hx-request") == "true":
            fetched.append(True)
        await route.fulfill(content_type="text/html", body=fake_agenda(len(fetched)))

    context = await new_context()
    page = await context.new_page()
    await page.goto(redis_server.url("/staff/sign-in"))
    await page.get_by_label("Email").fill(SECRETARY)
    await page.get_by_label("Password").fill("demo-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    await page.route("**/staff/agenda-under-test", agenda_page)
    await page.goto(redis_server.url("/staff/agenda-under-test"))
    await expect(page.locator("html")).to_have_attribute("data-live", "open")
    await page.evaluate("window.__notReloaded = true")
    version = page.locator("#version")
    try:
        # Elsewhere: another practitioner at another site, or another day.
        await change(practitioners=[9], sites=[2])
        await change(days=["2027-01-20"])
        await asyncio.sleep(QUIET_S)
        assert fetched == []
        await expect(version).to_have_text("0")

        # A burst that touches the agenda (by practitioner, by site): one refresh.
        for _ in range(4):
            await change(practitioners=[4], sites=[2])
            await asyncio.sleep(0.05)  # as changes committed one after another arrive
        await change(practitioners=[8], sites=[1])
        await expect(version).to_have_text("1")
        await asyncio.sleep(QUIET_S)
        assert fetched == [True]

        # Scroll and focus survive a refresh; the page itself is never reloaded.
        await page.locator("#slot-3").focus()  # first: focusing scrolls the slot into view
        await page.locator("#scroller").evaluate(
            "(box) => { box.scrollLeft = 500; box.scrollTop = 300; }"
        )
        await change()
        await expect(version).to_have_text("2")
        assert await page.locator("#scroller").evaluate(
            "(box) => [box.scrollLeft, box.scrollTop]"
        ) == [
            500,
            300,
        ]
        assert await page.evaluate("document.activeElement.id") == "slot-3"
        await expect(page.locator("#slot-3")).to_have_text("Slot 3 (v2)")
        assert await page.evaluate("window.__notReloaded === true")

        # A dialog open: the agenda only waits (marked stale), then catches up on close.
        await page.evaluate("document.getElementById('slot-dialog').showModal()")
        await change()
        await expect(page.locator("#agenda")).to_have_attribute("data-live-stale", "")
        await asyncio.sleep(QUIET_S)
        await expect(version).to_have_text("2")
        await page.get_by_role("button", name="Close").click()
        await expect(version).to_have_text("3")
        await expect(page.locator("#agenda")).not_to_have_attribute("data-live-stale", "")
    finally:
        await redis.aclose()
        await context.close()
