"""How staff pages render: the page or its fragment (app.htmx), with who is signed in and
the navigation their role may use. An entry shows once its pages exist and the role may
use them (SPEC §10)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NoRouteMatchFoundException

from app.htmx import is_fragment_request, page_or_fragment
from app.i18n import N_
from app.staff.reconcile.queries import count_waiting
from app.staff.tables import ROLE_LABELS, StaffRole
from app.video.waiting_room import count_waiting as count_waiting_room
from tenants.resolution import ClinicRef

EVERYONE = frozenset(StaffRole)
FRONT_DESK = frozenset({StaffRole.ADMINISTRATOR, StaffRole.SECRETARY})
ADMINISTRATORS = frozenset({StaffRole.ADMINISTRATOR})


@dataclass(frozen=True)
class NavItem:
    route: str
    label: str
    roles: frozenset[StaffRole]
    # A count shown next to the entry (what waits there), from the request's clinic: one
    # cheap query, run once per full page for the roles that see the entry (count_badges).
    badge: Callable[[ClinicRef], Awaitable[int]] | None = None
    # The count is kept in the page even at 0 (hidden), for static/js/waiting.js to update.
    live: bool = False


NAVIGATION = (
    NavItem("staff:agenda", N_("Agenda"), EVERYONE),
    NavItem(
        "staff:waiting_room",
        N_("Waiting room"),
        EVERYONE,
        badge=lambda clinic: count_waiting_room(clinic.id, clinic.time_zone),
        live=True,
    ),
    NavItem("staff:patients", N_("Patients"), FRONT_DESK),
    NavItem("staff:waiting_list", N_("Waiting list"), FRONT_DESK),  # app.waitlist
    NavItem(
        "staff:reconcile",
        N_("To reconcile"),
        FRONT_DESK,
        badge=lambda clinic: count_waiting(clinic.id),
    ),
    NavItem("staff:payments", N_("Payments"), EVERYONE),  # a practitioner: their own
    NavItem("staff:administration", N_("Administration"), ADMINISTRATORS),
    NavItem("staff:audit", N_("Audit log"), ADMINISTRATORS),
)


def _exists(request: Request, route: str) -> bool:
    try:
        request.app.route_reverse(route)
    except NoRouteMatchFoundException:
        return False
    return True


async def count_badges(request: Request) -> None:
    """before_request of the signed-in area: the navigation's counts, for a page that
    shows the navigation (a targeted HTMX swap does not)."""
    staff = request.scope["state"].get("staff")
    clinic = request.scope["state"].get("clinic")
    if staff is None or clinic is None or is_fragment_request(request):
        return
    request.scope["state"]["nav_badges"] = {
        item.route: await item.badge(clinic)
        for item in NAVIGATION
        if item.badge and staff.role in item.roles and _exists(request, item.route)
    }


def staff_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    section: str = "",
    block: str | None = None,
    status_code: int = 200,
) -> Response:
    staff = request.scope["state"].get("staff")
    nav = [
        item
        for item in NAVIGATION
        if staff and staff.role in item.roles and _exists(request, item.route)
    ]
    return page_or_fragment(
        request,
        template,
        {
            "staff": staff,
            "nav": nav,
            "nav_badges": request.scope["state"].get("nav_badges", {}),
            "current_section": section,
            "role_labels": ROLE_LABELS,
            **(context or {}),
        },
        block=block,
        status_code=status_code,
    )
