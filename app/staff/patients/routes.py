"""The front desk's patient pages (secretaries and administrators): the search
(staff:patients), a plain GET form whose results htmx swaps as the secretary types, and
the file (staff:patient). Both read the host's clinic only: another clinic's file is 404."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException

from app import clock
from app.i18n import N_
from app.staff.appointments.views import STAFF_STATUS_LABELS, contact_text
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.staff.patients.file import file_history, patient_file
from app.staff.patients.search import MAX_QUERY, search_patients
from tenants.resolution import ClinicRef

MESSAGE_STATUS_LABELS = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "dropped": N_("Not sent"),
}
CHANNEL_LABELS = {"email": N_("Email"), "sms": N_("Text message")}
CONTACT_KINDS = {"email": N_("Email"), "cell": N_("Cell phone"), "home": N_("Home phone")}


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 4 else 1


class Patients(Controller):
    path = "/patients"
    guards = [front_desk]

    @get("/", name="staff:patients")
    async def search(self, request: Request, clinic: ClinicRef) -> Response:
        q = (request.query_params.get("q") or "")[:MAX_QUERY]
        page = _page_number(request.query_params.get("page") or "")
        found = await search_patients(
            clinic_id=clinic.id, text=q, country=clinic.country, page=page
        )

        def link(number: int) -> str:
            return "?" + urlencode({"q": q, "page": number})

        return staff_page(
            request,
            "staff/patients/search.html",
            {
                "q": q,
                "found": found,
                "contact_text": contact_text,
                "previous_link": link(found.page - 1) if found.page > 1 else None,
                "next_link": link(found.page + 1) if found.more else None,
            },
            section="staff:patients",
            block="results" if request.headers.get("HX-Target") == "patient-results" else "search",
        )

    @get("/{patient_id:int}", name="staff:patient")
    async def show(self, request: Request, clinic: ClinicRef, patient_id: int) -> Response:
        file = await patient_file(clinic_id=clinic.id, patient_id=patient_id)
        if file is None:
            raise NotFoundException()
        history = await file_history(
            clinic_id=clinic.id, patient_id=file.id, time_zone=clinic.time_zone, now=clock.now()
        )
        return staff_page(
            request,
            "staff/patients/file.html",
            {
                "file": file,
                "history": history,
                "contact_text": contact_text,
                "contact_kinds": CONTACT_KINDS,
                "appointment_statuses": STAFF_STATUS_LABELS,
                "message_statuses": MESSAGE_STATUS_LABELS,
                "channels": CHANNEL_LABELS,
            },
            section="staff:patients",
            block="file",
        )
