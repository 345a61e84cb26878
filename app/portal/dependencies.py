"""What portal routes take by injection: the site (whose portal must be open here) and,
past step 1, the patient's booking session (live, of this clinic and site)."""

from __future__ import annotations

from dataclasses import replace

from litestar import Request
from litestar.exceptions import NotFoundException

from app import i18n
from app.booking import sessions
from app.booking.sessions import BookingSessionView
from app.portal.moved import SiteMoved, current_slug
from tenants.resolution import ClinicRef
from tenants.sites import SiteView, get_site


class PortalClosed(Exception):
    """The site exists but its portal is deactivated: a page says so, with its phone."""

    def __init__(self, site: SiteView) -> None:
        super().__init__("portal closed")
        self.site = site


class BookingSessionGone(NotFoundException):
    """The token names no live session here: expired (after two hours), or never was."""

    def __init__(self, site: SiteView) -> None:
        super().__init__("no such booking session")
        self.site = site


async def portal_site(clinic: ClinicRef, site_slug: str) -> SiteView:
    site = await get_site(clinic_id=clinic.id, slug=site_slug)
    if site is None:
        moved_to = await current_slug(clinic_id=clinic.id, old_slug=site_slug)
        if moved_to is not None:
            raise SiteMoved(site_slug, moved_to)
        raise NotFoundException("no such site")
    if not site.portal_active:
        raise PortalClosed(site)
    return site


async def booking_session(
    request: Request, clinic: ClinicRef, site: SiteView, token: str
) -> BookingSessionView:
    """The session keeps the patient's language: in a third-party iframe the language
    cookie may be blocked. The switch (?lang=) changes it."""
    session = await sessions.get(clinic_id=clinic.id, site_id=site.id, token=token)
    if session is None:
        raise BookingSessionGone(site)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LOCALES and chosen != session.language:
        await sessions.update(clinic_id=clinic.id, session_id=session.id, language=chosen)
        session = replace(session, language=chosen)
    i18n.activate(session.language)
    return session
