"""Identification (portal step A): which patient file, if any, a form designates.

Nothing a client can observe depends on whether a file exists. "No file" and "a file but
wrong details" give the same answer after the same queries (the contacts of the
candidate files are read even when there is none), and every limit below counts failed
attempts whatever files there are, so being refused says nothing about anyone's file.

The limits aim at someone guessing one person's details, not at new patients:
- per identity, from any address: the last name (folded) with the date of birth, which
  both matching rules require, and the health insurance number typed;
- per address, failures for an identity that already failed from there (guessing) are
  few, while distinct identities failing once each (new patients in a waiting room, a
  family behind one router) may be many.
Failed attempts are rows (so the limits hold across processes, on both databases), keyed
by digests. An attempt is recorded and committed before the counts are read, so in a
burst of parallel requests the later ones see the earlier ones; a success, or a refusal
(which is not judged), removes its record. Old rows are purged by app.retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from piccolo.query.functions.aggregate import Count

from app import clock
from app.client_address import limit_key
from app.db import write_transaction
from app.patients.forms import IdentityForm
from app.patients.matching import FileIdentity, match
from app.patients.normalise import digest, fold_name
from app.patients.tables import ContactDetail, IdentificationAttempt, Patient


@dataclass(frozen=True)
class Limit:
    failures: int  # allowed within the window; the next attempt is refused
    window: timedelta


PER_IDENTITY = Limit(10, timedelta(hours=1))
ADDRESS_WINDOW = timedelta(minutes=10)  # both per-address limits, read in one query
PER_ADDRESS_REPEATS = Limit(10, ADDRESS_WINDOW)
PER_ADDRESS_IDENTITIES = Limit(100, ADDRESS_WINDOW)
KEPT_FOR = max(PER_IDENTITY.window, ADDRESS_WINDOW)


@dataclass(frozen=True)
class Identification:
    status: str  # identified | unidentified | rate_limited
    patient_id: int | None = None


def identity_key(form: IdentityForm) -> str:
    """Who a form says it is, as limits count people: what every matching rule requires."""
    return digest("identity", fold_name(form.last_name), form.date_of_birth.isoformat())


async def identify(*, clinic_id: int, form: IdentityForm, client_key: str) -> Identification:
    """`client_key` is the request's address (app.client_address.client_address)."""
    now = clock.now()
    keys = {
        IdentificationAttempt.client_key: limit_key(client_key),
        IdentificationAttempt.identity_key: identity_key(form),
        IdentificationAttempt.hin_key: digest("hin", form.health_insurance_number)
        if form.health_insurance_number
        else None,
    }
    attempt = await _record(clinic_id, keys, now)
    if await _too_many(clinic_id, keys, now):
        await _forget(clinic_id, attempt)  # a refused attempt is not judged, so it is not a failure
        return Identification("rate_limited")
    patient_id = match(form, await _candidates(clinic_id, form))
    if patient_id is None:
        return Identification("unidentified")
    await _forget(clinic_id, attempt)
    return Identification("identified", patient_id)


async def count_attempt(*, clinic_id: int, client_key: str, identity_key: str) -> int | None:
    """Another way of saying who one is (a contact and a date of birth, for "My
    appointments") counted under the same limits: the attempt's id, a failure until the
    caller forgets it (succeeded), or None when the limits refuse it."""
    keys = {
        IdentificationAttempt.client_key: limit_key(client_key),
        IdentificationAttempt.identity_key: identity_key,
        IdentificationAttempt.hin_key: None,
    }
    now = clock.now()
    attempt = await _record(clinic_id, keys, now)
    if await _too_many(clinic_id, keys, now):
        await _forget(clinic_id, attempt)
        return None
    return attempt


async def forget_attempt(*, clinic_id: int, attempt_id: int) -> None:
    """An attempt that succeeded is no failure."""
    await _forget(clinic_id, attempt_id)


async def purge(*, now: datetime) -> int:
    """Forget attempts too old for any limit to count; returns how many."""
    async with write_transaction():
        gone = (
            await IdentificationAttempt.delete()
            .where(IdentificationAttempt.attempted_at < now - KEPT_FOR)
            .returning(IdentificationAttempt.id)
        )
    return len(gone)


def _candidate_files(patient, form: IdentityForm):
    """Files that could be this form's, narrowed by what compares exactly in SQL (the
    date of birth, with the sex or the number); names, which compare without accents,
    are judged in Python. `patient` is Patient, or a foreign key to it."""
    same = patient.sex == form.sex
    if form.health_insurance_number:
        same |= patient.health_insurance_number == form.health_insurance_number
    return (patient.date_of_birth == form.date_of_birth) & (patient.status == "active") & same


async def _candidates(clinic_id: int, form: IdentityForm) -> list[FileIdentity]:
    rows = await Patient.select(
        Patient.id,
        Patient.first_name,
        Patient.last_name,
        Patient.date_of_birth,
        Patient.sex,
        Patient.health_insurance_number,
    ).where((Patient.clinic == clinic_id) & _candidate_files(Patient, form))
    # Always read, even without a candidate: the work must not tell "no file" from "wrong details".
    # Only contacts the file vouches for identify: a contact typed on the portal does not.
    contacts: dict[int, set[str]] = {row["id"]: set() for row in rows}
    for contact in await ContactDetail.select(ContactDetail.patient, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id)
        & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition, not a comparison
        & _candidate_files(ContactDetail.patient, form)
    ):
        contacts.setdefault(contact["patient"], set()).add(contact["value"])
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
    async with write_transaction():
        row = await IdentificationAttempt.insert(
            IdentificationAttempt(
                clinic=clinic_id,
                attempted_at=now,
                **{column._meta.name: value for column, value in keys.items()},
            )
        ).returning(IdentificationAttempt.id)
    return row[0]["id"]


async def _too_many(clinic_id: int, keys: dict, now: datetime) -> bool:
    def since(window: timedelta):
        return (IdentificationAttempt.clinic == clinic_id) & (
            IdentificationAttempt.attempted_at > now - window
        )

    for column in (IdentificationAttempt.identity_key, IdentificationAttempt.hin_key):
        if keys[column] is None:
            continue
        failures = await IdentificationAttempt.count().where(
            since(PER_IDENTITY.window) & (column == keys[column])
        )
        if failures > PER_IDENTITY.failures:
            return True
    here = (
        await IdentificationAttempt.select(
            Count(alias="attempts"),
            Count(distinct=[IdentificationAttempt.identity_key], alias="identities"),
        )
        .where(
            since(ADDRESS_WINDOW)
            & (IdentificationAttempt.client_key == keys[IdentificationAttempt.client_key])
        )
        .first()
    )
    repeats = (
        here["attempts"] - here["identities"]
    )  # failures again for an identity already failed here
    return (
        repeats > PER_ADDRESS_REPEATS.failures
        or here["identities"] > PER_ADDRESS_IDENTITIES.failures
    )


async def _forget(clinic_id: int, attempt_id: int) -> None:
    async with write_transaction():
        await IdentificationAttempt.delete().where(
            (IdentificationAttempt.id == attempt_id) & (IdentificationAttempt.clinic == clinic_id)
        )
