"""The slot dialog and the appointment actions staff take from it (SPEC §10).

`staff:slot` is a whole page without JavaScript and, for htmx, its `dialog` block, which
the agenda shows in its <dialog id="slot-dialog">. Every action is a plain form post
that works without JavaScript (then a redirect back to the slot's page, which says what
was done) and, from the dialog, answers with the dialog as it now is, what was done at
the top, and the `agenda-changed` event (HX-Trigger) that the agenda listens for.
Refusals (a patient's live hold, a slot taken or an appointment cancelled meanwhile)
are 409 with the dialog saying why; bad input is 422 with the message next to its field.

Who may act: every signed-in role reads; the `may_change_agenda` guard lets
administrators and secretaries act on every agenda and a practitioner on their own.
Another clinic's ids are 404."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NoRouteMatchFoundException, NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking.external import EMAIL_REQUIRED_MESSAGE, MOVE_REFUSED_MESSAGE
from app.booking.services import BookingDetails, BookingService, OutcomeCode
from app.booking.tables import AppointmentStatus, Source
from app.db import write_transaction
from app.events import EventBus
from app.form_fields import text_fields
from app.htmx import is_fragment_request
from app.i18n import N_
from app.messaging.planner import Resend, resend_confirmation
from app.patients.tables import Patient
from app.staff.accounts import StaffUser
from app.staff.appointments import forms, moves
from app.staff.appointments.guards import NotYourAgenda, may_change_agenda
from app.staff.appointments.patient_files import create_file, parse_new_file
from app.staff.appointments.rebook import rebook_offer
from app.staff.appointments.views import (
    ORIGIN_LABELS,
    STAFF_STATUS_LABELS,
    AppointmentFacts,
    SlotFacts,
    active_appointment_of_slot,
    appointment_facts,
    contact_text,
    last_cancelled_of_slot,
    patient_summary,
    slot_facts,
    type_choices,
)
from app.staff.pages import staff_page
from app.staff.patients.search import find_patients
from app.templating import local_day, local_time
from app.video.record import call_record
from tenants.resolution import ClinicRef

_TITLE = re.compile(r"^<title>.*?</title>", re.S)
AGENDA_CHANGED = "agenda-changed"  # the HX-Trigger event the agenda refreshes on
SLOT_TEMPLATE = "staff/appointments/slot.html"
MOVE_TEMPLATE = "staff/appointments/move.html"
MOVE_DAYS_AHEAD = 366  # the date field's upper bound, from today

DONE = {
    "booked": N_("The appointment is booked. The patient is told by the usual messages."),
    "moved": N_("The appointment is moved. The patient is told of the change."),
    "cancelled": N_("The appointment is cancelled. The patient is told."),
    "arrived": N_("The patient has arrived."),
    "no_show": N_("The patient is marked as a no-show."),
    "resent": N_("The confirmation will be sent again."),
    "rebooked": N_(
        "The appointment is cancelled and a new one booked. The patient is told of both."
    ),
    "video_link_saved": N_("The video link is saved. The patient is told where to connect."),
    "video_link_removed": N_("The video link is removed."),
}
# Statuses each change may start from: a repeated click changes nothing, and a mistaken
# arrival or no-show can be put right.
ARRIVED_FROM = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.NO_SHOW)
NO_SHOW_FROM = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED)


def said(code: str) -> str:
    """What the dialog says once an action is done, in the staff member's language."""
    return i18n.gettext(DONE[code])


@dataclass(frozen=True)
class Result:
    """What the dialog says at its top after an action."""

    text: str
    ok: bool


class _Undo(Exception):
    """Rolls back the write transaction it leaves (a file created for a booking that lost)."""


def _clinic_time(clinic: ClinicRef, moment) -> str:
    return i18n.gettext(
        "%(day)s at %(time)s",
        day=local_day(moment, clinic.time_zone),
        time=local_time(moment, clinic.time_zone),
    )


def held_message(clinic: ClinicRef, until) -> str:
    return i18n.gettext(
        "A patient is booking this slot online: it is held until %(time)s. Try again after.",
        time=local_time(until, clinic.time_zone),
    )


def _agenda_url(request: Request, slot: SlotFacts) -> str:
    """Back to the day of the slot's practitioner, once the agenda exists; else home."""
    try:
        return request.app.route_reverse(
            "staff:agenda_practitioner",
            practitioner_id=slot.practitioner_id,
            view="day",
            day=slot.local_date,
        )
    except NoRouteMatchFoundException:
        return request.app.route_reverse("staff:home")


