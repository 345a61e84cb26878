"""A file's contact details, and who receives each message about an appointment.

A contact typed on the portal that the file lacks joins it pending: typing a name, a date
of birth and a health insurance number proves little, so a pending contact receives
nothing about the file's appointments until it is verified (by a one-time code sent to a
contact the file already vouches for, or by staff). Who receives what (SPEC §5):
- the booking confirmation goes to the contacts typed on the form, kept on the
  appointment (contact_email, contact_phone); an appointment booked by staff has
  none, and its confirmation goes to the file's contacts as reminders do. Sent to a
  contact typed on the portal that the file does not vouch for, it is brief: the date,
  time and place only (no details link, no practitioner);
- reminders and every later message go to the file's verified contacts, the main
  contact being the first of them (position order). Each channel takes the first
  verified contact of its kind: the first email, and the first cell phone (text messages
  cannot reach a home phone). So the main contact always gets the reminder on its own
  channel, and a clinic sending both emails and texts also reaches the other kind;
- an appointment without a patient file (unidentified patient) only has the contacts
  typed on the form, so everything goes there, in full."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.booking.tables import Appointment
from app.db import write_transaction
from app.patients.forms import IdentityForm
from app.patients.tables import ContactDetail, Patient

PURPOSES = ("confirmation", "reminder")
REACHABLE = ("email", "cell")  # kinds a message can be sent to
# Pending contacts a file keeps for staff to review; beyond, typed ones are not added, so
# someone who can identify as a patient cannot bury the file's contacts under their own.
MAX_PENDING = 4


@dataclass(frozen=True)
class Recipients:
    email: str | None
    phone: str | None  # E.164, able to receive text messages
    # Of the addresses above, those typed on the portal that the file does not vouch for:
    # the confirmation sent there is brief (SPEC §5).
    brief: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Contact:
    kind: str  # email | cell | home
    value: str


def typed_contacts(form: IdentityForm) -> list[Contact]:
    """The form's contacts, the cell phone before the email as on the form."""
    return [Contact(kind, value) for kind, value in (("cell", form.cell_phone), ("email", form.email)) if value]


async def add_missing_contacts(*, clinic_id: int, patient_id: int, form: IdentityForm) -> list[str]:
    """Append the form's contacts the file lacks, pending, after the existing ones (up to
    MAX_PENDING pending). Returns the values added."""
    added: list[str] = []
    async with write_transaction():
        if not await Patient.exists().where((Patient.id == patient_id) & (Patient.clinic == clinic_id)):
            return added
        existing = await ContactDetail.select(
            ContactDetail.value, ContactDetail.position, ContactDetail.verified
        ).where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
        # Emails on file may predate normalisation; a phone number never differs by case.
        known = {row["value"].lower() for row in existing}
        position = max((row["position"] for row in existing), default=0)
        pending = sum(not row["verified"] for row in existing)
        for contact in typed_contacts(form):
            if contact.value.lower() in known or pending >= MAX_PENDING:
                continue
            position += 1
            # A double submission racing this one may insert the same value first:
            # the unique index on (patient, value) keeps one.
            inserted = await ContactDetail.insert(
                ContactDetail(
                    clinic=clinic_id, patient=patient_id, kind=contact.kind, value=contact.value,
                    position=position, verified=False,
                )
            ).on_conflict(action="DO NOTHING").returning(ContactDetail.id)
            if inserted:
                known.add(contact.value.lower())
                added.append(contact.value)
                pending += 1
    return added


async def pending_among(*, clinic_id: int, patient_id: int, values: list[str]) -> list[Contact]:
    """Which of these values are contacts of the file still waiting to be verified."""
    if not values:
        return []
    rows = await ContactDetail.select(ContactDetail.kind, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id)
        & (ContactDetail.patient == patient_id)
        & (ContactDetail.verified == False)  # noqa: E712 - a Piccolo condition
        & ContactDetail.value.is_in(values)
    ).order_by(ContactDetail.position)
    return [Contact(row["kind"], row["value"]) for row in rows]


