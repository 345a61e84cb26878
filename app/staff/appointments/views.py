"""What the slot dialog shows, as typed views: a slot with its publication state and live
hold, and its appointment with the patient (a file, or the provisional identity typed
online), the type, status, source and reason. Every query takes clinic_id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import phonenumbers

from app.booking.tables import Appointment, AppointmentStatus, Source
from app.i18n import N_
from app.numbers import MAX_ID
from app.online_services.services import online_offer
from app.patients.tables import ContactDetail, Patient
from app.scheduling.tables import ONLINE_ORIGINS, AppointmentType, Slot


class Publication(StrEnum):
    """How the agenda's icons (SPEC §3) read for one slot."""

    PUBLISHED = "published"
    SCHEDULED = "scheduled"  # offered online from publish_at
    NOT_OFFERED = "not_offered"  # a recurrence slot, or no online service takes it


ORIGIN_LABELS = {
    "manual": N_("Opened manually"),
    "template": N_("From a schedule template"),
    "recurrence": N_("From a recurrence"),
}
# How staff read each status (the portal's words are the patient's).
STAFF_STATUS_LABELS = {
    AppointmentStatus.BOOKED: N_("Booked"),
    AppointmentStatus.CONFIRMED: N_("Confirmed"),
    AppointmentStatus.ARRIVED: N_("Arrived"),
    AppointmentStatus.NO_SHOW: N_("No-show"),
    AppointmentStatus.COMPLETED: N_("Completed"),
    AppointmentStatus.CANCELLED: N_("Cancelled"),
}


@dataclass(frozen=True)
class SlotFacts:
    id: int
    starts_at: datetime
    ends_at: datetime
    local_date: date
    practitioner_id: int
    practitioner_name: str
    site_id: int
    site_name_fr: str
    site_name_en: str
    activity_id: int
    activity_name_fr: str
    activity_name_en: str
    default_type_id: int | None
    origin: str
    publish_at: datetime | None
    publication: Publication
    booked: bool
    hold_until: datetime | None  # a patient's hold, when it is still live

    @property
    def free(self) -> bool:
        return not self.booked and self.hold_until is None


@dataclass(frozen=True)
class PatientSummary:
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    health_insurance_number: str | None
    contacts: tuple[tuple[str, str], ...]  # (kind, value), the main contact first

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Provisional:
    """What an unidentified patient typed online, for staff to attach to a file later."""

    first_name: str
    last_name: str
    date_of_birth: str
    sex: str
    health_insurance_number: str
    contacts: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class AppointmentFacts:
    id: int
    slot_id: int
    practitioner_id: int
    status: AppointmentStatus
    source: Source
    type_name_fr: str
    type_name_en: str
    telemedicine: bool  # a teleconsultation: the camera icon (SPEC §3)
    no_communication: bool  # "No automated or manual communication" (or hidden)
    reason: str
    cancellation_reason: str
    patient: PatientSummary | None
    provisional: Provisional | None
    in_video_room: bool = False  # on the built-in platform: the camera opens the call
    # On another platform (Zoom, Teams…): its link is typed here, the camera opens it.
    takes_video_link: bool = False
    video_link: str = ""

    @property
    def active(self) -> bool:
        return self.status is not AppointmentStatus.CANCELLED


@dataclass(frozen=True)
class TypeChoice:
    id: int
    name_fr: str
    name_en: str


def contact_text(kind: str, value: str) -> str:
    """A contact as staff read it: phones grouped as people write them (+1 514-555-0101)."""
    if kind in ("cell", "home"):
        try:
            number = phonenumbers.parse(value)
        except phonenumbers.NumberParseException:
            return value
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return value


def valid_id(value: int) -> bool:
    """A path id the database can hold: anything else is no row (a 404, never a 500)."""
    return 0 < value <= MAX_ID


