"""The portal's Litestar guard: a form is posted from the clinic's own pages.

Where a form is posted from: browsers say it in Sec-Fetch-Site, or failing that in
Origin. The portal in the widget is a page of the clinic's host inside the clinic's
website, so its forms are same-origin; a form on one of the clinic's listed websites
may post too. A page elsewhere (another site, or another clinic's subdomain, which
is "same-site") may not. A client that sends neither header is no browser a page
could drive, and the form token still applies."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler


class CrossSiteForm(PermissionDeniedException):
    """A form posted from a page that is not the clinic's."""


def posted_from_clinic(
    *, fetch_site: str | None, origin: str | None, host: str, embed_origins: tuple[str, ...]
) -> bool:
    # Sec-Fetch-Site first: under Referrer-Policy: no-referrer, Chromium sends "Origin: null"
    # even for a form posted from the clinic's own page.
    if fetch_site in ("same-origin", "none"):
        return True
    if origin and origin != "null":
        allowed = {f"http://{host}", f"https://{host}", *embed_origins}
        return origin.lower() in {o.lower() for o in allowed}
    return fetch_site is None


async def clinic_pages_only(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """A POST from elsewhere is refused with a page."""
    if connection.scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return
    clinic = connection.scope["state"]["clinic"]
    headers = connection.headers
    if not posted_from_clinic(
        fetch_site=headers.get("sec-fetch-site"),
        origin=headers.get("origin"),
        host=headers.get("host", ""),
        embed_origins=clinic.embed_origins if clinic else (),
    ):
        raise CrossSiteForm("form posted from another site")
