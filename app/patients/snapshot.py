"""A file as the audit log records it before and after a change: identity, numbers and
the contacts in order, a pending one marked so that staff confirming it leaves a trace."""

from __future__ import annotations

from app.patients.events import PatientSnapshot
from app.patients.tables import ContactDetail, Patient

PENDING_MARK = " (pending)"


async def file_snapshot(clinic_id: int, patient_id: int) -> PatientSnapshot | None:
    """None when the file is not this clinic's."""
    row = await (
        Patient.select().where((Patient.clinic == clinic_id) & (Patient.id == patient_id)).first()
    )
    if row is None:
        return None
    contacts = await (
        ContactDetail.select(ContactDetail.kind, ContactDetail.value, ContactDetail.verified)
        .where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
        .order_by(ContactDetail.position, ContactDetail.id)
    )
    return PatientSnapshot(
        first_name=row["first_name"],
        last_name=row["last_name"],
        birth_date=row["date_of_birth"],
        sex=row["sex"],
        hin=row["health_insurance_number"],
        file_number=row["file_number"],
        contacts=tuple(
            f"{c['kind']}:{c['value']}" + ("" if c["verified"] else PENDING_MARK) for c in contacts
        ),
    )
