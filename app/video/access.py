"""Who may enter an appointment's video room (SPEC §9, issue 13):
- the patient, by the appointment's signed details link, from OPENS_BEFORE its start
  until CLOSES_AFTER its end, for a teleconsultation on the built-in platform that is
  not cancelled;
- the clinic's practitioner of the appointment and administrators, by their staff
  session; a secretary sees the room's state and may mark the patient ready, not join.
Anything else gets no pass: one clinic's staff never reach another clinic's room, the
clinic always coming from the session or the host, never from the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.booking.links import read_token
from app.booking.tables import Appointment, AppointmentStatus
from app.booking.views import AppointmentView, appointment_view
from app.patients.tables import Patient
from app.staff.accounts import StaffUser
from app.staff.tables import StaffRole
from app.video.tables import Side

OPENS_BEFORE = timedelta(minutes=30)
CLOSES_AFTER = timedelta(hours=1)


class Refusal(StrEnum):
    NOT_FOUND = "not_found"  # tampered, expired, another clinic's, or not a video room
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RoomPass:
    clinic_id: int
    appointment_id: int
    patient_id: int | None
    practitioner_id: int
    side: Side
    name: str  # shown beside their chat messages and files
    may_join: bool  # False: a secretary watching the room's state
    account_id: int | None  # the staff member's; None for the patient
    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        """A label for this person in this room (TURN usernames, logs): no name in it."""
        who = f"staff{self.account_id}" if self.account_id else "patient"
        return f"{self.clinic_id}-{self.appointment_id}-{who}"


def patient_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    return starts_at - OPENS_BEFORE, ends_at + CLOSES_AFTER


async def patient_name(clinic_id: int, appointment_id: int, patient_id: int | None) -> str:
    if patient_id is not None:
        row = await (
            Patient.select(Patient.first_name, Patient.last_name)
            .where((Patient.clinic == clinic_id) & (Patient.id == patient_id))
            .first()
        )
        if row:
            return f"{row['first_name']} {row['last_name']}"
    row = await (
        Appointment.select(Appointment.provisional)
        .where((Appointment.clinic == clinic_id) & (Appointment.id == appointment_id))
        .first()
    )
    typed = (row or {}).get("provisional") or {}
    if isinstance(typed, dict):
        name = f"{typed.get('first_name', '')} {typed.get('last_name', '')}".strip()
        if name:
            return name
    return "Patient"


async def _practitioner_id(clinic_id: int, appointment_id: int) -> int:
    row = await (
        Appointment.select(Appointment.practitioner)
        .where((Appointment.clinic == clinic_id) & (Appointment.id == appointment_id))
        .first()
    )
    return row["practitioner"]


async def video_appointment(*, clinic_id: int, appointment_id: int) -> AppointmentView | None:
    """The appointment if it is this clinic's and held in our video room."""
    appointment = await appointment_view(clinic_id=clinic_id, appointment_id=appointment_id)
    return appointment if appointment is not None and appointment.in_video_room else None


async def patient_pass(
    *, secret: str, clinic_id: int, token: str, now: datetime
) -> RoomPass | Refusal:
    link = read_token(secret, token)
    if link is None:
        return Refusal.NOT_FOUND
    appointment = await video_appointment(clinic_id=clinic_id, appointment_id=link.appointment_id)
    if appointment is None or not link.made_for(appointment.ends_at):
        return Refusal.NOT_FOUND
    if appointment.status == AppointmentStatus.CANCELLED:
        return Refusal.CANCELLED
    opens, closes = patient_window(appointment.starts_at, appointment.ends_at)
    if now < opens:
        return Refusal.TOO_EARLY
    if now > closes:
        return Refusal.TOO_LATE
    return RoomPass(
        clinic_id=clinic_id,
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        practitioner_id=await _practitioner_id(clinic_id, appointment.id),
        side=Side.PATIENT,
        name=await patient_name(clinic_id, appointment.id, appointment.patient_id),
        may_join=True,
        account_id=None,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )


async def staff_pass(*, user: StaffUser, appointment_id: int) -> RoomPass | None:
    """None when the appointment is not a video room of the user's clinic, or is the
    agenda of another practitioner than the practitioner signed in."""
    appointment = await video_appointment(clinic_id=user.clinic_id, appointment_id=appointment_id)
    if appointment is None:
        return None
    practitioner_id = await _practitioner_id(user.clinic_id, appointment.id)
    if user.role is StaffRole.PRACTITIONER and user.practitioner_id != practitioner_id:
        return None
    return RoomPass(
        clinic_id=user.clinic_id,
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        practitioner_id=practitioner_id,
        side=Side.STAFF,
        name=user.name,
        may_join=user.role in (StaffRole.PRACTITIONER, StaffRole.ADMINISTRATOR)
        and appointment.status != AppointmentStatus.CANCELLED,
        account_id=user.account_id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )
