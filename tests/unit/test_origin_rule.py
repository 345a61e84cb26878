"""Where a portal form may be posted from (app/portal/guards.py)."""

import pytest

from app.portal.guards import posted_from_clinic

HOST = "demo.localhost:8000"
LISTED = ("https://www.clinique-demo.ca",)


@pytest.mark.parametrize(
    "fetch_site, origin, allowed",
    [
        ("same-origin", "http://demo.localhost:8000", True),
        ("same-origin", "null", True),  # Origin is "null" under Referrer-Policy: no-referrer
        ("same-origin", None, True),
        (None, "http://demo.localhost:8000", True),  # a browser without Sec-Fetch-Site
        (None, "HTTP://Demo.Localhost:8000", True),
        ("cross-site", "https://www.clinique-demo.ca", True),  # a form on the clinic's own website
        ("cross-site", "https://evil.example", False),
        ("cross-site", "null", False),
        ("cross-site", None, False),
        ("same-site", "http://autre.localhost:8000", False),  # another clinic is the same site
        (None, "https://evil.example", False),
        (None, "http://demo.localhost:8001", False),
        (None, None, True),  # no browser at all: the form token still applies
    ],
)
def test_only_the_clinics_own_pages_may_post(fetch_site, origin, allowed):
    assert (
        posted_from_clinic(fetch_site=fetch_site, origin=origin, host=HOST, embed_origins=LISTED)
        is allowed
    )
