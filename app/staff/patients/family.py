"""Dependants on the staff side (SPEC §7b): the front desk links a guardian's file (a
parent, a carer) to the files it answers for, and unlinks them. Both files must be
active files of the host's clinic (app.patients.dependants keeps every query to one
clinic). Each change is audited on both files, as PatientChanged(DEPENDANTS), with the
file's dependants and guardians before and after, inside the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from app.db import write_transaction
from app.events import Actor, EventBus
from app.patients import dependants
from app.patients.dependants import DependantView
from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
from app.patients.snapshot import file_snapshot
from app.patients.tables import Patient
from app.staff.patients.merge import ACTIVE


class Role(StrEnum):
    """What the other file is to the file whose page it is."""

    DEPENDANT = "dependant"  # this file answers for the other
    GUARDIAN = "guardian"  # the other answers for this file


class Refused(StrEnum):
    NOT_FOUND = "not_found"  # not an active file of this clinic: 404
    ITSELF = "itself"
    ALREADY = "already"
    NOT_LINKED = "not_linked"


@dataclass(frozen=True)
class Family:
    dependants: list[DependantView]  # the files this one answers for
    guardians: list[DependantView]  # the files that answer for this one


@dataclass(frozen=True)
class FamilySnapshot(PatientSnapshot):
    """A file for the audit log, with its links ("dependant:#id Name")."""

    dependants: tuple[str, ...] = ()
    guardians: tuple[str, ...] = ()


async def family_of(*, clinic_id: int, patient_id: int) -> Family:
    return Family(
        dependants=await dependants.dependants_of(clinic_id=clinic_id, guardian_id=patient_id),
        guardians=await dependants.guardians_of(clinic_id=clinic_id, patient_id=patient_id),
    )


def pair(patient_id: int, other_id: int, role: Role) -> tuple[int, int]:
    """(guardian, dependant) for `other_id` taking `role` towards `patient_id`."""
    return (patient_id, other_id) if role is Role.DEPENDANT else (other_id, patient_id)


async def change(
    *,
    clinic_id: int,
    patient_id: int,
    other_id: int,
    role: Role,
    linked: bool,
    actor: Actor,
    bus: EventBus,
) -> Refused | None:
    """Link (linked=True) or unlink the two files; None when done, else why not (and
    nothing changed)."""
    if other_id == patient_id:
        return Refused.ITSELF
    guardian_id, dependant_id = pair(patient_id, other_id, role)
    async with write_transaction():
        files = (Patient.clinic == clinic_id) & Patient.id.is_in([patient_id, other_id])
        if linked:  # a link lingering on a merged file may still be undone
            files &= Patient.status == ACTIVE
        if await Patient.count().where(files) != 2:
            return Refused.NOT_FOUND
        before = {pid: await _snapshot(clinic_id, pid) for pid in (patient_id, other_id)}
        if linked:
            done = await dependants.link(
                clinic_id=clinic_id,
                guardian_id=guardian_id,
                dependant_id=dependant_id,
                by=actor.label or actor.kind.value,
            )
        else:
            done = await dependants.unlink(
                clinic_id=clinic_id, guardian_id=guardian_id, dependant_id=dependant_id
            )
        if not done:
            return Refused.ALREADY if linked else Refused.NOT_LINKED
        for pid in (patient_id, other_id):
            await bus.emit(
                PatientChanged(
                    clinic_id,
                    pid,
                    actor,
                    PatientChange.DEPENDANTS,
                    before[pid],
                    await _snapshot(clinic_id, pid),
                )
            )
    return None


async def _snapshot(clinic_id: int, patient_id: int) -> FamilySnapshot:
    base = await file_snapshot(clinic_id, patient_id)
    family = await family_of(clinic_id=clinic_id, patient_id=patient_id)

    def said(views: list[DependantView]) -> tuple[str, ...]:
        return tuple(f"#{v.patient_id} {v.first_name} {v.last_name}" for v in views)

    return FamilySnapshot(
        **{f.name: getattr(base, f.name) for f in fields(base)},
        dependants=said(family.dependants),
        guardians=said(family.guardians),
    )
