"""What every portal route checks first: the site exists here and its portal is open;
that a form was posted from the clinic's own pages; and the signed form token that
stands in for a CSRF cookie (which a third-party iframe may not get).

Where a form is posted from: browsers say it in Sec-Fetch-Site, or failing that in
Origin. The portal in the widget is a page of the clinic's host inside the clinic's
website, so its forms are same-origin; a form on one of the clinic's listed websites
may post too. A page elsewhere (another site, or another clinic's subdomain, which
is "same-site") may not. A client that sends neither header is no browser a page
could drive, and the form token still applies."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from app import clock, signing
from app.numbers import whole_number
from tenants.resolution import ClinicRef
from tenants.sites import get_site

TOKEN_HOURS = 2  # a form left open longer than this asks to be sent again
MAX_HOUR = 10**7  # hours since 1970: the year 3110


class PortalClosed(Exception):
    def __init__(self, site: dict) -> None:
        super().__init__("portal closed")
        self.site = site


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


def clinic_pages_only(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard of the portal's controllers: a POST from elsewhere is refused with a page."""
    if connection.scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return
    clinic = connection.scope["state"]["clinic"]
    headers = connection.headers
    if not posted_from_clinic(
        fetch_site=headers.get("sec-fetch-site"), origin=headers.get("origin"),
        host=headers.get("host", ""), embed_origins=clinic.embed_origins if clinic else (),
    ):
        raise CrossSiteForm("form posted from another site")


async def portal_site(clinic: ClinicRef, site_slug: str) -> dict:
    site = await get_site(clinic_id=clinic.id, slug=site_slug)
    if site is None:
        raise NotFoundException("no such site")
    if not site["portal_active"]:
        raise PortalClosed(site)
    return site


def _signature(secret: str, scope: str, hour: int) -> str:
    return signing.digest(secret, f"form:{scope}:{hour}")[:16].hex()


def form_token(request: Request, scope: str) -> str:
    hour = int(clock.now().timestamp() // 3600)
    return f"{hour}.{_signature(request.app.state.settings.secret_key, scope, hour)}"


def check_form_token(request: Request, token: str, scope: str) -> bool:
    hour_text, _dot, signature = token.partition(".")
    hour = whole_number(hour_text, maximum=MAX_HOUR)
    now_hour = int(clock.now().timestamp() // 3600)
    if hour is None or not 0 <= now_hour - hour < TOKEN_HOURS:
        return False
    return signing.same(_signature(request.app.state.settings.secret_key, scope, hour), signature)
