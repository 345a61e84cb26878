"""Public pages of a clinic host: its home (the list of site portals) and each site's portal."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

from app.htmx import page_or_fragment
from tenants.resolution import ClinicRef
from tenants.sites import get_site, list_sites


@get("/", name="home")
async def home(request: Request) -> Response[str]:
    state = request.scope["state"]
    if state["host_kind"] == "platform":
        return page_or_fragment(request, "platform/home.html")
    clinic: ClinicRef = state["clinic"]
    sites = await list_sites(clinic_id=clinic.id)
    return page_or_fragment(request, "portal/clinic_home.html", {"sites": sites})


@get("/{site_slug:str}/", name="site_portal")
async def site_portal(request: Request, site_slug: str, clinic: ClinicRef) -> Response[str]:
    site = await get_site(clinic_id=clinic.id, slug=site_slug)
    if site is None:
        raise NotFoundException("no such site")
    if not site["portal_active"]:
        return page_or_fragment(request, "portal/closed.html", {"site": site})
    return page_or_fragment(request, "portal/site_home.html", {"site": site})