async def _slot_or_404(clinic: ClinicRef, slot_id: int) -> SlotFacts:
    slot = await slot_facts(clinic_id=clinic.id, slot_id=slot_id, now=clock.now())
    if slot is None:
        raise NotFoundException("no such slot here")
    return slot


async def _new_slot(clinic: ClinicRef, staff: StaffUser, slot_id: int) -> SlotFacts:
    """Where a move or a rebooking goes: this clinic's slot (else 404), in an agenda the
    staff member may change (else 403)."""
    target = await _slot_or_404(clinic, slot_id)
    if not staff.may_change_agenda_of(target.practitioner_id):
        raise NotYourAgenda("the new slot is another practitioner's")
    return target


async def _appointment_or_404(clinic: ClinicRef, appointment_id: int) -> AppointmentFacts:
    appointment = await appointment_facts(clinic_id=clinic.id, appointment_id=appointment_id)
    if appointment is None:
        raise NotFoundException("no such appointment here")
    return appointment


def _in_place(request: Request, response: Response) -> None:
    """A dialog over the agenda is not a page: the address bar and the document's title
    stay the agenda's."""
    if is_fragment_request(request):
        response.headers["HX-Push-Url"] = "false"
        response.content = _TITLE.sub("", response.content, count=1)


def _respond(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    changed: bool = False,
    block: str = "dialog",
) -> Response:
    response = staff_page(
        request, template, context, section="staff:agenda", block=block, status_code=status
    )
    _in_place(request, response)
    if changed:
        response.headers["HX-Trigger"] = AGENDA_CHANGED
    return response


async def slot_dialog(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    slot: SlotFacts,
    *,
    query: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    result: Result | None = None,
    open_form: str = "",
    status: int = 200,
    changed: bool = False,
    block: str = "dialog",
) -> Response:
    appointment = await active_appointment_of_slot(clinic_id=clinic.id, slot_id=slot.id)
    may_change = staff.may_change_agenda_of(slot.practitioner_id)
    patients = None
    if query and may_change and appointment is None:
        patients = await find_patients(clinic_id=clinic.id, text=query, country=clinic.country)
    context = {
        "slot": slot,
        "appointment": appointment,
        "cancelled": (
            None
            if appointment
            else await last_cancelled_of_slot(clinic_id=clinic.id, slot_id=slot.id)
        ),
        "may_change": may_change,
        "query": query,
        "patients": patients,
        "types": await type_choices(clinic_id=clinic.id),
        "values": {
            "appointment_type": str(slot.default_type_id or ""),
            "language": clinic.default_language,
            **(values or {}),
        },
        "errors": errors or {},
        "result": result,
        "open_form": open_form,
        "agenda_url": _agenda_url(request, slot),
        "time_zone": clinic.time_zone,
        "origin_labels": ORIGIN_LABELS,
        "contact_text": contact_text,
        "staff_status_labels": STAFF_STATUS_LABELS,
        "done_statuses": {"arrived": ARRIVED_FROM, "no_show": NO_SHOW_FROM},
        # An external platform's appointment cannot move: "Cancel and rebook" instead.
        "rebook": (
            await rebook_offer(
                clinic_id=clinic.id,
                appointment_id=appointment.id,
                slot=slot,
                time_zone=clinic.time_zone,
                now=clock.now(),
            )
            if appointment and appointment.active and may_change
            else None
        ),
        # What a video call left (chat, files), for those whose session may open the room.
        "call_record": (
            await call_record(clinic_id=clinic.id, appointment_id=appointment.id)
            if appointment and appointment.telemedicine and may_change
            else None
        ),
    }
    return _respond(request, SLOT_TEMPLATE, context, status=status, changed=changed, block=block)


def _done(request: Request, slot_id: int, code: str) -> Response | None:
    """Without JavaScript: back to the slot's page, which says what was done."""
    if is_fragment_request(request):
        return None
    url = request.app.route_reverse("staff:slot", slot_id=slot_id) + "?" + urlencode({"done": code})
    return Redirect(url, status_code=303)


