"""The front desk's patient pages (secretaries and administrators): the search
(staff:patients), a plain GET form whose results htmx swaps as the secretary types, and
the file (staff:patient). Both read the host's clinic only: another clinic's file is 404."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock
from app.events import EventBus
from app.form_fields import text_fields
from app.i18n import N_, gettext
from app.messaging.sms_replies import opt_outs_of
from app.numbers import MAX_ID, whole_number
from app.staff.accounts import StaffUser
from app.staff.appointments.views import STAFF_STATUS_LABELS, contact_text
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.staff.patients import contact_edits, edit, family, merge
from app.staff.patients.file import Contact, PatientFile, file_history, patient_file
from app.staff.patients.search import MAX_QUERY, search_patients
from app.templating import local_day
from tenants.resolution import ClinicRef

MESSAGE_STATUS_LABELS = {
    "pending": N_("Waiting to be sent"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "dropped": N_("Not sent"),
}
CHANNEL_LABELS = {"email": N_("Email"), "sms": N_("Text message")}


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 4 else 1


def _file_values(file) -> dict[str, str]:
    """A file's fields as the edit form shows them."""
    return {
        "first_name": file.first_name,
        "last_name": file.last_name,
        "date_of_birth": file.date_of_birth.isoformat(),
        "sex": file.sex or "",
        "health_insurance_number": file.health_insurance_number or "",
        "file_number": file.file_number or "",
        "family_doctor": str(file.family_doctor_id or ""),
    }


async def _file_or_404(clinic: ClinicRef, patient_id: int) -> PatientFile:
    file = await patient_file(clinic_id=clinic.id, patient_id=patient_id)
    if file is None:
        raise NotFoundException()
    return file


def _contact_or_404(file: PatientFile, contact_id: int) -> Contact:
    """Contacts of an active file only: a merged file keeps its history, not new changes."""
    for contact in file.contacts:
        if contact.id == contact_id and file.status == merge.ACTIVE:
            return contact
    raise NotFoundException()


def _back_to_contacts(request: Request, patient_id: int) -> Redirect:
    return Redirect(
        request.app.route_reverse("staff:patient", patient_id=patient_id) + "#contacts-title"
    )


async def _file_page(
    request, clinic, file, *, typed=None, errors=None, family_errors=None
) -> Response:
    """The file; with the add-a-contact form's typed values and errors when it failed."""
    history = await file_history(
        clinic_id=clinic.id, patient_id=file.id, time_zone=clinic.time_zone, now=clock.now()
    )
    zone = clinic.time_zone
    return staff_page(
        request,
        "staff/patients/file.html",
        {
            "file": file,
            "history": history,
            "contact_text": contact_text,
            "contact_kinds": contact_edits.KINDS,
            "contact_values": typed or {},
            "contact_errors": errors or {},
            "appointment_statuses": STAFF_STATUS_LABELS,
            "message_statuses": MESSAGE_STATUS_LABELS,
            "channels": CHANNEL_LABELS,
            # Cell numbers that answered STOP to this clinic's SMS (app.messaging.sms_replies).
            "sms_off": {
                number: {"keyword": row["keyword"], "day": local_day(row["opted_out_at"], zone)}
                for number, row in (
                    await opt_outs_of(
                        clinic.id, [c.value for c in file.contacts if c.kind == "cell"]
                    )
                ).items()
            },
            "duplicates": []
            if file.status != merge.ACTIVE
            else await merge.duplicates_of(clinic_id=clinic.id, patient_id=file.id),
            "family": await family.family_of(clinic_id=clinic.id, patient_id=file.id),
            "family_errors": family_errors or {},
        },
        section="staff:patients",
        block="file",
        status_code=422 if errors or family_errors else 200,
    )


def _contact_page(request, file, contact, values, errors, *, status=200) -> Response:
    return staff_page(
        request,
        "staff/patients/contact.html",
        {
            "file": file,
            "contact": contact,
            "values": values,
            "errors": errors,
            "contact_kinds": contact_edits.KINDS,
        },
        section="staff:patients",
        block="contact_form",
        status_code=status,
    )


async def _form_page(request, clinic, *, file=None, values=None, errors=None, status=200):
    return staff_page(
        request,
        "staff/patients/form.html",
        {
            "file": file,
            "values": values or {},
            "errors": errors or {},
            "doctors": await edit.family_doctors(clinic.id),
        },
        section="staff:patients",
        block="patient_form",
        status_code=status,
    )


