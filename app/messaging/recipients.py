"""Who receives each message about an appointment (SPEC §5).

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
from enum import StrEnum

from app.booking.tables import Appointment, Source
from app.patients.tables import ContactDetail


class Purpose(StrEnum):
    CONFIRMATION = "confirmation"  # to the contacts typed when booking
    REMINDER = "reminder"  # and every later message: to the file's verified contacts


@dataclass(frozen=True)
class Recipients:
    email: str | None
    phone: str | None  # E.164, able to receive text messages
    # Of the addresses above, those typed on the portal that the file does not vouch for:
    # the confirmation sent there is brief (SPEC §5).
    brief: frozenset[str] = field(default_factory=frozenset)


async def recipients(*, clinic_id: int, appointment_id: int, purpose: Purpose) -> Recipients:
    """Who gets a message about this appointment; nobody for another clinic's appointment."""
    found = await recipients_of(
        clinic_id=clinic_id, appointment_ids=[appointment_id], purpose=purpose
    )
    return found[appointment_id]


async def recipients_of(
    *, clinic_id: int, appointment_ids: list[int], purpose: Purpose
) -> dict[int, Recipients]:
    """recipients() for several appointments in two queries (the outbox sends in batches)."""
    purpose = Purpose(purpose)
    found = {
        appointment_id: Recipients(email=None, phone=None) for appointment_id in appointment_ids
    }
    appointments = await Appointment.select(
        Appointment.id,
        Appointment.patient,
        Appointment.contact_email,
        Appointment.contact_phone,
        Appointment.source,
    ).where(Appointment.id.is_in(list(appointment_ids)) & (Appointment.clinic == clinic_id))
    files = list({row["patient"] for row in appointments if row["patient"] is not None})
    vouched: dict[int, list[dict]] = {}  # patient → verified contacts, in the file's order
    if files:
        for contact in (
            await ContactDetail.select(
                ContactDetail.patient, ContactDetail.kind, ContactDetail.value
            )
            .where(
                (ContactDetail.clinic == clinic_id)
                & ContactDetail.patient.is_in(files)
                & (ContactDetail.verified == True)  # noqa: E712 - a Piccolo condition
            )
            .order_by(ContactDetail.position, ContactDetail.id)
        ):
            vouched.setdefault(contact["patient"], []).append(contact)
    for appointment in appointments:
        typed = [appointment["contact_email"], appointment["contact_phone"]]
        if appointment["patient"] is None:
            found[appointment["id"]] = Recipients(*typed)
            continue
        contacts = vouched.get(appointment["patient"], [])
        if purpose is Purpose.CONFIRMATION and any(typed):
            # Staff typed these themselves; a patient on the portal may have typed anything.
            on_file = {c["value"].lower() for c in contacts}
            brief = {
                a
                for a in typed
                if a and appointment["source"] == Source.ONLINE and a.lower() not in on_file
            }
            found[appointment["id"]] = Recipients(*typed, brief=frozenset(brief))
        else:  # an appointment booked by staff has no typed contacts: the file's serve
            found[appointment["id"]] = Recipients(
                email=next((c["value"] for c in contacts if c["kind"] == "email"), None),
                phone=next((c["value"] for c in contacts if c["kind"] == "cell"), None),
            )
    return found
