"""Phone first: the first wizard page is light on a slow mobile connection."""

from __future__ import annotations

from playwright.async_api import expect

from e2e.portal import WORDS, heading

BUDGET = 60_000  # bytes over the wire: HTML, CSS and JavaScript, compressed


async def test_the_first_wizard_page_weighs_at_most_60_kb(new_context, live_server):
    page = await (await new_context()).new_page()  # a fresh context: nothing cached
    responses = []
    page.on("response", lambda response: responses.append(response))
    await page.goto(live_server.url("/centre-ville/"), wait_until="load")
    await heading(page, WORDS["fr"]["identify_title"])
    await expect(page.get_by_role("button", name=WORDS["fr"]["save"])).to_be_visible()

    weights = {}
    for response in responses:
        if response.request.resource_type in ("document", "stylesheet", "script"):
            assert response.headers.get("content-encoding") == "gzip", response.url
            sizes = await response.request.sizes()
            weights[response.url] = sizes["responseHeadersSize"] + sizes["responseBodySize"]
    names = {
        url.split("?")[0].rsplit("/", 1)[-1] or "document" for url in weights
    }  # assets carry ?v=
    assert names >= {"document", "app.css", "app.js", "htmx-2.0.11.min.js"}
    total = sum(weights.values())
    print(
        f"\nfirst wizard page: {total} bytes transferred ({total / 1000:.1f} kB) in {len(weights)} responses"  # noqa: E501 - the text as read
    )
    for url, size in sorted(weights.items(), key=lambda item: -item[1]):
        print(f"  {size:>6}  {url}")
    assert total <= BUDGET, (
        f"the first wizard page weighs {total} bytes, over the {BUDGET}-byte budget"
    )
