"""The waiting list per online service, for the front desk: who waits for an earlier
appointment, in the order they will be told, until when, and how many offers they had."""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, get

from app.numbers import MAX_ID, whole_number
from app.online_services.tables import OnlineService
from app.staff.accounts import StaffUser
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.waitlist.tables import WaitRequest, WaitStatus


class WaitingList(Controller):
    path = "/waiting-list"
    guards = [front_desk]

    @get("", name="staff:waiting_list")
    async def page(self, request: Request, staff: StaffUser) -> Response:
        clinic_id = staff.clinic_id
        services = await (
            OnlineService.select(OnlineService.id, OnlineService.name_fr, OnlineService.name_en)
            .where(OnlineService.clinic == clinic_id)
            .order_by(OnlineService.display_order)
            .order_by(OnlineService.id)
        )
        waiting = (
            await WaitRequest.select(
                WaitRequest.id,
                WaitRequest.service,
                WaitRequest.patient,
                WaitRequest.patient.first_name.as_alias("first_name"),
                WaitRequest.patient.last_name.as_alias("last_name"),
                WaitRequest.provisional,
                WaitRequest.appointment,
                WaitRequest.appointment.starts_at.as_alias("booked_at"),
                WaitRequest.channel,
                WaitRequest.address,
                WaitRequest.until,
                WaitRequest.offers_made,
                WaitRequest.created_at,
                WaitRequest.site.name_fr.as_alias("site_name_fr"),
                WaitRequest.site.name_en.as_alias("site_name_en"),
            )
            .where(
                (WaitRequest.clinic == clinic_id) & (WaitRequest.status == WaitStatus.WAITING.value)
            )
            .order_by(WaitRequest.created_at)
            .order_by(WaitRequest.id)
        )
        counts: dict[int, int] = {}
        for row in waiting:
            counts[row["service"]] = counts.get(row["service"], 0) + 1
        chosen = whole_number(request.query_params.get("service", ""), maximum=MAX_ID)
        if chosen not in {s["id"] for s in services}:
            chosen = next((s["id"] for s in services if counts.get(s["id"])), None)
        rows = [{**row, "name": _name(row)} for row in waiting if row["service"] == chosen]
        return staff_page(
            request,
            "staff/waiting_list.html",
            {"services": services, "counts": counts, "chosen": chosen, "rows": rows},
            section="staff:waiting_list",
            block="waiting_list",
        )


def _name(row: dict) -> str:
    if row["patient"]:
        return f"{row['last_name']}, {row['first_name']}"
    typed = row["provisional"] or {}
    if isinstance(typed, str):  # SQLite hands JSON back as text
        typed = json.loads(typed or "{}")
    return f"{typed.get('last_name', '')}, {typed.get('first_name', '')}".strip(", ")
