"""Identification (portal step A): which patient file, if any, a form designates.

"No file" and "wrong details" give the same answer, so the portal reveals nothing about
who is a patient. Failed attempts are counted in a table (so the limit holds across
processes, on both databases) per client address and per identity: the name typed
and, when given, the health insurance number. An attempt is recorded before it is
judged, so a burst of parallel requests counts itself; a success removes its record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app import clock
from app.patients.forms import IdentityForm
from app.patients.matching import FileIdentity, match
from app.patients.normalise import digest, fold_name
from app.patients.tables import ContactDetail, IdentificationAttempt, Patient

MAX_FAILURES = 10
WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Identification:
    status: str  # identified | unidentified | rate_limited
    patient_id: int | None = None


async def identify(*, clinic_id: int, form: IdentityForm, client_key: str) -> Identification:
    now = clock.now()
    keys = {
        IdentificationAttempt.client_key: digest("client", client_key),
        IdentificationAttempt.identity_key: digest(
            "name", fold_name(form.first_name), fold_name(form.last_name)
        ),
    }
    if form.health_insurance_number:
        keys[IdentificationAttempt.hin_key] = digest("hin", form.health_insurance_number)
    attempt = await _record(clinic_id, keys, now)
    if await _too_many(clinic_id, keys, now):
        await _forget(attempt)  # a refused attempt is not judged, so it is not a failure
        return Identification("rate_limited")
    patient_id = match(form, await _candidates(clinic_id, form))
    if patient_id is None:
        return Identification("unidentified")
    await _forget(attempt)
    return Identification("identified", patient_id)


async def _candidates(clinic_id: int, form: IdentityForm) -> list[FileIdentity]:
    # Narrowed in SQL by what compares exactly (number, or date of birth and sex);
    # names, which compare without accents, are then judged in Python.
    same_details = (Patient.date_of_birth == form.date_of_birth) & (Patient.sex == form.sex)
    if form.health_insurance_number:
        same_details |= Patient.health_insurance_number == form.health_insurance_number
    rows = await Patient.select(
        Patient.id,
        Patient.first_name,
        Patient.last_name,
        Patient.date_of_birth,
        Patient.sex,
        Patient.health_insurance_number,
    ).where((Patient.clinic == clinic_id) & (Patient.status == "active") & same_details)
    if not rows:
        return []
    contacts: dict[int, set[str]] = {row["id"]: set() for row in rows}
    for contact in await ContactDetail.select(ContactDetail.patient, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id) & ContactDetail.patient.is_in(list(contacts))
    ):
        contacts[contact["patient"]].add(contact["value"])
    return [
        FileIdentity(
            patient_id=row["id"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            date_of_birth=row["date_of_birth"],
            sex=row["sex"],
            health_insurance_number=row["health_insurance_number"],
            contacts=frozenset(contacts[row["id"]]),
        )
        for row in rows
    ]


async def _record(clinic_id: int, keys: dict, now: datetime) -> int:
    await IdentificationAttempt.delete().where(
        (IdentificationAttempt.clinic == clinic_id) & (IdentificationAttempt.attempted_at < now - WINDOW)
    )
    row = await IdentificationAttempt.insert(
        IdentificationAttempt(
            clinic=clinic_id, attempted_at=now, **{column._meta.name: value for column, value in keys.items()}
        )
    ).returning(IdentificationAttempt.id)
    return row[0]["id"]


async def _too_many(clinic_id: int, keys: dict, now: datetime) -> bool:
    for column, value in keys.items():
        count = await IdentificationAttempt.count().where(
            (IdentificationAttempt.clinic == clinic_id)
            & (column == value)
            & (IdentificationAttempt.attempted_at > now - WINDOW)
        )
        if count > MAX_FAILURES:
            return True
    return False


async def _forget(attempt_id: int) -> None:
    await IdentificationAttempt.delete().where(IdentificationAttempt.id == attempt_id)