class SlotDialog(Controller):
    path = "/"

    @get("/slots/{slot_id:int}", name="staff:slot")
    async def show(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        slot_id: int,
        q: str | None = None,
        done: str | None = None,
    ) -> Response:
        slot = await _slot_or_404(clinic, slot_id)
        result = Result(said(done), True) if done in DONE else None
        return await slot_dialog(request, staff, clinic, slot, query=q or "", result=result)

    @get("/slots/{slot_id:int}/patients", name="staff:slot_patients", guards=[may_change_agenda])
    async def patients(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, slot_id: int, q: str = ""
    ) -> Response:
        """The search as the secretary types (the results' block); the whole page without htmx."""
        slot = await _slot_or_404(clinic, slot_id)
        if not is_fragment_request(request):
            return await slot_dialog(request, staff, clinic, slot, query=q)
        # As the secretary types: the results alone, without the rest of the dialog's queries.
        patients = await find_patients(clinic_id=clinic.id, text=q, country=clinic.country)
        context = {"patients": patients if q else None, "query": q, "values": {}}
        context["contact_text"] = contact_text
        return _respond(request, SLOT_TEMPLATE, context, block="patient_results")

    @post("/slots/{slot_id:int}/book", name="staff:slot_book", guards=[may_change_agenda])
    async def book(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        booking: BookingService,
        slot_id: int,
    ) -> Response:
        slot = await _slot_or_404(clinic, slot_id)
        data = await text_fields(request)
        query = (data.get("q") or "").strip()
        form, errors = forms.parse_booking(data, types=await type_choices(clinic_id=clinic.id))
        new_file = None
        if data.get("patient") == forms.NEW_FILE:
            new_file, file_errors = parse_new_file(
                data, country=clinic.country, hin_format=clinic.hin_format
            )
            errors = {**file_errors, **errors}
            if (
                new_file
                and new_file.health_insurance_number
                and await Patient.exists().where(
                    (Patient.clinic == clinic.id)
                    & (Patient.health_insurance_number == new_file.health_insurance_number)
                )
            ):
                errors["health_insurance_number"] = i18n.gettext(
                    "A file already has this number: search for it above."
                )
        elif form and not await patient_summary(clinic_id=clinic.id, patient_id=form.patient_id):
            raise NotFoundException("no such patient file here")
        if errors:
            return await slot_dialog(
                request, staff, clinic, slot, query=query, values=data, errors=errors, status=422
            )
        if slot.hold_until or slot.booked:
            return await self._not_booked(request, staff, clinic, slot, data, query)
        actor = staff.actor()
        outcome = None
        try:
            async with write_transaction():
                patient_id = form.patient_id
                if new_file:
                    patient_id = await create_file(
                        clinic_id=clinic.id, form=new_file, actor=actor, bus=bus
                    )
                outcome = await booking.staff_book(
                    slot_id=slot.id,
                    details=BookingDetails(
                        source=Source.STAFF,
                        patient_id=patient_id,
                        language=form.language,
                        reason=form.reason,
                        appointment_type_id=form.appointment_type_id,
                    ),
                    actor=actor,
                )
                if not outcome.ok:
                    raise _Undo
        except _Undo:
            slot = await _slot_or_404(clinic, slot_id)
            if outcome is not None and outcome.code is OutcomeCode.EMAIL_REQUIRED:
                message = i18n.gettext(EMAIL_REQUIRED_MESSAGE)
                return await slot_dialog(
                    request,
                    staff,
                    clinic,
                    slot,
                    query=query,
                    values=data,
                    errors={"patient": message},
                    result=Result(message, False),
                    status=422,
                )
            return await self._not_booked(request, staff, clinic, slot, data, query)
        return _done(request, slot.id, "booked") or await slot_dialog(
            request,
            staff,
            clinic,
            await _slot_or_404(clinic, slot_id),
            result=Result(said("booked"), True),
            changed=True,
        )

    async def _not_booked(self, request, staff, clinic, slot: SlotFacts, data, query) -> Response:
        if slot.hold_until:
            text = held_message(clinic, slot.hold_until)
        else:
            text = i18n.gettext("This slot was taken meanwhile: choose another one in the agenda.")
        return await slot_dialog(
            request,
            staff,
            clinic,
            slot,
            query=query,
            values=data,
            result=Result(text, False),
            status=409,
            changed=True,
        )


