"""Back after htmx's history cache missed: htmx 2.0.11 (historyRestoreAsHxRequest) asks
the server with HX-Request and HX-History-Restore-Request, and puts the answer in
<body>. It must get the whole page, or the header, language switch and footer vanish."""

from __future__ import annotations

import re

import pytest

from tests.integration.portal_helpers import (
    MARIE,
    book_marie_follow_up,
    choose_service,
    identify,
    open_follow_ups,
)
from tests.moments import freeze

HTMX = {"HX-Request": "true"}
RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}


@pytest.fixture
async def portal(demo):
    freeze()
    await open_follow_ups()
    return demo


def whole_page(response) -> bool:
    return all(
        part in response.text
        for part in (
            "<html",
            '<header class="site-header">',
            'class="lang-switch"',
            '<footer class="site-footer">',
        )
    )


async def test_a_history_restore_gets_the_whole_page(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    done = await book_marie_follow_up(portal)
    details = re.search(r'href="(/a/[^"]+)"', done).group(1)
    for url in ("/centre-ville/", service_url, service_url.replace("/service", "/slots"), details):
        restored = await portal.get(url, headers=RESTORE)
        assert restored.status_code == 200 and whole_page(restored), url
        assert "hx-push-url" not in restored.headers  # htmx is already at this address
        fragment = await portal.get(url, headers=HTMX)
        assert not whole_page(fragment) and fragment.headers["hx-push-url"] == url, url


async def test_a_boosted_request_gets_the_whole_page(portal):
    boosted = await portal.get("/centre-ville/", headers={**HTMX, "HX-Boosted": "true"})
    assert whole_page(boosted)


async def test_the_fragment_names_the_address_it_answers_with_its_query(portal):
    service_url = (await identify(portal, MARIE)).headers["location"]
    await choose_service(portal, service_url, "Suivi avec mon médecin de famille")
    slots = service_url.replace("/service", "/slots") + "?shown=10"
    fragment = await portal.get(slots, headers=HTMX)
    assert fragment.headers["hx-push-url"] == slots
    assert "HX-History-Restore-Request" in fragment.headers["vary"]