async def slot_facts(*, clinic_id: int, slot_id: int, now: datetime) -> SlotFacts | None:
    if not valid_id(slot_id):
        return None
    row = (
        await Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.ends_at,
            Slot.local_date,
            Slot.practitioner,
            Slot.practitioner.name.as_alias("practitioner_name"),
            Slot.site,
            Slot.site.name_fr.as_alias("site_name_fr"),
            Slot.site.name_en.as_alias("site_name_en"),
            Slot.activity,
            Slot.activity.name_fr.as_alias("activity_name_fr"),
            Slot.activity.name_en.as_alias("activity_name_en"),
            Slot.activity.appointment_type.as_alias("default_type"),
            Slot.origin,
            Slot.publish_at,
            Slot.state,
            Slot.hold_until,
        )
        .where((Slot.id == slot_id) & (Slot.clinic == clinic_id))
        .first()
    )
    if row is None:
        return None
    offer = await online_offer(clinic_id=clinic_id)
    if row["origin"] not in ONLINE_ORIGINS or not offer.offers(
        activity_id=row["activity"], practitioner_id=row["practitioner"]
    ):
        publication = Publication.NOT_OFFERED
    elif row["publish_at"] is not None and row["publish_at"] > now:
        publication = Publication.SCHEDULED
    else:
        publication = Publication.PUBLISHED
    booked = row["state"] == "booked"
    live_hold = row["hold_until"] if row["hold_until"] and row["hold_until"] > now else None
    return SlotFacts(
        id=row["id"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        local_date=row["local_date"],
        practitioner_id=row["practitioner"],
        practitioner_name=row["practitioner_name"],
        site_id=row["site"],
        site_name_fr=row["site_name_fr"],
        site_name_en=row["site_name_en"],
        activity_id=row["activity"],
        activity_name_fr=row["activity_name_fr"],
        activity_name_en=row["activity_name_en"],
        default_type_id=row["default_type"],
        origin=row["origin"],
        publish_at=row["publish_at"],
        publication=publication,
        booked=booked,
        hold_until=None if booked else live_hold,
    )


SUMMARY_COLUMNS = (
    Patient.id,
    Patient.first_name,
    Patient.last_name,
    Patient.date_of_birth,
    Patient.sex,
    Patient.health_insurance_number,
)


async def patient_summaries(*, clinic_id: int, patient_ids: list[int]) -> list[PatientSummary]:
    """Files by id, with their contacts in order; in the order of `patient_ids`."""
    if not patient_ids:
        return []
    rows = await Patient.select(*SUMMARY_COLUMNS).where(
        (Patient.clinic == clinic_id) & Patient.id.is_in(list(patient_ids))
    )
    by_id = {found.id: found for found in await summaries_of(clinic_id=clinic_id, rows=rows)}
    return [by_id[i] for i in patient_ids if i in by_id]


async def summaries_of(*, clinic_id: int, rows: list[dict]) -> list[PatientSummary]:
    """Rows of SUMMARY_COLUMNS (already this clinic's), in their order, with their contacts:
    one statement more, so a search page reads its files once."""
    if not rows:
        return []
    contacts: dict[int, list[tuple[str, str]]] = {}
    for contact in (
        await ContactDetail.select(ContactDetail.patient, ContactDetail.kind, ContactDetail.value)
        .where(
            (ContactDetail.clinic == clinic_id)
            & ContactDetail.patient.is_in([row["id"] for row in rows])
        )
        .order_by(ContactDetail.position, ContactDetail.id)
    ):
        contacts.setdefault(contact["patient"], []).append((contact["kind"], contact["value"]))
    return [
        PatientSummary(
            id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            date_of_birth=row["date_of_birth"],
            sex=row["sex"],
            health_insurance_number=row["health_insurance_number"],
            contacts=tuple(contacts.get(row["id"], [])),
        )
        for row in rows
    ]


async def patient_summary(*, clinic_id: int, patient_id: int) -> PatientSummary | None:
    if not valid_id(patient_id):
        return None
    found = await patient_summaries(clinic_id=clinic_id, patient_ids=[patient_id])
    return found[0] if found else None


def _provisional(row: dict[str, Any]) -> Provisional:
    typed = row["provisional"] or {}
    if isinstance(typed, str):  # JSON columns come back as text
        typed = json.loads(typed or "{}")
    contacts = tuple(
        (kind, value)
        for kind, value in (("cell", row["contact_phone"]), ("email", row["contact_email"]))
        if value
    )
    return Provisional(
        first_name=str(typed.get("first_name") or ""),
        last_name=str(typed.get("last_name") or ""),
        date_of_birth=str(typed.get("date_of_birth") or ""),
        sex=str(typed.get("sex") or ""),
        health_insurance_number=str(typed.get("health_insurance_number") or ""),
        contacts=contacts,
    )


_APPOINTMENT_COLUMNS = (
    Appointment.id,
    Appointment.slot,
    Appointment.practitioner,
    Appointment.status,
    Appointment.source,
    Appointment.reason,
    Appointment.cancellation_reason,
    Appointment.patient,
    Appointment.provisional,
    Appointment.contact_email,
    Appointment.contact_phone,
    Appointment.appointment_type.name_fr.as_alias("type_name_fr"),
    Appointment.appointment_type.name_en.as_alias("type_name_en"),
    Appointment.appointment_type.telemedicine.as_alias("telemedicine"),
    Appointment.appointment_type.video_platform.as_alias("video_platform"),
    Appointment.appointment_type.no_communication.as_alias("no_communication"),
    Appointment.appointment_type.hidden_from_portal.as_alias("hidden_from_portal"),
    Appointment.video_link,
)


async def _facts(clinic_id: int, row: dict[str, Any] | None) -> AppointmentFacts | None:
    if row is None:
        return None
    patient = (
        await patient_summary(clinic_id=clinic_id, patient_id=row["patient"])
        if row["patient"]
        else None
    )
    return AppointmentFacts(
        id=row["id"],
        slot_id=row["slot"],
        practitioner_id=row["practitioner"],
        status=AppointmentStatus(row["status"]),
        source=Source(row["source"]),
        type_name_fr=row["type_name_fr"] or "",
        type_name_en=row["type_name_en"] or "",
        telemedicine=bool(row["telemedicine"]),
        in_video_room=bool(row["telemedicine"]) and row["video_platform"] == "builtin",
        takes_video_link=bool(row["telemedicine"]) and row["video_platform"] == "link",
        video_link=row["video_link"] or "",
        no_communication=bool(row["no_communication"] or row["hidden_from_portal"]),
        reason=row["reason"] or "",
        cancellation_reason=row["cancellation_reason"] or "",
        patient=patient,
        provisional=None if patient else _provisional(row),
    )


async def active_appointment_of_slot(*, clinic_id: int, slot_id: int) -> AppointmentFacts | None:
    row = (
        await Appointment.select(*_APPOINTMENT_COLUMNS)
        .where(
            (Appointment.clinic == clinic_id)
            & (Appointment.slot == slot_id)
            & (Appointment.status != AppointmentStatus.CANCELLED)
        )
        .first()
    )
    return await _facts(clinic_id, row)


async def last_cancelled_of_slot(*, clinic_id: int, slot_id: int) -> AppointmentFacts | None:
    """The latest appointment cancelled on a now free slot, said in the dialog."""
    row = (
        await Appointment.select(*_APPOINTMENT_COLUMNS)
        .where(
            (Appointment.clinic == clinic_id)
            & (Appointment.slot == slot_id)
            & (Appointment.status == AppointmentStatus.CANCELLED)
        )
        .order_by(Appointment.cancelled_at, ascending=False)
        .first()
    )
    return await _facts(clinic_id, row)


async def appointment_facts(*, clinic_id: int, appointment_id: int) -> AppointmentFacts | None:
    if not valid_id(appointment_id):
        return None
    row = (
        await Appointment.select(*_APPOINTMENT_COLUMNS)
        .where((Appointment.clinic == clinic_id) & (Appointment.id == appointment_id))
        .first()
    )
    return await _facts(clinic_id, row)


async def type_choices(*, clinic_id: int) -> list[TypeChoice]:
    """The clinic's active appointment types (inactive ones cannot be used, SPEC §8)."""
    rows = (
        await AppointmentType.select(
            AppointmentType.id, AppointmentType.name_fr, AppointmentType.name_en
        )
        .where((AppointmentType.clinic == clinic_id) & (AppointmentType.active == True))  # noqa: E712
        .order_by(AppointmentType.id)
    )
    return [TypeChoice(row["id"], row["name_fr"], row["name_en"]) for row in rows]
