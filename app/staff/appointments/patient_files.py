"""A patient file created at the front desk, inline while booking: the portal's identity
rules (app.patients.forms: names, date of birth, sex, the clinic's health insurance
number format, a cell phone in E.164 or an email), then the file and its contacts in the
caller's write transaction, with PatientChanged(CREATED) emitted there for the audit log."""

from __future__ import annotations

from typing import Mapping

from app import clock
from app.events import Actor, EventBus
from app.patients.contacts import typed_contacts
from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
from app.patients.forms import IdentityForm, parse_identity
from app.patients.tables import ContactDetail, Patient

FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "health_insurance_number",
    "cell_phone",
    "email",
)


def parse_new_file(
    data: Mapping[str, str], *, country: str, hin_format: str
) -> tuple[IdentityForm | None, dict[str, str]]:
    """The portal's validation; staff accept no terms on the patient's behalf, so that
    check is left out."""
    typed = {name: data.get(name, "") for name in FIELDS}
    return parse_identity({**typed, "accept_terms": "on"}, country=country, hin_format=hin_format)


async def create_file(*, clinic_id: int, form: IdentityForm, actor: Actor, bus: EventBus) -> int:
    """Call inside a write transaction. Contacts typed by staff are vouched for (the
    patient gave them to the clinic), in the form's order: the cell phone is the main one."""
    created = await Patient.insert(
        Patient(
            clinic=clinic_id,
            first_name=form.first_name,
            last_name=form.last_name,
            date_of_birth=form.date_of_birth,
            sex=form.sex,
            health_insurance_number=form.health_insurance_number,
            created_at=clock.now(),
        )
    ).returning(Patient.id)
    patient_id = created[0]["id"]
    contacts = typed_contacts(form)
    if contacts:
        await ContactDetail.insert(
            *[
                ContactDetail(
                    clinic=clinic_id,
                    patient=patient_id,
                    kind=contact.kind,
                    value=contact.value,
                    position=position,
                    verified=True,
                )
                for position, contact in enumerate(contacts, start=1)
            ]
        )
    await bus.emit(
        PatientChanged(
            clinic_id=clinic_id,
            patient_id=patient_id,
            actor=actor,
            kind=PatientChange.CREATED,
            before=None,
            after=PatientSnapshot(
                first_name=form.first_name,
                last_name=form.last_name,
                birth_date=form.date_of_birth,
                sex=form.sex,
                hin=form.health_insurance_number,
                file_number=None,
                contacts=tuple(f"{c.kind}:{c.value}" for c in contacts),
            ),
        )
    )
    return patient_id
