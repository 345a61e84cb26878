"""What the reconcile page reads: the unidentified patients' active online appointments
(soonest first), how many there are (the navigation's count), and the files each may be."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from app.booking.tables import Appointment, AppointmentStatus, Source
from app.patients import normalise
from app.patients.tables import ContactDetail, Patient
from app.staff.reconcile.ranking import Candidate, Ranked, Typed, rank

# Still to come or under way: a cancelled one needs no file, and the visit of a patient
# who has arrived is where the desk asks for their card. Past ones stay until attached.
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.ARRIVED)
LISTED = 100  # a page the desk can work through; the count says how many there are


def _waiting(clinic_id: int):
    return (
        (Appointment.clinic == clinic_id)
        & Appointment.patient.is_null()
        & (Appointment.source == Source.ONLINE)
        & Appointment.status.is_in(list(ACTIVE))
    )


async def count_waiting(clinic_id: int) -> int:
    """The navigation's count: one query, on the clinic's appointment index."""
    return await Appointment.count().where(_waiting(clinic_id))


def typed_identity(provisional) -> dict:
    """The identity typed on the portal, as typed (a dict, or its JSON text on SQLite)."""
    if isinstance(provisional, str) and provisional:
        try:
            provisional = json.loads(provisional)
        except ValueError:
            return {}
    return provisional if isinstance(provisional, dict) else {}


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Waiting:
    appointment_id: int
    starts_at: datetime
    status: AppointmentStatus
    practitioner: str
    site_fr: str
    site_en: str
    activity_fr: str
    activity_en: str
    identity: dict  # as typed: first_name, last_name, date_of_birth, sex, hin, contacts
    typed: Typed
    files: tuple[Ranked, ...]


async def waiting(clinic_id: int) -> list[Waiting]:
    rows = (
        await Appointment.select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.status,
            Appointment.provisional,
            Appointment.contact_email,
            Appointment.contact_phone,
            Appointment.practitioner.name.as_alias("practitioner_name"),
            Appointment.site.name_fr.as_alias("site_fr"),
            Appointment.site.name_en.as_alias("site_en"),
            Appointment.activity.name_fr.as_alias("activity_fr"),
            Appointment.activity.name_en.as_alias("activity_en"),
        )
        .where(_waiting(clinic_id))
        .order_by(Appointment.starts_at)
        .order_by(Appointment.id)
        .limit(LISTED)
    )
    typed = {row["id"]: _typed(row) for row in rows}
    candidates = await _candidates(clinic_id, list(typed.values()))
    return [
        Waiting(
            appointment_id=row["id"],
            starts_at=row["starts_at"],
            status=AppointmentStatus(row["status"]),
            practitioner=row["practitioner_name"],
            site_fr=row["site_fr"],
            site_en=row["site_en"],
            activity_fr=row["activity_fr"],
            activity_en=row["activity_en"],
            identity=typed_identity(row["provisional"]),
            typed=typed[row["id"]],
            files=tuple(rank(typed[row["id"]], candidates)),
        )
        for row in rows
    ]


def _typed(row: dict) -> Typed:
    identity = typed_identity(row["provisional"])
    return Typed(
        first_name=str(identity.get("first_name") or ""),
        last_name=str(identity.get("last_name") or ""),
        date_of_birth=_date(identity.get("date_of_birth")),
        health_insurance_number=normalise.hin(str(identity.get("health_insurance_number") or ""))
        or None,
        # The contacts in their normal forms, as the appointment keeps them (the identity
        # is kept as typed, to be shown back).
        email=row["contact_email"],
        phone=row["contact_phone"],
    )


async def _candidates(clinic_id: int, typed: list[Typed]) -> list[Candidate]:
    """Every active file of the clinic sharing a date of birth, a number or a contact with
    one of the typed identities: three indexed lookups for the whole page, then ranked
    per appointment in Python (names compare folded, which SQL cannot do on both
    databases)."""
    births = sorted({t.date_of_birth for t in typed if t.date_of_birth})
    numbers = sorted({t.health_insurance_number for t in typed if t.health_insurance_number})
    values = sorted({v.lower() for t in typed for v in (t.email, t.phone) if v})
    ids: set[int] = set()
    if values:
        ids |= {
            row["patient"]
            for row in await ContactDetail.select(ContactDetail.patient).where(
                (ContactDetail.clinic == clinic_id) & ContactDetail.value.is_in(values)
            )
        }
    condition = None
    if births:
        condition = Patient.date_of_birth.is_in(births)
    if numbers:
        by_number = Patient.health_insurance_number.is_in(numbers)
        condition = by_number if condition is None else condition | by_number
    if ids:
        by_id = Patient.id.is_in(sorted(ids))
        condition = by_id if condition is None else condition | by_id
    if condition is None:
        return []
    files = await Patient.select(
        Patient.id,
        Patient.first_name,
        Patient.last_name,
        Patient.date_of_birth,
        Patient.file_number,
        Patient.health_insurance_number,
    ).where((Patient.clinic == clinic_id) & (Patient.status == "active") & condition)
    contacts: dict[int, set[str]] = {row["id"]: set() for row in files}
    if contacts:
        for row in await ContactDetail.select(ContactDetail.patient, ContactDetail.value).where(
            (ContactDetail.clinic == clinic_id) & ContactDetail.patient.is_in(list(contacts))
        ):
            contacts[row["patient"]].add(row["value"])
    return [
        Candidate(
            patient_id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            date_of_birth=row["date_of_birth"],
            file_number=row["file_number"],
            contacts=frozenset(contacts[row["id"]]),
            health_insurance_number=row["health_insurance_number"],
        )
        for row in files
    ]