FAMILY_REFUSALS = {
    family.Refused.ITSELF: N_("A file cannot be linked to itself."),
    family.Refused.ALREADY: N_("These files are already linked."),
    family.Refused.NOT_LINKED: N_("These files are not linked."),
}


def _family_choice(data: dict[str, str]) -> tuple[int | None, family.Role | None, dict[str, str]]:
    """The other file and what it is to this one, from a search result's buttons."""
    other_id = whole_number(data.get("other") or "", maximum=MAX_ID)
    role = next((r for r in family.Role if r.value == data.get("role")), None)
    if other_id is None or role is None:
        return None, None, {"other": gettext("Choose a file among the results, and a link.")}
    return other_id, role, {}


async def _family_page(request, clinic, file, *, q="", errors=None, status=200) -> Response:
    found = None
    if q.strip():
        found = await search_patients(clinic_id=clinic.id, text=q, country=clinic.country)
    return staff_page(
        request,
        "staff/patients/family.html",
        {
            "file": file,
            "q": q,
            "found": [p for p in found.patients if p.id != file.id] if found else None,
            "family": await family.family_of(clinic_id=clinic.id, patient_id=file.id),
            "errors": errors or {},
        },
        section="staff:patients",
        block="family",
        status_code=status,
    )


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
        return await _file_page(request, clinic, await _file_or_404(clinic, patient_id))

    @get("/new", name="staff:patient_new")
    async def new(self, request: Request, clinic: ClinicRef) -> Response:
        return await _form_page(request, clinic)

    @post("/new", name="staff:patient_create")
    async def create(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus
    ) -> Response:
        data = await text_fields(request)
        values = {name: data.get(name, "") for name in edit.CREATE_FIELDS}
        form, extra, errors = edit.parse_create(
            data,
            country=clinic.country,
            hin_format=clinic.hin_format,
            doctors=await edit.family_doctors(clinic.id),
        )
        if errors:
            return await _form_page(request, clinic, values=values, errors=errors, status=422)
        patient_id = await edit.create(
            clinic_id=clinic.id, form=form, extra=extra, actor=staff.actor(), bus=bus
        )
        return Redirect(request.app.route_reverse("staff:patient", patient_id=patient_id))

    @get("/{patient_id:int}/edit", name="staff:patient_edit")
    async def edit_form(self, request: Request, clinic: ClinicRef, patient_id: int) -> Response:
        file = await _file_or_404(clinic, patient_id)
        return await _form_page(request, clinic, file=file, values=_file_values(file))

    @post("/{patient_id:int}/edit", name="staff:patient_update")
    async def update(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, patient_id: int
    ) -> Response:
        file = await _file_or_404(clinic, patient_id)
        data = await text_fields(request)
        values = {name: data.get(name, "") for name in edit.EDIT_FIELDS}
        form, extra, errors = edit.parse_edit(
            data,
            country=clinic.country,
            hin_format=clinic.hin_format,
            doctors=await edit.family_doctors(clinic.id),
        )
        if errors:
            return await _form_page(
                request, clinic, file=file, values=values, errors=errors, status=422
            )
        if not await edit.update(
            clinic_id=clinic.id,
            patient_id=file.id,
            form=form,
            extra=extra,
            actor=staff.actor(),
            bus=bus,
        ):
            raise NotFoundException()
        return Redirect(request.app.route_reverse("staff:patient", patient_id=file.id))

    @post("/{patient_id:int}/contacts", name="staff:patient_contact_add")
    async def add_contact(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, patient_id: int
    ) -> Response:
        file = await _file_or_404(clinic, patient_id)
        data = await text_fields(request)
        contact, errors = contact_edits.parse_contact(data, country=clinic.country)
        if contact is not None:
            errors = await contact_edits.add(
                clinic_id=clinic.id,
                patient_id=file.id,
                contact=contact,
                actor=staff.actor(),
                bus=bus,
            )
            if errors is None:
                raise NotFoundException()
        if errors:
            typed = {name: data.get(name, "") for name in contact_edits.FIELDS}
            return await _file_page(request, clinic, file, typed=typed, errors=errors)
        return _back_to_contacts(request, file.id)

    @get("/{patient_id:int}/contacts/{contact_id:int}", name="staff:patient_contact")
    async def contact_form(
        self, request: Request, clinic: ClinicRef, patient_id: int, contact_id: int
    ) -> Response:
        file = await _file_or_404(clinic, patient_id)
        contact = _contact_or_404(file, contact_id)
        return _contact_page(
            request, file, contact, {"kind": contact.kind, "value": contact.value}, {}
        )

    @post("/{patient_id:int}/contacts/{contact_id:int}", name="staff:patient_contact_update")
    async def correct_contact(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        patient_id: int,
        contact_id: int,
    ) -> Response:
        file = await _file_or_404(clinic, patient_id)
        current = _contact_or_404(file, contact_id)
        data = await text_fields(request)
        contact, errors = contact_edits.parse_contact(data, country=clinic.country)
        if contact is not None:
            errors = await contact_edits.correct(
                clinic_id=clinic.id,
                patient_id=file.id,
                contact_id=current.id,
                contact=contact,
                actor=staff.actor(),
                bus=bus,
            )
            if errors is None:
                raise NotFoundException()
        if errors:
            typed = {name: data.get(name, "") for name in contact_edits.FIELDS}
            return _contact_page(request, file, current, typed, errors, status=422)
        return _back_to_contacts(request, file.id)

    @post(
        "/{patient_id:int}/contacts/{contact_id:int}/{action:str}", name="staff:patient_contact_do"
    )
    async def contact_action(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        patient_id: int,
        contact_id: int,
        action: str,
    ) -> Response:
        """Move up, move down, remove, confirm: plain forms, so they work without
        JavaScript. A contact that is not this file's changes nothing; a file not this
        clinic's is 404."""
        file = await _file_or_404(clinic, patient_id)
        contact = _contact_or_404(file, contact_id)
        where = {"clinic_id": clinic.id, "patient_id": file.id, "contact_id": contact.id}
        who = {"actor": staff.actor(), "bus": bus}
        if action in ("up", "down"):
            await contact_edits.move(**where, up=action == "up", **who)
        elif action == "remove":
            await contact_edits.remove(**where, **who)
        elif action == "confirm":
            await contact_edits.confirm(**where, **who)
        else:
            raise NotFoundException()
        return _back_to_contacts(request, file.id)

    @post("/{patient_id:int}/merge", name="staff:patient_merge")
    async def merge_file(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, patient_id: int
    ) -> Response:
        """Merge the chosen duplicate into this file; anything else changes nothing."""
        await _file_or_404(clinic, patient_id)
        data = await text_fields(request)
        other_id = whole_number(data.get("other") or "", maximum=MAX_ID)
        if other_id is not None:
            await merge.merge(
                clinic_id=clinic.id,
                kept_id=patient_id,
                other_id=other_id,
                actor=staff.actor(),
                bus=bus,
            )
        return Redirect(request.app.route_reverse("staff:patient", patient_id=patient_id))

    @get("/{patient_id:int}/family", name="staff:patient_family")
    async def family_form(self, request: Request, clinic: ClinicRef, patient_id: int) -> Response:
        """Find the other file (the patient search), then link it as a dependant or a
        guardian of this one."""
        file = await _file_or_404(clinic, patient_id)
        if file.status != merge.ACTIVE:
            raise NotFoundException()
        q = (request.query_params.get("q") or "")[:MAX_QUERY]
        return await _family_page(request, clinic, file, q=q)

    @post("/{patient_id:int}/family", name="staff:patient_family_link")
    async def family_link(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, patient_id: int
    ) -> Response:
        return await self._family_change(request, staff, clinic, bus, patient_id, linked=True)

    @post("/{patient_id:int}/family/unlink", name="staff:patient_family_unlink")
    async def family_unlink(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, bus: EventBus, patient_id: int
    ) -> Response:
        return await self._family_change(request, staff, clinic, bus, patient_id, linked=False)

    @staticmethod
    async def _family_change(request, staff, clinic, bus, patient_id: int, *, linked: bool):
        """Bad input is said next to the results, 422; another clinic's file (or none) is
        404, as this one would be; either way nothing changes."""
        file = await _file_or_404(clinic, patient_id)
        data = await text_fields(request)
        q = (data.get("q") or "")[:MAX_QUERY]
        other_id, role, errors = _family_choice(data)
        if not errors:
            refused = await family.change(
                clinic_id=clinic.id,
                patient_id=file.id,
                other_id=other_id,
                role=role,
                linked=linked,
                actor=staff.actor(),
                bus=bus,
            )
            if refused is family.Refused.NOT_FOUND:
                raise NotFoundException()
            if refused is not None:
                errors = {"other": gettext(FAMILY_REFUSALS[refused])}
        if errors:
            if not linked or file.status != merge.ACTIVE:
                return await _file_page(request, clinic, file, family_errors=errors)
            return await _family_page(request, clinic, file, q=q, errors=errors, status=422)
        return Redirect(
            request.app.route_reverse("staff:patient", patient_id=file.id) + "#family-title"
        )
