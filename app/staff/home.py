"""The staff area's front door: the agenda for everyone once it exists."""

from __future__ import annotations

from litestar import Request, Response, get

from app.staff.pages import staff_page


@get("/", name="staff:home")
async def home(request: Request) -> Response:
    return staff_page(request, "staff/home.html")
