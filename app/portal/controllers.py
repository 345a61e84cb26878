"""The home of a clinic host (the list of its site portals), or the platform's own page."""

from __future__ import annotations

from litestar import Request, Response, get

from app.htmx import page_or_fragment
from tenants.resolution import ClinicRef
from tenants.sites import list_sites


@get("/", name="home")
async def home(request: Request) -> Response[str]:
    state = request.scope["state"]
    if state["host_kind"] == "platform":
        return page_or_fragment(request, "platform/home.html")
    clinic: ClinicRef = state["clinic"]
    sites = await list_sites(clinic_id=clinic.id)
    return page_or_fragment(request, "portal/clinic_home.html", {"sites": sites})
