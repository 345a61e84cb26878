"""Dependants: the files a guardian's file answers for (a child, a person in care).

Staff link them; the guardian's "My appointments" then lists their appointments too.
Every query names the clinic, so a link never reaches another clinic's file."""

from __future__ import annotations

from dataclasses import dataclass

from app import clock
from app.db import write_transaction
from app.patients.tables import Dependant, Patient


@dataclass(frozen=True)
class DependantView:
    patient_id: int
    first_name: str
    last_name: str


async def dependants_of(*, clinic_id: int, guardian_id: int) -> list[DependantView]:
    rows = (
        await Dependant.select(
            Dependant.dependant.as_alias("patient_id"),
            Dependant.dependant.first_name.as_alias("first_name"),
            Dependant.dependant.last_name.as_alias("last_name"),
        )
        .where((Dependant.clinic == clinic_id) & (Dependant.guardian == guardian_id))
        .order_by(Dependant.id)
    )
    return [DependantView(**row) for row in rows]


async def guardians_of(*, clinic_id: int, patient_id: int) -> list[DependantView]:
    rows = (
        await Dependant.select(
            Dependant.guardian.as_alias("patient_id"),
            Dependant.guardian.first_name.as_alias("first_name"),
            Dependant.guardian.last_name.as_alias("last_name"),
        )
        .where((Dependant.clinic == clinic_id) & (Dependant.dependant == patient_id))
        .order_by(Dependant.id)
    )
    return [DependantView(**row) for row in rows]


async def link(*, clinic_id: int, guardian_id: int, dependant_id: int, by: str) -> bool:
    """False when either file is not this clinic's, they are the same, or already linked."""
    if guardian_id == dependant_id:
        return False
    async with write_transaction():
        found = await Patient.count().where(
            (Patient.clinic == clinic_id) & Patient.id.is_in([guardian_id, dependant_id])
        )
        if found != 2:
            return False
        exists = await Dependant.exists().where(
            (Dependant.clinic == clinic_id)
            & (Dependant.guardian == guardian_id)
            & (Dependant.dependant == dependant_id)
        )
        if exists:
            return False
        await Dependant.insert(
            Dependant(
                clinic=clinic_id,
                guardian=guardian_id,
                dependant=dependant_id,
                created_at=clock.now(),
                created_by=by,
            )
        )
    return True


async def unlink(*, clinic_id: int, guardian_id: int, dependant_id: int) -> bool:
    async with write_transaction():
        gone = (
            await Dependant.delete()
            .where(
                (Dependant.clinic == clinic_id)
                & (Dependant.guardian == guardian_id)
                & (Dependant.dependant == dependant_id)
            )
            .returning(Dependant.id)
        )
    return bool(gone)
