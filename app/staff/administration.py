"""The administration's index (administrators only): a link to each administration page
listed in ADMIN_PAGES (app/staff/admin_pages.py) whose route exists, in that order."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.exceptions import NoRouteMatchFoundException

from app.staff.admin_pages import ADMIN_PAGES
from app.staff.guards import administrators
from app.staff.pages import staff_page


class Administration(Controller):
    path = "/administration"
    guards = [administrators]

    @get("", name="staff:administration")
    async def page(self, request: Request) -> Response:
        pages = []
        for route, label in ADMIN_PAGES:
            try:
                request.app.route_reverse(route)
            except NoRouteMatchFoundException:
                continue  # a page not merged (yet): no dead link
            pages.append({"route": route, "label": label})
        return staff_page(
            request,
            "staff/administration.html",
            {"pages": pages},
            section="staff:administration",
            block="administration",
        )
