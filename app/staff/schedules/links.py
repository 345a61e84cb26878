"""Links to pages other parts of the staff area own (the agenda, the slot dialog), by their
route names when mounted, else by the paths the shared contract gives them."""

from __future__ import annotations

from datetime import date

from litestar import Request
from litestar.exceptions import NoRouteMatchFoundException


def agenda_week(request: Request, practitioner_id: int, day: date) -> str:
    try:
        return request.app.route_reverse(
            "staff:agenda_practitioner", practitioner_id=practitioner_id, view="week", day=day
        )
    except NoRouteMatchFoundException:
        return f"/staff/agenda/practitioner/{practitioner_id}/week/{day.isoformat()}"


def slot(request: Request, slot_id: int) -> str:
    try:
        return request.app.route_reverse("staff:slot", slot_id=slot_id)
    except NoRouteMatchFoundException:
        return f"/staff/slots/{slot_id}"
