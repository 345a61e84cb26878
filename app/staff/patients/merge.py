"""Two files for one person: the warning (another active file of the clinic with the same
health insurance number, or the same folded names and date of birth) and the merge of the
other file into the one kept. The merge moves the appointments (their messages belong to
the appointments, so they follow), the booking sessions and the contacts the kept file
lacks (after its own, in their order), then marks the other file "merged": it leaves the
search, the warnings and the portal's identification (which reads active files only) but
keeps its id for the audit trail. PatientChanged(MERGED) is emitted on the kept file, with
its contacts before and after, inside the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.booking.tables import Appointment, BookingSession
from app.db import write_transaction
from app.events import Actor, EventBus
from app.patients.events import PatientChange, PatientChanged
from app.patients.snapshot import file_snapshot
from app.patients.tables import ContactDetail, Patient

ACTIVE = "active"
MERGED = "merged"


@dataclass(frozen=True)
class Duplicate:
    id: int
    first_name: str
    last_name: str
    date_of_birth: date
    health_insurance_number: str | None
    same_hin: bool  # else the same names and date of birth


async def duplicates_of(*, clinic_id: int, patient_id: int) -> list[Duplicate]:
    rows = await Patient.select().where((Patient.clinic == clinic_id) & (Patient.id == patient_id))
    if not rows:
        return []
    me = rows[0]
    same_identity = (
        (Patient.folded_last == me["folded_last"])
        & (Patient.folded_first == me["folded_first"])
        & (Patient.date_of_birth == me["date_of_birth"])
    )
    condition = same_identity
    if me["health_insurance_number"]:
        condition = same_identity | (
            Patient.health_insurance_number == me["health_insurance_number"]
        )
    others = await (
        Patient.select()
        .where(
            (Patient.clinic == clinic_id)
            & (Patient.id != patient_id)
            & (Patient.status == ACTIVE)
            & condition
        )
        .order_by(Patient.id)
    )
    return [
        Duplicate(
            id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            date_of_birth=row["date_of_birth"],
            health_insurance_number=row["health_insurance_number"],
            same_hin=bool(me["health_insurance_number"])
            and row["health_insurance_number"] == me["health_insurance_number"],
        )
        for row in others
    ]


async def merge(
    *, clinic_id: int, kept_id: int, other_id: int, actor: Actor, bus: EventBus
) -> bool:
    """Merge `other_id` into `kept_id`. False (nothing done) unless both are active files
    of this clinic and the other is a duplicate of the kept one."""
    if kept_id == other_id:
        return False
    async with write_transaction():
        candidates = {d.id for d in await duplicates_of(clinic_id=clinic_id, patient_id=kept_id)}
        kept_active = await Patient.exists().where(
            (Patient.clinic == clinic_id) & (Patient.id == kept_id) & (Patient.status == ACTIVE)
        )
        if other_id not in candidates or not kept_active:
            return False
        before = await file_snapshot(clinic_id, kept_id)
        await Appointment.update({Appointment.patient: kept_id}).where(
            (Appointment.clinic == clinic_id) & (Appointment.patient == other_id)
        )
        await BookingSession.update({BookingSession.patient: kept_id}).where(
            (BookingSession.clinic == clinic_id) & (BookingSession.patient == other_id)
        )
        await _move_contacts(clinic_id, kept_id, other_id)
        await Patient.update({Patient.status: MERGED}).where(
            (Patient.clinic == clinic_id) & (Patient.id == other_id)
        )
        after = await file_snapshot(clinic_id, kept_id)
        await bus.emit(
            PatientChanged(clinic_id, kept_id, actor, PatientChange.MERGED, before, after)
        )
        return True


async def _move_contacts(clinic_id: int, kept_id: int, other_id: int) -> None:
    def of(patient_id: int):
        return (
            ContactDetail.select()
            .where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
            .order_by(ContactDetail.position, ContactDetail.id)
        )

    kept = await of(kept_id)
    known = {row["value"].lower(): row for row in kept}
    position = max((row["position"] for row in kept), default=0)
    for row in await of(other_id):
        same = known.get(row["value"].lower())
        if same is not None:
            # The same contact on both files: one row kept, vouched for if either was.
            if row["verified"] and not same["verified"]:
                await ContactDetail.update({ContactDetail.verified: True}).where(
                    ContactDetail.id == same["id"]
                )
            await ContactDetail.delete().where(ContactDetail.id == row["id"])
            continue
        position += 1
        await ContactDetail.update(
            {ContactDetail.patient: kept_id, ContactDetail.position: position}
        ).where(ContactDetail.id == row["id"])
