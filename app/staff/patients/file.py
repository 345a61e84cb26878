"""A patient's file as the front desk reads it (staff:patient): identity, numbers, family
doctor, the contacts in order (position 1 is the main contact), the appointments, the
messages sent from the outbox and the file's audit trail. One clinic's rows only: a file
of another clinic is None, never its data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from app import i18n
from app.audit import viewer
from app.audit.tables import AuditEntry
from app.booking.tables import Appointment
from app.messaging.tables import Message
from app.patients.tables import ContactDetail, Patient
from app.scheduling.tables import Activity, Practitioner
from app.staff.appointments.views import valid_id

TRAIL = 50  # audit rows shown; the audit log has the rest
MESSAGES = 50


@dataclass(frozen=True)
class Contact:
    id: int
    kind: str
    value: str
    position: int
    verified: bool  # False: typed online, not proved yet (pending)


@dataclass(frozen=True)
class AppointmentLine:
    id: int
    slot_id: int
    starts_at: datetime
    practitioner: str
    activity: str
    status: str
    upcoming: bool


@dataclass(frozen=True)
class MessageLine:
    id: int
    kind: str
    channel: str
    recipient: str
    status: str
    due_at: datetime


@dataclass(frozen=True)
class PatientFile:
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    health_insurance_number: str | None
    file_number: str | None
    family_doctor_id: int | None
    family_doctor: str
    contacts: tuple[Contact, ...]
    status: str = "active"  # "merged": merged into another file (app.staff.patients.merge)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class FileHistory:
    appointments: tuple[AppointmentLine, ...]
    messages: tuple[MessageLine, ...]
    trail: tuple[viewer.EntryView, ...]


async def patient_file(*, clinic_id: int, patient_id: int) -> PatientFile | None:
    if not valid_id(patient_id):
        return None
    rows = await Patient.select().where((Patient.clinic == clinic_id) & (Patient.id == patient_id))
    if not rows:
        return None
    row = rows[0]
    doctor = ""
    if row["family_doctor"]:
        found = await Practitioner.select(Practitioner.name).where(
            (Practitioner.clinic == clinic_id) & (Practitioner.id == row["family_doctor"])
        )
        doctor = found[0]["name"] if found else ""
    contacts = await (
        ContactDetail.select()
        .where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
        .order_by(ContactDetail.position, ContactDetail.id)
    )
    return PatientFile(
        id=row["id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        date_of_birth=row["date_of_birth"],
        sex=row["sex"],
        health_insurance_number=row["health_insurance_number"],
        file_number=row["file_number"],
        family_doctor_id=row["family_doctor"],
        family_doctor=doctor,
        contacts=tuple(
            Contact(c["id"], c["kind"], c["value"], index, c["verified"])
            for index, c in enumerate(contacts, start=1)
        ),
        status=row["status"],
    )


async def file_history(
    *, clinic_id: int, patient_id: int, time_zone: str, now: datetime
) -> FileHistory:
    zone = ZoneInfo(time_zone)
    appointments = await (
        Appointment.select(
            Appointment.id,
            Appointment.slot,
            Appointment.starts_at,
            Appointment.status,
            Appointment.practitioner.name.as_alias("practitioner_name"),
            Appointment.activity,
        )
        .where((Appointment.clinic == clinic_id) & (Appointment.patient == patient_id))
        .order_by(Appointment.starts_at, ascending=False)
    )
    activity_ids = sorted({a["activity"] for a in appointments})
    activities = {
        a["id"]: a
        for a in (
            await Activity.select().where(
                (Activity.clinic == clinic_id) & Activity.id.is_in(activity_ids)
            )
            if activity_ids
            else []
        )
    }
    ids = [a["id"] for a in appointments]
    messages = (
        await Message.select(
            Message.id,
            Message.kind,
            Message.channel,
            Message.recipient,
            Message.status,
            Message.due_at,
        )
        .where((Message.clinic == clinic_id) & Message.appointment.is_in(ids))
        .order_by(Message.due_at, ascending=False)
        .limit(MESSAGES)
        if ids
        else []
    )
    trail_rows = (
        await AuditEntry.select()
        .where((AuditEntry.clinic == clinic_id) & (AuditEntry.patient_id == patient_id))
        .order_by(AuditEntry.seq, ascending=False)
        .limit(TRAIL)
    )
    return FileHistory(
        appointments=tuple(
            AppointmentLine(
                id=a["id"],
                slot_id=a["slot"],
                starts_at=a["starts_at"].astimezone(zone),
                practitioner=a["practitioner_name"],
                activity=_activity_name(activities.get(a["activity"])),
                status=a["status"],
                upcoming=a["starts_at"] >= now,
            )
            for a in appointments
        ),
        messages=tuple(
            MessageLine(
                m["id"],
                m["kind"],
                m["channel"],
                m["recipient"],
                m["status"],
                m["due_at"].astimezone(zone),
            )
            for m in messages
        ),
        trail=tuple(await viewer.present(clinic_id, trail_rows, time_zone)),
    )


def _activity_name(row: dict | None) -> str:
    if not row:
        return ""
    other = "en" if i18n.current() == "fr" else "fr"
    return row[f"name_{i18n.current()}"] or row[f"name_{other}"]