class AppointmentActions(Controller):
    path = "/appointments/{appointment_id:int}"
    guards = [may_change_agenda]

    async def _after(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        slot_id: int,
        text: str,
        *,
        ok: bool,
        code: str = "",
        status: int = 409,
        **extra: Any,
    ) -> Response:
        if ok and code:
            redirect = _done(request, slot_id, code)
            if redirect:
                return redirect
        slot = await _slot_or_404(clinic, slot_id)
        return await slot_dialog(
            request,
            staff,
            clinic,
            slot,
            result=Result(text, ok) if text else None,
            status=200 if ok else status,
            changed=ok,
            **extra,
        )

    @get("/move", name="staff:appointment_move_choices")
    async def move_choices(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        appointment_id: int,
        move_day: str | None = None,
    ) -> Response:
        appointment = await _appointment_or_404(clinic, appointment_id)
        return await self._move_page(request, clinic, appointment, move_day)

    async def _move_page(
        self,
        request: Request,
        clinic: ClinicRef,
        appointment: AppointmentFacts,
        raw_day: str | None,
        *,
        errors: dict[str, str] | None = None,
        result: Result | None = None,
        status: int = 200,
    ) -> Response:
        slot = await _slot_or_404(clinic, appointment.slot_id)
        now = clock.now()
        today = now.astimezone(ZoneInfo(clinic.time_zone)).date()
        day, day_errors = forms.parse_day(raw_day, default=today)
        day = max(day, today)
        errors = {**day_errors, **(errors or {})}
        same, others = (
            await moves.move_choices(
                clinic_id=clinic.id,
                activity_id=slot.activity_id,
                site_id=slot.site_id,
                practitioner_id=slot.practitioner_id,
                day=day,
                now=now,
            )
            if appointment.active
            else ([], [])
        )
        context = {
            "slot": slot,
            "appointment": appointment,
            "same": same,
            "others": others,
            "day": day,
            "today": today,
            "last_day": today + timedelta(days=MOVE_DAYS_AHEAD),
            "values": {"move_day": raw_day or day.isoformat()},
            "errors": errors,
            "result": result,
            "time_zone": clinic.time_zone,
            "agenda_url": _agenda_url(request, slot),
        }
        return _respond(
            request, MOVE_TEMPLATE, context, status=422 if day_errors and status == 200 else status
        )

    @post("/move", name="staff:appointment_move")
    async def move(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        appointment = await _appointment_or_404(clinic, appointment_id)
        data = await text_fields(request)
        target_id, errors = forms.parse_move(data)
        raw_day = data.get("move_day")
        if errors:
            return await self._move_page(
                request, clinic, appointment, raw_day, errors=errors, status=422
            )
        target = await _new_slot(clinic, staff, target_id)
        if not appointment.active:
            return await self._after(
                request, staff, clinic, appointment.slot_id, _cancelled_meanwhile(), ok=False
            )
        if target.hold_until:
            return await self._move_page(
                request,
                clinic,
                appointment,
                raw_day,
                result=Result(held_message(clinic, target.hold_until), False),
                status=409,
            )
        outcome = await booking.move(
            appointment_id=appointment.id, new_slot_id=target.id, actor=staff.actor()
        )
        if outcome.code is OutcomeCode.NOT_FOUND:
            return await self._after(
                request, staff, clinic, appointment.slot_id, _cancelled_meanwhile(), ok=False
            )
        if outcome.code is OutcomeCode.MOVE_NOT_SUPPORTED:
            return await self._after(
                request,
                staff,
                clinic,
                appointment.slot_id,
                i18n.gettext(MOVE_REFUSED_MESSAGE),
                ok=False,
                open_form="rebook",
            )
        if not outcome.ok:
            return await self._move_page(
                request,
                clinic,
                appointment,
                raw_day,
                result=Result(
                    i18n.gettext("This slot was taken meanwhile: choose another one."), False
                ),
                status=409,
            )
        text = said("moved") + " " + _clinic_time(clinic, target.starts_at) + "."
        return await self._after(request, staff, clinic, target.id, text, ok=True, code="moved")

    @post("/rebook", name="staff:appointment_rebook")
    async def rebook(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        """Cancel and book the chosen slot, in one step (an external platform's appointment)."""
        appointment = await _appointment_or_404(clinic, appointment_id)
        data = await text_fields(request)
        target_id, errors = forms.parse_move(data)
        if errors:
            return await self._after(
                request,
                staff,
                clinic,
                appointment.slot_id,
                "",
                ok=False,
                errors=errors,
                open_form="rebook",
                status=422,
            )
        target = await _new_slot(clinic, staff, target_id)
        if not appointment.active:
            return await self._after(
                request, staff, clinic, appointment.slot_id, _cancelled_meanwhile(), ok=False
            )
        if target.hold_until or target.booked:
            text = (
                held_message(clinic, target.hold_until)
                if target.hold_until
                else i18n.gettext("This slot was taken meanwhile: choose another one.")
            )
            return await self._after(
                request, staff, clinic, appointment.slot_id, text, ok=False, open_form="rebook"
            )
        outcome = await booking.rebook(
            appointment_id=appointment.id,
            new_slot_id=target.id,
            actor=staff.actor(),
            reason=i18n.gettext("Cancelled and rebooked"),
        )
        if outcome.code is OutcomeCode.NOT_FOUND:
            return await self._after(
                request, staff, clinic, appointment.slot_id, _cancelled_meanwhile(), ok=False
            )
        if not outcome.ok:
            text = (
                i18n.gettext(EMAIL_REQUIRED_MESSAGE)
                if outcome.code is OutcomeCode.EMAIL_REQUIRED
                else i18n.gettext("This slot was taken meanwhile: choose another one.")
            )
            return await self._after(
                request, staff, clinic, appointment.slot_id, text, ok=False, open_form="rebook"
            )
        text = said("rebooked") + " " + _clinic_time(clinic, target.starts_at) + "."
        return await self._after(request, staff, clinic, target.id, text, ok=True, code="rebooked")

    @post("/cancel", name="staff:appointment_cancel")
    async def cancel(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        appointment = await _appointment_or_404(clinic, appointment_id)
        data = await text_fields(request)
        reason, errors = forms.parse_cancellation(data)
        if errors:
            return await self._after(
                request,
                staff,
                clinic,
                appointment.slot_id,
                "",
                ok=False,
                values=data,
                errors=errors,
                open_form="cancel",
                status=422,
            )
        outcome = await booking.cancel(
            appointment_id=appointment.id, actor=staff.actor(), reason=reason
        )
        if not outcome.ok:
            return await self._after(
                request,
                staff,
                clinic,
                appointment.slot_id,
                i18n.gettext("This appointment was already cancelled."),
                ok=False,
            )
        return await self._after(
            request,
            staff,
            clinic,
            appointment.slot_id,
            said("cancelled"),
            ok=True,
            code="cancelled",
        )

    async def _status(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
        status: AppointmentStatus,
        from_statuses: tuple[AppointmentStatus, ...],
        code: str,
    ) -> Response:
        appointment = await _appointment_or_404(clinic, appointment_id)
        outcome = await booking.set_status(
            appointment_id=appointment.id,
            status=status,
            from_statuses=from_statuses,
            actor=staff.actor(),
        )
        if not outcome.ok:
            now = await _appointment_or_404(clinic, appointment_id)
            if not now.active:
                text = _cancelled_meanwhile()
            else:
                text = i18n.gettext(
                    "Nothing was changed: this appointment is %(status)s.",
                    status=i18n.gettext(STAFF_STATUS_LABELS[now.status]).lower(),
                )
            return await self._after(request, staff, clinic, appointment.slot_id, text, ok=False)
        return await self._after(
            request,
            staff,
            clinic,
            appointment.slot_id,
            said(code),
            ok=True,
            code=code,
        )

    @post("/arrived", name="staff:appointment_arrived")
    async def arrived(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        return await self._status(
            request,
            staff,
            clinic,
            booking,
            appointment_id,
            AppointmentStatus.ARRIVED,
            ARRIVED_FROM,
            "arrived",
        )

    @post("/no-show", name="staff:appointment_no_show")
    async def no_show(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        booking: BookingService,
        appointment_id: int,
    ) -> Response:
        return await self._status(
            request,
            staff,
            clinic,
            booking,
            appointment_id,
            AppointmentStatus.NO_SHOW,
            NO_SHOW_FROM,
            "no_show",
        )

    @post("/resend", name="staff:appointment_resend")
    async def resend(
        self, request: Request, staff: StaffUser, clinic: ClinicRef, appointment_id: int
    ) -> Response:
        appointment = await _appointment_or_404(clinic, appointment_id)
        async with write_transaction():
            answer = await resend_confirmation(
                clinic_id=clinic.id, appointment_id=appointment.id, by=staff.actor()
            )
        if answer is Resend.QUEUED:
            return await self._after(
                request,
                staff,
                clinic,
                appointment.slot_id,
                said("resent"),
                ok=True,
                code="resent",
            )
        refusals = {
            Resend.REFUSED: N_(
                "Not sent: this appointment's type allows no automated or manual communication."
            ),
            Resend.CANCELLED: N_("Not sent: this appointment is cancelled."),
            Resend.NO_CONTACT: N_(
                "Not sent: the patient has no email or cell phone to send it to."
            ),
            Resend.NOT_FOUND: N_("Not sent: this appointment no longer exists."),
        }
        return await self._after(
            request, staff, clinic, appointment.slot_id, i18n.gettext(refusals[answer]), ok=False
        )


def _cancelled_meanwhile() -> str:
    return i18n.gettext("Nothing was changed: this appointment was cancelled meanwhile.")


route_handlers = [SlotDialog, AppointmentActions]
