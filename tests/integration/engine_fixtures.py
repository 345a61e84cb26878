"""A small, explicit scheduling world for the engine tests, built with the real services.

Clinic "demo" (America/Montreal): Roy at centre-ville, Gagnon at centre-ville and
laval, Lavoie at laval; activities "urgent" (15 min) and "followup" (30 min).
Clinic "autre" (Europe/Paris): Martin at principal, activity "consult" (20 min).
The clock is frozen on tests.moments.NOW, Monday 23 November 2026, 07:00 in Montreal;
tests move it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.events import PATIENT, Actor  # noqa: F401 - PATIENT: for the engine tests
from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Activity, AppointmentType, Practitioner, PractitionerSite, Slot
from tenants.tables import Clinic, WorkSite
from tests.moments import NOW, freeze

TUESDAY = NOW.date() + timedelta(days=1)
STAFF = BookingDetails(source="staff")
# Who makes the engine tests' changes: the clinic's front desk, and patients online.
RECEPTION = Actor.system("reception")


@dataclass
class Tenant:
    id: int
    time_zone: str
    sites: dict[str, int]
    practitioners: dict[str, int]
    activities: dict[str, int]

    @property
    def scheduling(self) -> SchedulingService:
        return SchedulingService(clinic_id=self.id, bus=make_bus())

    def booking(self, hold_for: timedelta = timedelta(minutes=5)) -> BookingService:
        return BookingService(clinic_id=self.id, bus=make_bus(), hold_for=hold_for)


@dataclass
class World:
    demo: Tenant
    autre: Tenant


async def _tenant(
    slug: str, people: dict[str, tuple[str, list[str]]], activities: dict[str, int]
) -> Tenant:
    clinic = await Clinic.objects().get(Clinic.slug == slug)
    sites = {
        row["slug"]: row["id"]
        for row in await WorkSite.select(WorkSite.id, WorkSite.slug).where(
            WorkSite.clinic == clinic.id
        )
    }
    kind = AppointmentType(clinic=clinic.id, name_fr="Sur place", name_en="On site")
    await kind.save()
    activity_ids = {}
    for key, minutes in activities.items():
        activity = Activity(
            clinic=clinic.id,
            name_fr=key,
            name_en=key,
            duration_minutes=minutes,
            appointment_type=kind.id,
        )
        await activity.save()
        activity_ids[key] = activity.id
    practitioner_ids = {}
    for key, (name, site_slugs) in people.items():
        practitioner = Practitioner(clinic=clinic.id, name=name)
        await practitioner.save()
        practitioner_ids[key] = practitioner.id
        for site_slug in site_slugs:
            await PractitionerSite(
                clinic=clinic.id, practitioner=practitioner.id, site=sites[site_slug]
            ).save()
    return Tenant(clinic.id, clinic.time_zone, sites, practitioner_ids, activity_ids)


@pytest.fixture
async def world(demo_data):
    freeze()
    demo = await _tenant(
        "demo",
        {
            "roy": ("Dre Julie Roy", ["centre-ville"]),
            "gagnon": ("Dr Marc Gagnon", ["centre-ville", "laval"]),
            "lavoie": ("Sophie Lavoie, IPS", ["laval"]),
        },
        {"urgent": 15, "followup": 30},
    )
    autre = await _tenant("autre", {"martin": ("Dr Claire Martin", ["principal"])}, {"consult": 20})
    return World(demo, autre)


async def open_slots(
    tenant: Tenant,
    *,
    who: str,
    site: str,
    activity: str,
    day: date = TUESDAY,
    start: time = time(9, 0),
    end: time = time(10, 0),
    publish_at: datetime | None = None,
) -> list[int]:
    """Opens a manual range and returns its slot ids in start order."""
    opened = await tenant.scheduling.open_manual(
        actor=RECEPTION,
        practitioner_id=tenant.practitioners[who],
        site_id=tenant.sites[site],
        activity_id=tenant.activities[activity],
        day=day,
        start=start,
        end=end,
        publish_at=publish_at,
    )
    rows = (
        await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).order_by(Slot.starts_at)
    )
    return [row["id"] for row in rows]


async def slot_count(clinic_id: int) -> int:
    return await Slot.count().where(Slot.clinic == clinic_id)


async def consistency_problems(slot_ids: list[int]) -> list[str]:
    """What breaks the booking invariants on these slots, read from the database:
    more than one active appointment, or a state that disagrees with them."""
    slots = await Slot.select(Slot.id, Slot.state).where(Slot.id.is_in(slot_ids))
    active = await Appointment.select(Appointment.slot).where(
        Appointment.slot.is_in(slot_ids) & (Appointment.status != "cancelled")
    )
    per_slot: dict[int, int] = {}
    for row in active:
        per_slot[row["slot"]] = per_slot.get(row["slot"], 0) + 1
    problems = []
    for slot in slots:
        count = per_slot.get(slot["id"], 0)
        if count > 1:
            problems.append(f"slot {slot['id']} has {count} active appointments")
        if (slot["state"] == "booked") != (count == 1):
            problems.append(
                f"slot {slot['id']} is {slot['state']} with {count} active appointments"
            )
    return problems
