"""What "My appointments" lists: the patient's appointments at this clinic, on every site,
and those of the files they answer for (app.patients.dependants), marked with the
person's name. A type "hidden from the patient portal" keeps its appointments off it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.booking.tables import Appointment, AppointmentStatus
from app.booking.views import AppointmentView, appointment_of, appointment_select
from app.patients.dependants import dependants_of

PAST_SHOWN = 50  # the most recent ones; older ones are the clinic's to tell


@dataclass(frozen=True)
class Listed:
    appointment: AppointmentView
    person: str  # "" for the patient's own; a dependant's first and last name


@dataclass(frozen=True)
class Listing:
    upcoming: list[Listed]
    past: list[Listed]


def _shown(clinic_id: int, patient_ids: list[int]):
    kind = Appointment.appointment_type
    return (
        (Appointment.clinic == clinic_id)
        & Appointment.patient.is_in(patient_ids)
        # No type (none given, none on its activity) is no hidden type.
        & (kind.is_null() | (kind.hidden_from_portal == False))  # noqa: E712 - Piccolo
    )


async def appointments(*, clinic_id: int, patient_id: int, now: datetime) -> Listing:
    people = {patient_id: ""}
    for dependant in await dependants_of(clinic_id=clinic_id, guardian_id=patient_id):
        people.setdefault(dependant.patient_id, f"{dependant.first_name} {dependant.last_name}")
    shown = _shown(clinic_id, list(people))
    # A cancelled appointment still to come is gone from the patient's plans.
    upcoming = await (
        appointment_select()
        .where(
            shown
            & (Appointment.ends_at > now)
            & (Appointment.status != AppointmentStatus.CANCELLED.value)
        )
        .order_by(Appointment.starts_at)
    )
    past = await (
        appointment_select()
        .where(shown & (Appointment.ends_at <= now))
        .order_by(Appointment.starts_at, ascending=False)
        .limit(PAST_SHOWN)
    )

    def listed(row: dict) -> Listed:
        return Listed(appointment_of(row), people[row["patient"]])

    return Listing([listed(r) for r in upcoming], [listed(r) for r in past])
