"""What "My appointments" lists: the patient's appointments at this clinic, on every site,
and those of the files they answer for (app.patients.dependants), marked with the
person's name. A type "hidden from the patient portal" keeps its appointments off it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.booking.tables import Appointment, AppointmentStatus
from app.patients.dependants import dependants_of
from tenants.sites import SiteView

PAST_SHOWN = 50  # the most recent ones; older ones are the clinic's to tell


@dataclass(frozen=True)
class Listed:
    id: int
    status: AppointmentStatus
    starts_at: datetime
    ends_at: datetime
    practitioner_name: str
    activity_name_fr: str
    activity_name_en: str
    site: SiteView
    service_id: int | None
    patient_id: int
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
    columns = (
        Appointment.id,
        Appointment.status,
        Appointment.starts_at,
        Appointment.ends_at,
        Appointment.service,
        Appointment.patient,
        Appointment.practitioner.name.as_alias("practitioner_name"),
        Appointment.activity.name_fr.as_alias("activity_name_fr"),
        Appointment.activity.name_en.as_alias("activity_name_en"),
        *SiteView.columns(Appointment.site),
    )
    shown = _shown(clinic_id, list(people))
    # A cancelled appointment still to come is gone from the patient's plans.
    upcoming = await (
        Appointment.select(*columns)
        .where(
            shown
            & (Appointment.ends_at > now)
            & (Appointment.status != AppointmentStatus.CANCELLED.value)
        )
        .order_by(Appointment.starts_at)
    )
    past = await (
        Appointment.select(*columns)
        .where(shown & (Appointment.ends_at <= now))
        .order_by(Appointment.starts_at, ascending=False)
        .limit(PAST_SHOWN)
    )

    def listed(row: dict) -> Listed:
        return Listed(
            id=row["id"],
            status=AppointmentStatus(row["status"]),
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            practitioner_name=row["practitioner_name"],
            activity_name_fr=row["activity_name_fr"],
            activity_name_en=row["activity_name_en"],
            site=SiteView.from_row(row),
            service_id=row["service"],
            patient_id=row["patient"],
            person=people[row["patient"]],
        )

    return Listing([listed(r) for r in upcoming], [listed(r) for r in past])
