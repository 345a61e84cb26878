"""Ids of the seeded demo data, looked up by the names a reader knows them by."""

from __future__ import annotations

from app.online_services.tables import OnlineService
from app.patients.tables import Patient
from app.scheduling.tables import Activity, Practitioner
from tenants.tables import Clinic, WorkSite


async def clinic_id(slug: str) -> int:
    return (await Clinic.select(Clinic.id).where(Clinic.slug == slug).first())["id"]


async def site_id(clinic: int, slug: str) -> int:
    return (
        await WorkSite.select(WorkSite.id)
        .where((WorkSite.clinic == clinic) & (WorkSite.slug == slug))
        .first()
    )["id"]


async def practitioner_id(clinic: int, name: str) -> int:
    row = (
        await Practitioner.select(Practitioner.id)
        .where((Practitioner.clinic == clinic) & (Practitioner.name == name))
        .first()
    )
    return row["id"]


async def activity_id(clinic: int, name_fr: str) -> int:
    row = (
        await Activity.select(Activity.id)
        .where((Activity.clinic == clinic) & (Activity.name_fr == name_fr))
        .first()
    )
    return row["id"]


async def patient_id(clinic: int, last_name: str) -> int:
    row = (
        await Patient.select(Patient.id)
        .where((Patient.clinic == clinic) & (Patient.last_name == last_name))
        .first()
    )
    return row["id"]


async def contact_id(clinic: int, last_name: str) -> int:
    """The main contact of the file of that name."""
    from app.patients.tables import ContactDetail

    row = await (
        ContactDetail.select(ContactDetail.id)
        .where(ContactDetail.patient == await patient_id(clinic, last_name))
        .order_by(ContactDetail.position)
        .first()
    )
    return row["id"]


async def service_id(clinic: int, name_en: str) -> int:
    row = (
        await OnlineService.select(OnlineService.id)
        .where((OnlineService.clinic == clinic) & (OnlineService.name_en == name_en))
        .first()
    )
    return row["id"]
