"""The platform said the patient connected: they are in our waiting room, as if they had
opened our own video room (app.video.rooms.patient_arrived: first arrival kept, the
audit row and the staff pages told), and `patient_connected_at` is recorded."""

from __future__ import annotations

from app import clock
from app.booking.tables import Appointment, AppointmentStatus
from app.events import Actor, ActorKind, EventBus
from app.platforms.tables import ExternalSession, SessionState
from app.video import rooms
from app.video.access import RoomPass, patient_name
from app.video.tables import Side

PATIENT = Actor(ActorKind.PATIENT, label="video platform")


async def session_of(*, clinic_id: int, external_id: str) -> dict | None:
    """The clinic's live session of that platform id: another clinic's is None."""
    return await (
        ExternalSession.select(ExternalSession.id, ExternalSession.appointment)
        .where(
            (ExternalSession.clinic == clinic_id)
            & (ExternalSession.external_id == external_id)
            & (ExternalSession.state == SessionState.CREATED.value)
        )
        .first()
    )


async def patient_pass(*, clinic_id: int, appointment_id: int) -> RoomPass | None:
    row = await (
        Appointment.select(
            Appointment.patient,
            Appointment.practitioner,
            Appointment.starts_at,
            Appointment.ends_at,
        )
        .where(
            (Appointment.id == appointment_id)
            & (Appointment.clinic == clinic_id)
            & (Appointment.status != AppointmentStatus.CANCELLED)
        )
        .first()
    )
    if row is None:
        return None
    return RoomPass(
        clinic_id=clinic_id,
        appointment_id=appointment_id,
        patient_id=row["patient"],
        practitioner_id=row["practitioner"],
        side=Side.PATIENT,
        name=await patient_name(clinic_id, appointment_id, row["patient"]),
        may_join=True,
        account_id=None,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
    )


async def patient_connected(
    *, clinic_id: int, session: dict, bus: EventBus
) -> rooms.RoomStatus | None:
    """Inside the webhook's transaction."""
    room = await patient_pass(clinic_id=clinic_id, appointment_id=session["appointment"])
    if room is None:
        return None
    await ExternalSession.update(
        {ExternalSession.patient_connected_at: clock.now(), ExternalSession.updated_at: clock.now()}
    ).where((ExternalSession.id == session["id"]) & (ExternalSession.clinic == clinic_id))
    return await rooms.patient_arrived(room, actor=PATIENT, bus=bus)
