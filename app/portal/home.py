"""The home of a clinic host (the list of its site portals), or the platform's own page."""

from __future__ import annotations

from litestar import Request, Response, get

from app.htmx import page_or_fragment
from tenants.sites import list_sites


@get("/", name="portal:home")
async def home(request: Request) -> Response[str]:
    # The one route that answers on the bare domain too, so it reads the state itself.
    state = request.scope["state"]
    if state["host_kind"] == "platform":
        return page_or_fragment(request, "platform/home.html")
    sites = await list_sites(clinic_id=state["clinic"].id)
    return page_or_fragment(request, "portal/clinic_home.html", {"sites": sites})
