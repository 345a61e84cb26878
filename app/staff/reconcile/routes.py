"""/staff/reconcile (front desk): the list, "Attach to this file" and "Create a file".
Plain POST forms (CSRF by the app's middleware) that HTMX enhances: a targeted swap gets
the list block back with what happened said on top; without JavaScript, the page."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import i18n
from app.events import EventBus
from app.form_fields import text_fields
from app.htmx import is_fragment_request
from app.i18n import N_
from app.numbers import whole_number
from app.patients.tables import Patient
from app.staff.accounts import StaffUser
from app.staff.appointments.patient_files import FIELDS, parse_new_file
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.staff.reconcile import actions
from app.staff.reconcile.actions import Done
from app.staff.reconcile.queries import count_waiting, waiting
from app.staff.reconcile.ranking import REASON_LABELS
from tenants.resolution import ClinicRef

SAID = {
    Done.ATTACHED: N_("Appointment attached to the file."),
    Done.CREATED: N_("File created and the appointment attached to it."),
    Done.ALREADY_ATTACHED: N_(
        "This appointment was already attached to a file meanwhile: nothing was changed."
    ),
    Done.CANCELLED: N_("This appointment was cancelled meanwhile: nothing was changed."),
}
ID_MAX = 2**31 - 1
STALE_STATUS = 409  # the action was right when the page was drawn, not any more


class Reconcile(Controller):
    path = "/reconcile"
    guards = [front_desk]

    @get("", name="staff:reconcile")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        done = request.query_params.get("done", "")
        patient = whole_number(request.query_params.get("patient", ""), maximum=ID_MAX)
        said = i18n.gettext(SAID[Done(done)]) if done in (Done.ATTACHED, Done.CREATED) else None
        return await _page(request, staff, clinic, said=said, ok=True, patient_id=patient)

    @post("/{appointment_id:int}/attach", name="staff:reconcile_attach")
    async def attach(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        appointment_id: int,
    ) -> Response:
        data = await text_fields(request)
        patient_id = whole_number(data.get("patient", ""), maximum=ID_MAX)
        if await actions.provisional_of(clinic.id, appointment_id) is None:
            raise NotFoundException("no such appointment here")
        if patient_id is None:  # the form always sends one: a page from elsewhere
            return await _page(
                request,
                staff,
                clinic,
                said=i18n.gettext("Choose the file to attach the appointment to."),
                ok=False,
                status=422,
            )
        result = await actions.attach(
            clinic_id=clinic.id,
            appointment_id=appointment_id,
            patient_id=patient_id,
            actor=staff.actor(),
            bus=bus,
        )
        return await _answer(request, staff, clinic, result)

    @post("/{appointment_id:int}/create", name="staff:reconcile_create")
    async def create(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        appointment_id: int,
    ) -> Response:
        identity = await actions.provisional_of(clinic.id, appointment_id)
        if identity is None:
            raise NotFoundException("no such appointment here")
        already = await actions.stale(clinic.id, appointment_id)
        if already is not None:
            return await _answer(request, staff, clinic, actions.Result(already))
        typed = {name: str(identity.get(name) or "") for name in FIELDS}
        form, errors = parse_new_file(typed, country=clinic.country, hin_format=clinic.hin_format)
        if form and form.health_insurance_number:
            if await Patient.exists().where(
                (Patient.clinic == clinic.id)
                & (Patient.health_insurance_number == form.health_insurance_number)
            ):
                errors["health_insurance_number"] = i18n.gettext(
                    "A file already has this health insurance number: attach to it instead."
                )
                form = None
        if form is None:
            return await _page(
                request,
                staff,
                clinic,
                said=i18n.gettext(
                    "No file was created: %(problems)s", problems=" ".join(errors.values())
                ),
                ok=False,
                focus=appointment_id,
                status=422,
            )
        result = await actions.create_and_attach(
            clinic_id=clinic.id,
            appointment_id=appointment_id,
            form=form,
            actor=staff.actor(),
            bus=bus,
        )
        return await _answer(request, staff, clinic, result)


async def _answer(request: Request, staff: StaffUser, clinic: ClinicRef, result) -> Response:
    if result.done is Done.NOT_FOUND:
        raise NotFoundException("no such appointment or file here")
    ok = result.done in (Done.ATTACHED, Done.CREATED)
    if ok and not is_fragment_request(request):
        # After a post, a page to reload safely (the count in the navigation follows).
        url = request.app.route_reverse("staff:reconcile")
        return Redirect(
            f"{url}?done={result.done.value}&patient={result.patient_id}", status_code=303
        )
    return await _page(
        request,
        staff,
        clinic,
        said=i18n.gettext(SAID[result.done]),
        ok=ok,
        patient_id=result.patient_id,
        status=200 if ok else STALE_STATUS,
    )


async def _page(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    *,
    said: str | None = None,
    ok: bool = True,
    patient_id: int | None = None,
    focus: int | None = None,
    status: int = 200,
) -> Response:
    appointments = await waiting(clinic.id)
    return staff_page(
        request,
        "staff/reconcile.html",
        {
            "appointments": appointments,
            # A swap redraws the navigation's count out of band (the list block holds it).
            "count": await count_waiting(clinic.id) if is_fragment_request(request) else None,
            "said": said,
            "ok": ok,
            "patient_id": patient_id,
            "focus": focus,
            "reason_labels": REASON_LABELS,
            "time_zone": clinic.time_zone,
        },
        section="staff:reconcile",
        block="reconcile",
        status_code=status,
    )
