"""Creating and editing a file at the front desk, with the portal's validation
(app.patients.forms: names, date of birth, sex, the clinic's health insurance number
format; a new file's cell phone in E.164 or its email), plus the file number and the
family doctor; each write emits PatientChanged (before and after) inside its transaction,
so the audit row is written with it or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from app.db import write_transaction
from app.events import Actor, EventBus
from app.i18n import gettext as _
from app.patients import normalise
from app.patients.events import PatientChange, PatientChanged
from app.patients.forms import IdentityForm
from app.patients.snapshot import file_snapshot
from app.patients.tables import Patient, name_columns
from app.scheduling.tables import Practitioner
from app.staff.appointments.patient_files import FIELDS as NEW_FILE_FIELDS
from app.staff.appointments.patient_files import create_file, parse_new_file

FILE_NUMBER_MAX = 32
IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "health_insurance_number")
EXTRA_FIELDS = ("file_number", "family_doctor")
CREATE_FIELDS = (*NEW_FILE_FIELDS, *EXTRA_FIELDS)
EDIT_FIELDS = (*IDENTITY_FIELDS, *EXTRA_FIELDS)


@dataclass(frozen=True)
class Extra:
    file_number: str | None
    family_doctor_id: int | None


async def family_doctors(clinic_id: int) -> list[tuple[int, str]]:
    """The clinic's practitioners who take patients as their family doctor."""
    rows = await (
        Practitioner.select(Practitioner.id, Practitioner.name)
        .where(
            (Practitioner.clinic == clinic_id)
            & (Practitioner.is_family_doctor == True)  # noqa: E712 - a column comparison
            & (Practitioner.active == True)  # noqa: E712
        )
        .order_by(Practitioner.name)
    )
    return [(row["id"], row["name"]) for row in rows]


def _extra(
    data: Mapping[str, str], doctors: list[tuple[int, str]], errors: dict[str, str]
) -> Extra:
    number = " ".join((data.get("file_number") or "").split()).upper() or None
    if number and len(number) > FILE_NUMBER_MAX:
        errors["file_number"] = _("Keep this under %(n)s characters.", n=FILE_NUMBER_MAX)
    doctor_id = None
    raw = (data.get("family_doctor") or "").strip()
    if raw:
        allowed = {str(i): i for i, _name in doctors}
        if raw not in allowed:
            errors["family_doctor"] = _("Choose a family doctor from the list.")
        else:
            doctor_id = allowed[raw]
    return Extra(number, doctor_id)


def parse_create(
    data: Mapping[str, str], *, country: str, hin_format: str, doctors: list[tuple[int, str]]
) -> tuple[IdentityForm | None, Extra, dict[str, str]]:
    form, errors = parse_new_file(data, country=country, hin_format=hin_format)
    extra = _extra(data, doctors, errors)
    return (None if errors else form), extra, errors


def parse_edit(
    data: Mapping[str, str], *, country: str, hin_format: str, doctors: list[tuple[int, str]]
) -> tuple[IdentityForm | None, Extra, dict[str, str]]:
    """The identity only: contacts are kept and ordered apart (reorder), so the portal's
    "a cell phone or an email" rule, said under cell_phone, does not apply here."""
    typed = {name: data.get(name, "") for name in IDENTITY_FIELDS}
    _form, errors = parse_new_file(typed, country=country, hin_format=hin_format)
    errors.pop("cell_phone", None)
    errors.pop("email", None)
    extra = _extra(data, doctors, errors)
    if errors:
        return None, extra, errors
    form = IdentityForm(
        first_name=normalise.clean_name(typed["first_name"]),
        last_name=normalise.clean_name(typed["last_name"]),
        date_of_birth=date.fromisoformat(typed["date_of_birth"].strip()),
        sex=typed["sex"].strip().upper(),
        health_insurance_number=normalise.hin(typed["health_insurance_number"]) or None,
        cell_phone=None,
        email=None,
    )
    return form, extra, {}


async def create(
    *, clinic_id: int, form: IdentityForm, extra: Extra, actor: Actor, bus: EventBus
) -> int:
    async with write_transaction():
        return await create_file(
            clinic_id=clinic_id,
            form=form,
            actor=actor,
            bus=bus,
            file_number=extra.file_number,
            family_doctor_id=extra.family_doctor_id,
        )


async def update(
    *,
    clinic_id: int,
    patient_id: int,
    form: IdentityForm,
    extra: Extra,
    actor: Actor,
    bus: EventBus,
) -> bool:
    """False when the file is not this clinic's (or no longer exists)."""
    async with write_transaction():
        before = await file_snapshot(clinic_id, patient_id)
        if before is None:
            return False
        await Patient.update(
            {
                **name_columns(form.first_name, form.last_name),
                Patient.date_of_birth: form.date_of_birth,
                Patient.sex: form.sex,
                Patient.health_insurance_number: form.health_insurance_number,
                Patient.file_number: extra.file_number,
                Patient.family_doctor: extra.family_doctor_id,
            }
        ).where((Patient.clinic == clinic_id) & (Patient.id == patient_id))
        after = await file_snapshot(clinic_id, patient_id)
        if after != before:
            await bus.emit(
                PatientChanged(clinic_id, patient_id, actor, PatientChange.UPDATED, before, after)
            )
        return True
