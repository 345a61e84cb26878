"""What every staff page shares: an htmx swap names the page in the tab, as a full load."""

from __future__ import annotations

import re

from tests.integration.staff_helpers import signed_in


def title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


async def test_an_htmx_swap_carries_the_staff_pages_own_title(demo):
    await signed_in(demo, "admin@demo.localhost")
    full = await demo.get("/staff/audit")
    swapped = await demo.get("/staff/audit", headers={"HX-Request": "true", "HX-Target": "main"})
    assert title(full.text).startswith("Journal d'audit")
    assert title(swapped.text) == title(full.text)
