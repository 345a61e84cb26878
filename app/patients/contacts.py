"""A file's contact details, and who receives each message about an appointment.

Who receives what (SPEC §5):
- the booking confirmation goes to the contacts typed on the form, kept on the
  appointment (contact_email, contact_phone); an appointment booked by staff has
  none, and its confirmation goes to the file's contacts as reminders do;
- reminders go to the file's main contact (position 1). Each channel takes the first
  contact of its kind in the file's order: the first email, and the first cell phone
  (text messages cannot reach a home phone). So the main contact always gets the
  reminder on its own channel, and a clinic sending both emails and texts also
  reaches the patient's other kind of contact;
- an appointment without a patient file (unidentified patient) only has the contacts
  typed on the form, so its reminders go there too."""

from __future__ import annotations

from dataclasses import dataclass

from app.booking.tables import Appointment
from app.db import write_transaction
from app.patients.forms import IdentityForm
from app.patients.tables import ContactDetail, Patient

PURPOSES = ("confirmation", "reminder")


@dataclass(frozen=True)
class Recipients:
    email: str | None
    phone: str | None  # E.164, able to receive text messages


async def add_missing_contacts(*, clinic_id: int, patient_id: int, form: IdentityForm) -> list[str]:
    """Append the form's contacts the file lacks, after the existing ones (the cell
    phone before the email, as on the form). Returns the values added."""
    typed = [("cell", form.cell_phone), ("email", form.email)]
    added: list[str] = []
    async with write_transaction():
        if not await Patient.exists().where((Patient.id == patient_id) & (Patient.clinic == clinic_id)):
            return added
        existing = await ContactDetail.select(ContactDetail.value, ContactDetail.position).where(
            (ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id)
        )
        # Emails on file may predate normalisation; a phone number never differs by case.
        known = {row["value"].lower() for row in existing}
        position = max((row["position"] for row in existing), default=0)
        for kind, value in typed:
            if not value or value.lower() in known:
                continue
            position += 1
            # A double submission racing this one may insert the same value first:
            # the unique index on (patient, value) keeps one.
            inserted = await ContactDetail.insert(
                ContactDetail(clinic=clinic_id, patient=patient_id, kind=kind, value=value, position=position)
            ).on_conflict(action="DO NOTHING").returning(ContactDetail.id)
            if inserted:
                known.add(value.lower())
                added.append(value)
    return added


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
        Appointment.id, Appointment.patient, Appointment.contact_email, Appointment.contact_phone
    ).where(Appointment.id.is_in(list(appointment_ids)) & (Appointment.clinic == clinic_id))
    from_file: dict[int, int] = {}  # appointment → patient whose file's contacts serve
    for appointment in appointments:
        typed = Recipients(email=appointment["contact_email"], phone=appointment["contact_phone"])
        if appointment["patient"] is None or (purpose == "confirmation" and (typed.email or typed.phone)):
            found[appointment["id"]] = typed  # an appointment booked by staff has no typed contacts: the file's serve
        else:
            from_file[appointment["id"]] = appointment["patient"]
    if not from_file:
        return found
    on_file: dict[int, list[dict]] = {}
    for contact in await ContactDetail.select(ContactDetail.patient, ContactDetail.kind, ContactDetail.value).where(
        (ContactDetail.clinic == clinic_id) & ContactDetail.patient.is_in(list(set(from_file.values())))
    ).order_by(ContactDetail.position, ContactDetail.id):
        on_file.setdefault(contact["patient"], []).append(contact)
    for appointment_id, patient_id in from_file.items():
        contacts = on_file.get(patient_id, [])
        found[appointment_id] = Recipients(
            email=next((c["value"] for c in contacts if c["kind"] == "email"), None),
            phone=next((c["value"] for c in contacts if c["kind"] == "cell"), None),
        )
    return found
