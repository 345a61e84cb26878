"""Teleconsultations for the waiting room's tests, made by the real services: a built-in
video appointment booked by the engine, and its patient arriving through rooms (as the
patient's socket does on H1's side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from app import clock
from app.booking.services import BookingDetails, BookingService
from app.events import PATIENT
from app.listeners import make_bus
from app.patients.tables import Patient
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Activity, AppointmentType, Slot
from app.video import rooms
from app.video.access import RoomPass
from app.video.rooms import RoomStatus
from app.video.tables import Side
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION


@dataclass(frozen=True)
class Visit:
    clinic_id: int
    appointment_id: int
    patient_id: int
    practitioner_id: int
    name: str


async def _video_activity(clinic_id: int) -> int:
    """The clinic's built-in teleconsultation activity (the demo's seed has one)."""
    row = await (
        Activity.select(Activity.id)
        .where(
            (Activity.clinic == clinic_id)
            & (Activity.appointment_type.video_platform == "builtin")
            & (Activity.appointment_type.telemedicine == True)  # noqa: E712 - a column
        )
        .first()
    )
    if row:
        return row["id"]
    kind = AppointmentType(
        clinic=clinic_id,
        name_fr="Vidéo",
        name_en="Video",
        on_site=False,
        telemedicine=True,
        video_platform="builtin",
    )
    await kind.save()
    activity = Activity(
        clinic=clinic_id,
        name_fr="Vidéo",
        name_en="Video",
        duration_minutes=20,
        appointment_type=kind.id,
    )
    await activity.save()
    return activity.id


async def book_video(
    slug: str,
    *,
    practitioner: str,
    site: str,
    day: date,
    at: time,
    first_name: str,
    last_name: str,
) -> Visit:
    clinic_id = await demo_lookup.clinic_id(slug)
    practitioner_id = await demo_lookup.practitioner_id(clinic_id, practitioner)
    site_id = await demo_lookup.site_id(clinic_id, site)
    activity_id = await _video_activity(clinic_id)
    bus = make_bus()
    end = time(at.hour + 1, at.minute)
    opened = await SchedulingService(clinic_id=clinic_id, bus=bus).open_manual(
        actor=RECEPTION,
        practitioner_id=practitioner_id,
        site_id=site_id,
        activity_id=activity_id,
        day=day,
        start=at,
        end=end,
    )
    slot = await (
        Slot.select(Slot.id)
        .where(Slot.opening == opened.opening_id)
        .order_by(Slot.starts_at)
        .first()
    )
    patient = Patient(
        clinic=clinic_id,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date(1980, 1, 2),
        sex="F",
        created_at=clock.now(),
    )
    await patient.save()
    outcome = await BookingService(clinic_id=clinic_id, bus=bus).staff_book(
        slot_id=slot["id"],
        details=BookingDetails(source="staff", patient_id=patient.id),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    return Visit(
        clinic_id, outcome.appointment_id, patient.id, practitioner_id, f"{first_name} {last_name}"
    )


def patient_room(visit: Visit) -> RoomPass:
    """The pass H1's patient socket gets from the details link (access.patient_pass)."""
    from datetime import UTC, datetime

    moment = datetime(2000, 1, 1, tzinfo=UTC)  # not read by rooms
    return RoomPass(
        clinic_id=visit.clinic_id,
        appointment_id=visit.appointment_id,
        patient_id=visit.patient_id,
        practitioner_id=visit.practitioner_id,
        side=Side.PATIENT,
        name=visit.name,
        may_join=True,
        account_id=None,
        starts_at=moment,
        ends_at=moment,
    )


async def arrive(visit: Visit) -> RoomStatus:
    return await rooms.patient_arrived(patient_room(visit), actor=PATIENT, bus=make_bus())
