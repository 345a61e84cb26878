"""A teleconsultation on the built-in platform for the video tests: Marie with Dre Julie
Roy (the demo's "Téléconsultation", of the built-in "Télémédecine" type), booked by
reception with the real services, and its details link."""

from __future__ import annotations

from datetime import date, datetime, time

from app.booking.links import make_token
from app.booking.tables import Appointment
from app.settings import load
from tests.integration.demo_lookup import clinic_id, patient_id, practitioner_id, site_id
from tests.integration.messaging_helpers import Comms, local

THURSDAY = date(2026, 11, 26)
STARTS = local(THURSDAY, time(15))  # NOW is the Monday before


async def demo_world() -> Comms:
    """The messaging tests' world without their servers: bookings only."""
    demo = await clinic_id("demo")
    return Comms(
        clinic=demo,
        smtp=None,
        sms=None,
        settings=load(),
        sites={"centre-ville": await site_id(demo, "centre-ville")},
        patients={
            "marie": await patient_id(demo, "Tremblay"),
            "jean": await patient_id(demo, "Côté"),
        },
        practitioner=await practitioner_id(demo, "Dre Julie Roy"),
    )


async def book_teleconsultation(starts: datetime = STARTS, patient: str = "marie") -> int:
    world = await demo_world()
    video = await world.activity("Téléconsultation", type_fr="Télémédecine")
    return await world.staff_book(starts, activity=video, patient=patient)


async def link_of(appointment_id: int) -> str:
    row = (
        await Appointment.select(Appointment.ends_at)
        .where(Appointment.id == appointment_id)
        .first()
    )
    return make_token(load().secret_key, appointment_id, row["ends_at"])
