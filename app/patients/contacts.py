"""A file's contact details: ordered (position 1 is the main contact), and trusted or not.

A contact typed on the portal that the file lacks joins it pending: typing a name, a date
of birth and a health insurance number proves little, so a pending contact receives
nothing about the file's appointments until it is verified (by a one-time code sent to a
contact the file already vouches for, or by staff). Who receives which message is
decided in app.messaging.recipients."""

from __future__ import annotations

from dataclasses import dataclass

from app.db import write_transaction
from app.patients.forms import IdentityForm
from app.patients.tables import ContactDetail, Patient

REACHABLE = ("email", "cell")  # kinds a message can be sent to
# Pending contacts a file keeps for staff to review; beyond, typed ones are not added, so
# someone who can identify as a patient cannot bury the file's contacts under their own.
MAX_PENDING = 4


@dataclass(frozen=True)
class Contact:
    kind: str  # email | cell | home
    value: str


def typed_contacts(form: IdentityForm) -> list[Contact]:
    """The form's contacts, the cell phone before the email as on the form."""
    return [
        Contact(kind, value)
        for kind, value in (("cell", form.cell_phone), ("email", form.email))
        if value
    ]


async def add_missing_contacts(*, clinic_id: int, patient_id: int, form: IdentityForm) -> list[str]:
    """Append the form's contacts the file lacks, pending, after the existing ones (up to
    MAX_PENDING pending). Returns the values added."""
    async with write_transaction():
        if not await Patient.exists().where(
            (Patient.id == patient_id) & (Patient.clinic == clinic_id)
        ):
            return []
        return await append_pending(
            clinic_id=clinic_id, patient_id=patient_id, contacts=typed_contacts(form)
        )


async def append_pending(*, clinic_id: int, patient_id: int, contacts: list[Contact]) -> list[str]:
    """Inside the caller's write transaction, on a file of this clinic: the contacts the
    file lacks (emails without case) join it pending, after the existing ones, up to
    MAX_PENDING pending. Returns the values added."""
    added: list[str] = []
    existing = await ContactDetail.select(
        ContactDetail.value, ContactDetail.position, ContactDetail.verified
    ).where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
    # Emails on file may predate normalisation; a phone number never differs by case.
    known = {row["value"].lower() for row in existing}
    position = max((row["position"] for row in existing), default=0)
    pending = sum(not row["verified"] for row in existing)
    for contact in contacts:
        if contact.value.lower() in known or pending >= MAX_PENDING:
            continue
        position += 1
        # A double submission racing this one may insert the same value first:
        # the unique index on (patient, value) keeps one.
        inserted = (
            await ContactDetail.insert(
                ContactDetail(
                    clinic=clinic_id,
                    patient=patient_id,
                    kind=contact.kind,
                    value=contact.value,
                    position=position,
                    verified=False,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(ContactDetail.id)
        )
        if inserted:
            known.add(contact.value.lower())
            added.append(contact.value)
            pending += 1
    return added


async def pending_among(*, clinic_id: int, patient_id: int, values: list[str]) -> list[Contact]:
    """Which of these values are contacts of the file still waiting to be verified."""
    if not values:
        return []
    rows = (
        await ContactDetail.select(ContactDetail.kind, ContactDetail.value)
        .where(
            (ContactDetail.clinic == clinic_id)
            & (ContactDetail.patient == patient_id)
            & (ContactDetail.verified == False)  # noqa: E712 - a Piccolo condition
            & ContactDetail.value.is_in(values)
        )
        .order_by(ContactDetail.position)
    )
    return [Contact(row["kind"], row["value"]) for row in rows]


async def verifier(*, clinic_id: int, patient_id: int) -> Contact | None:
    """Where a code proving the patient's hold on the file goes: its main verified contact
    that can receive one, or None (then only staff can verify new contacts)."""
    row = (
        await ContactDetail.select(ContactDetail.kind, ContactDetail.value)
        .where(
            (ContactDetail.clinic == clinic_id)
            & (ContactDetail.patient == patient_id)
            & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition
            & ContactDetail.kind.is_in(list(REACHABLE))
        )
        .order_by(ContactDetail.position)
        .first()
    )
    return Contact(row["kind"], row["value"]) if row else None


async def verify(*, clinic_id: int, patient_id: int, values: list[str]) -> int:
    """The file now vouches for these pending contacts; returns how many changed."""
    if not values:
        return 0
    async with write_transaction():
        changed = (
            await ContactDetail.update({ContactDetail.verified: True})
            .where(
                (ContactDetail.clinic == clinic_id)
                & (ContactDetail.patient == patient_id)
                & (ContactDetail.verified == False)  # noqa: E712 - a Piccolo condition
                & ContactDetail.value.is_in(values)
            )
            .returning(ContactDetail.id)
        )
    return len(changed)


def masked(contact: Contact) -> str:
    """Enough of a contact for its owner to recognise it, not for a stranger to learn it."""
    if contact.kind == "email":
        name, _, domain = contact.value.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"•••{contact.value[-2:]}"