async def verifier(*, clinic_id: int, patient_id: int) -> Contact | None:
    """Where a code proving the patient's hold on the file goes: its main verified contact
    that can receive one, or None (then only staff can verify new contacts)."""
    row = await ContactDetail.select(ContactDetail.kind, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id)
        & (ContactDetail.patient == patient_id)
        & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition
        & ContactDetail.kind.is_in(list(REACHABLE))
    ).order_by(ContactDetail.position).first()
    return Contact(row["kind"], row["value"]) if row else None


async def verify(*, clinic_id: int, patient_id: int, values: list[str]) -> int:
    """The file now vouches for these pending contacts; returns how many changed."""
    if not values:
        return 0
    async with write_transaction():
        changed = await ContactDetail.update({ContactDetail.verified: True}).where(
            (ContactDetail.clinic == clinic_id)
            & (ContactDetail.patient == patient_id)
            & (ContactDetail.verified == False)  # noqa: E712 - a Piccolo condition
            & ContactDetail.value.is_in(values)
        ).returning(ContactDetail.id)
    return len(changed)


def masked(contact: Contact) -> str:
    """Enough of a contact for its owner to recognise it, not for a stranger to learn it."""
    if contact.kind == "email":
        name, _, domain = contact.value.partition("@")
        return f"{name[:1]}•••@{domain}"
    return f"•••{contact.value[-2:]}"


async def recipients(*, clinic_id: int, appointment_id: int, purpose: str) -> Recipients:
    """Who gets a message about this appointment; nobody for another clinic's appointment."""
    found = await recipients_of(clinic_id=clinic_id, appointment_ids=[appointment_id], purpose=purpose)
    return found[appointment_id]


async def recipients_of(*, clinic_id: int, appointment_ids: list[int], purpose: str) -> dict[int, Recipients]:
    """recipients() for several appointments in two queries (the outbox sends in batches)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}, not {purpose!r}")
    found = {appointment_id: Recipients(email=None, phone=None) for appointment_id in appointment_ids}
    appointments = await Appointment.select(
        Appointment.id, Appointment.patient, Appointment.contact_email, Appointment.contact_phone,
        Appointment.source,
    ).where(Appointment.id.is_in(list(appointment_ids)) & (Appointment.clinic == clinic_id))
    files = list({row["patient"] for row in appointments if row["patient"] is not None})
    vouched: dict[int, list[dict]] = {}  # patient → verified contacts, in the file's order
    if files:
        for contact in await ContactDetail.select(
            ContactDetail.patient, ContactDetail.kind, ContactDetail.value
        ).where(
            (ContactDetail.clinic == clinic_id)
            & ContactDetail.patient.is_in(files)
            & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition
        ).order_by(ContactDetail.position, ContactDetail.id):
            vouched.setdefault(contact["patient"], []).append(contact)
    for appointment in appointments:
        typed = [appointment["contact_email"], appointment["contact_phone"]]
        if appointment["patient"] is None:
            found[appointment["id"]] = Recipients(*typed)
            continue
        contacts = vouched.get(appointment["patient"], [])
        if purpose == "confirmation" and any(typed):
            # Staff typed these themselves; a patient on the portal may have typed anything.
            on_file = {c["value"].lower() for c in contacts}
            brief = {a for a in typed if a and appointment["source"] == "online" and a.lower() not in on_file}
            found[appointment["id"]] = Recipients(*typed, brief=frozenset(brief))
        else:  # an appointment booked by staff has no typed contacts: the file's serve
            found[appointment["id"]] = Recipients(
                email=next((c["value"] for c in contacts if c["kind"] == "email"), None),
                phone=next((c["value"] for c in contacts if c["kind"] == "cell"), None),
            )
    return found
