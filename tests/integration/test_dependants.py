"""Dependants: a guardian's file and the files it answers for, within one clinic only."""

from datetime import date

from app import clock
from app.patients import dependants
from app.patients.tables import Patient
from tests.integration.demo_lookup import clinic_id


async def _file(clinic_id: int, first: str) -> int:
    patient = Patient(
        clinic=clinic_id,
        first_name=first,
        last_name="Tremblay",
        date_of_birth=date(2015, 3, 4),
        sex="F",
        created_at=clock.now(),
    )
    await patient.save()
    return patient.id


async def test_link_lists_and_unlinks(demo_id):
    autre_id = await clinic_id("autre")
    parent = await _file(demo_id, "Marie")
    child = await _file(demo_id, "Léa")
    assert await dependants.link(clinic_id=demo_id, guardian_id=parent, dependant_id=child, by="t")
    assert not await dependants.link(
        clinic_id=demo_id, guardian_id=parent, dependant_id=child, by="t"
    )
    listed = await dependants.dependants_of(clinic_id=demo_id, guardian_id=parent)
    assert [(d.patient_id, d.first_name) for d in listed] == [(child, "Léa")]
    guardians = await dependants.guardians_of(clinic_id=demo_id, patient_id=child)
    assert [g.patient_id for g in guardians] == [parent]
    assert await dependants.dependants_of(clinic_id=autre_id, guardian_id=parent) == []
    assert await dependants.unlink(clinic_id=demo_id, guardian_id=parent, dependant_id=child)
    assert await dependants.dependants_of(clinic_id=demo_id, guardian_id=parent) == []


async def test_no_link_across_clinics_or_to_oneself(demo_id):
    autre_id = await clinic_id("autre")
    parent = await _file(demo_id, "Marie")
    stranger = await _file(autre_id, "Paul")
    assert not await dependants.link(
        clinic_id=demo_id, guardian_id=parent, dependant_id=stranger, by="t"
    )
    assert not await dependants.link(
        clinic_id=autre_id, guardian_id=parent, dependant_id=stranger, by="t"
    )
    assert not await dependants.link(
        clinic_id=demo_id, guardian_id=parent, dependant_id=parent, by="t"
    )
