"""The embed snippets in the administration: each site's script tag and iframe, built
from the clinic's own address, selectable without JavaScript, with a preview of the
portal; the old public `/{site}/embed` page is gone (404); administrators only."""

from __future__ import annotations

import html
import re

from tenants.tables import WorkSite
from tests.integration.portal_helpers import text
from tests.integration.staff_helpers import signed_in

EMBED = "/staff/administration/embed"


def snippets(page) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<textarea[^>]*>([^<]+)</textarea>", page.text)]


async def test_each_site_has_its_script_tag_iframe_copy_button_and_preview(demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(EMBED)
    assert page.status_code == 200
    sites = await WorkSite.select(WorkSite.slug).where(WorkSite.clinic.slug == "demo")
    found = snippets(page)
    assert len(found) == 2 * len(sites)
    for site in sites:
        base = f"http://demo.localhost:8000/{site['slug']}"
        assert f'<script src="{base}/widget.js" async></script>' in found
        assert any(s.startswith(f'<iframe src="{base}"') for s in found)
        assert f'class="embed-preview" src="{base}"' in page.text
    # Readonly fields: selectable text without JavaScript; the button is an enhancement.
    assert page.text.count("readonly") == len(found)
    assert page.text.count("data-copy=") == len(found) and "js/copy.js" in page.text


async def test_the_public_embed_page_is_gone(demo):
    assert (await demo.get("/centre-ville/embed")).status_code == 404
    assert (await demo.get("/centre-ville/widget.js")).status_code == 200  # the widget stays


async def test_a_secretary_gets_403_and_another_clinic_sees_only_its_own_sites(demo, autre):
    await signed_in(demo, "secretariat@demo.localhost")
    refused = await demo.get(EMBED)
    assert refused.status_code == 403 and "<textarea" not in refused.text
    await signed_in(autre, "admin@autre.localhost")
    page = await autre.get(EMBED)
    assert page.status_code == 200
    assert "demo.localhost" not in page.text and "Centre-ville" not in text(page)
    assert all("autre.localhost" in s for s in snippets(page))


async def test_the_page_reads_in_english(demo):
    await signed_in(demo, "admin@demo.localhost")
    page = await demo.get(EMBED + "?lang=en")
    assert "Widget (resizes itself)" in text(page) and "Copy" in text(page)
