"""/staff/waiting-room (every staff role): the waiting patients, and the two things the
staff do to a waiting patient besides "Accept" (H1's call route): "Running late: about N
minutes" (the practitioner of the appointment or an administrator, as rooms.running_late
allows) and "Mark ready" (the front desk, after a phone check). Plain POST forms (CSRF by
the app's middleware) that HTMX enhances: a targeted swap gets the list block back with
what happened said on top; without JavaScript, a redirect to the page."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException
from litestar.response import Redirect

from app import clock, i18n
from app.booking.tables import Appointment
from app.events import EventBus
from app.form_fields import text_fields
from app.htmx import is_fragment_request
from app.numbers import whole_number
from app.staff.accounts import StaffUser
from app.staff.guards import front_desk
from app.staff.pages import staff_page
from app.staff.tables import StaffRole
from app.video import rooms
from app.video.access import RoomPass, staff_pass
from app.video.notify import CallNotifier
from app.video.rooms import MAX_LATE_MINUTES
from app.video.waiting_room import waiting_patients
from tenants.resolution import ClinicRef

LATE_CHOICES = (5, 10, 15)
NOT_WAITING = 409  # right when the page was drawn, not any more


class WaitingRoom(Controller):
    path = "/waiting-room"

    @get("", name="staff:waiting_room")
    async def page(self, request: Request, staff: StaffUser, clinic: ClinicRef) -> Response:
        done = request.query_params.get("done", "")
        said = {
            "ready": i18n.gettext("Marked ready."),
            "late": i18n.gettext("The patient was told you are running late."),
        }.get(done)
        return await _page(request, staff, clinic, said=said)

    @post("/{appointment_id:int}/ready", name="staff:waiting_room_ready", guards=[front_desk])
    async def ready(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        channels: ChannelsPlugin,
        appointment_id: int,
    ) -> Response:
        room = await _room(staff, appointment_id)
        status = await rooms.mark_ready(room, actor=staff.actor(), bus=bus) if room else None
        return await _answer(request, staff, clinic, channels, status, "ready")

    @post("/{appointment_id:int}/late", name="staff:waiting_room_late")
    async def late(
        self,
        request: Request,
        staff: StaffUser,
        clinic: ClinicRef,
        bus: EventBus,
        channels: ChannelsPlugin,
        appointment_id: int,
    ) -> Response:
        room = await _room(staff, appointment_id)
        data = await text_fields(request)
        minutes = whole_number(data.get("minutes", "").strip(), maximum=MAX_LATE_MINUTES)
        if not minutes:
            return await _page(
                request,
                staff,
                clinic,
                said=i18n.gettext(
                    "Choose how late you are running: from 1 to %(most)s minutes.",
                    most=MAX_LATE_MINUTES,
                ),
                ok=False,
                status=422,
            )
        # Only a pass that may join sends it: not a secretary's, nor another practitioner's.
        if room is None or not room.may_join:
            return await _page(
                request,
                staff,
                clinic,
                said=i18n.gettext(
                    "Only the practitioner of the appointment or an administrator can "
                    "send this message."
                ),
                ok=False,
                status=403,
            )
        status = await rooms.running_late(room, minutes, actor=staff.actor(), bus=bus)
        return await _answer(request, staff, clinic, channels, status, "late")


async def _room(staff: StaffUser, appointment_id: int) -> RoomPass | None:
    """The room of one of the clinic's teleconsultations (a practitioner's own only).
    Another clinic's appointment, or nobody's, is not found (404); one of this clinic's
    that has no room for this user is answered as not waiting (nothing changes)."""
    room = await staff_pass(user=staff, appointment_id=appointment_id)
    if room is None and not await Appointment.exists().where(
        (Appointment.clinic == staff.clinic_id) & (Appointment.id == appointment_id)
    ):
        raise NotFoundException("no such appointment here")
    return room


async def _answer(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    channels: ChannelsPlugin,
    status: rooms.RoomStatus | None,
    done: str,
) -> Response:
    if status is None:
        return await _page(
            request,
            staff,
            clinic,
            said=i18n.gettext("This patient is no longer in the waiting room: nothing was sent."),
            ok=False,
            status=NOT_WAITING,
        )
    # The patient's page (H1's call.js) and every staff page hear the new state.
    CallNotifier(channels).state(clinic.id, status)
    if not is_fragment_request(request):
        url = request.app.route_reverse("staff:waiting_room")
        return Redirect(f"{url}?done={done}", status_code=303)
    said = (
        i18n.gettext("Marked ready.")
        if done == "ready"
        else i18n.gettext(
            "The patient was told: running late, about %(minutes)s minutes.",
            minutes=status.late_minutes,
        )
    )
    return await _page(request, staff, clinic, said=said)


async def _page(
    request: Request,
    staff: StaffUser,
    clinic: ClinicRef,
    *,
    said: str | None = None,
    ok: bool = True,
    status: int = 200,
) -> Response:
    now = clock.now()
    patients = await waiting_patients(clinic_id=clinic.id, time_zone=clinic.time_zone, now=now)
    return staff_page(
        request,
        "staff/waiting_room.html",
        {
            "patients": patients,
            "now": now,
            # A swap redraws the navigation's count out of band (the list block holds it).
            "count": len(patients) if is_fragment_request(request) else None,
            "said": said,
            "ok": ok,
            "late_choices": LATE_CHOICES,
            "may_join": lambda patient: staff.role is StaffRole.ADMINISTRATOR
            or (
                staff.role is StaffRole.PRACTITIONER
                and staff.practitioner_id == patient.practitioner_id
            ),
            "may_mark_ready": staff.role in (StaffRole.ADMINISTRATOR, StaffRole.SECRETARY),
            "time_zone": clinic.time_zone,
        },
        section="staff:waiting_room",
        block="waiting_room",
        status_code=status,
    )
