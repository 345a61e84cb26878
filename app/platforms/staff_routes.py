"""The staff's way into an external platform's session: the camera icon (GET …/join) and
the waiting room's "Accept" (POST …/accept: the room is in call, as with our own video),
both sending the practitioner to the platform's staff link in a new window. Like our
own call: the appointment's practitioner or an administrator; another clinic's
appointment, or one without a session there, is 404."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.response import Redirect

from app.booking.tables import AppointmentStatus
from app.events import EventBus
from app.platforms.tables import ExternalSession, SessionState
from app.staff.accounts import StaffUser
from app.staff.tables import StaffRole
from app.video import rooms
from app.video.access import RoomPass
from app.video.notify import CallNotifier
from app.video.tables import Side


async def _session(staff: StaffUser, appointment_id: int) -> dict:
    row = await (
        ExternalSession.select(
            ExternalSession.staff_url,
            ExternalSession.appointment.practitioner.as_alias("practitioner"),
            ExternalSession.appointment.patient.as_alias("patient"),
            ExternalSession.appointment.starts_at.as_alias("starts_at"),
            ExternalSession.appointment.ends_at.as_alias("ends_at"),
        )
        .where(
            (ExternalSession.clinic == staff.clinic_id)
            & (ExternalSession.appointment == appointment_id)
            & (ExternalSession.appointment.clinic == staff.clinic_id)
            & (ExternalSession.appointment.status != AppointmentStatus.CANCELLED)
            & (ExternalSession.state == SessionState.CREATED.value)
        )
        .first()
    )
    if row is None or not row["staff_url"]:
        raise NotFoundException("no platform session for this appointment here")
    if not (
        staff.role is StaffRole.ADMINISTRATOR
        or (staff.role is StaffRole.PRACTITIONER and staff.practitioner_id == row["practitioner"])
    ):
        raise PermissionDeniedException("only the practitioner or an administrator joins")
    return row


class PlatformSession(Controller):
    path = "/platform-sessions/{appointment_id:int}"

    @get("/join", name="staff:platform_join")
    async def join(self, staff: StaffUser, appointment_id: int) -> Redirect:
        row = await _session(staff, appointment_id)
        return Redirect(row["staff_url"], status_code=303)

    @post("/accept", name="staff:platform_accept")
    async def accept(
        self, staff: StaffUser, bus: EventBus, channels: ChannelsPlugin, appointment_id: int
    ) -> Redirect:
        row = await _session(staff, appointment_id)
        room = RoomPass(
            clinic_id=staff.clinic_id,
            appointment_id=appointment_id,
            patient_id=row["patient"],
            practitioner_id=row["practitioner"],
            side=Side.STAFF,
            name=staff.name,
            may_join=True,
            account_id=staff.account_id,
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
        )
        status = await rooms.accept(room, actor=staff.actor(), bus=bus)
        if status is not None:
            CallNotifier(channels).state(staff.clinic_id, status)
        return Redirect(row["staff_url"], status_code=303)
