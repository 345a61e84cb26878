"""Attaching an unidentified patient's appointment to a file, or to a file created from
what they typed, in one write transaction with its audit rows: AppointmentChanged
(ATTACHED) through the booking engine, PatientChanged (CONTACTS or CREATED) here.

The typed contacts join an existing file after its own, pending (not verified): the
patient typed them, and anyone can type a name and a date of birth; a pending contact
gets no message about the file's appointments until staff verify it on the file or the
patient proves it with a code (app.patients.contacts). A file created here from the
typed identity vouches for them instead, as any file staff create does: it holds only
what that person typed, so there is nobody else's data to protect, and the portal
identifies the patient by those contacts next time (app.patients.matching)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.booking.services import BookingService, OutcomeCode
from app.booking.tables import Appointment, AppointmentStatus
from app.db import write_transaction
from app.events import Actor, EventBus
from app.patients.contacts import Contact, append_pending
from app.patients.events import PatientChange, PatientChanged
from app.patients.forms import IdentityForm
from app.patients.snapshot import file_snapshot
from app.patients.tables import Patient
from app.staff.appointments.patient_files import create_file
from app.staff.reconcile.queries import typed_identity


class Done(StrEnum):
    ATTACHED = "attached"
    CREATED = "created"
    ALREADY_ATTACHED = "already_attached"
    CANCELLED = "cancelled"  # cancelled meanwhile
    NOT_FOUND = "not_found"  # no such appointment, or no such file, in this clinic


@dataclass(frozen=True)
class Result:
    done: Done
    patient_id: int | None = None
    contacts_added: tuple[str, ...] = ()


class _Undo(Exception):
    def __init__(self, done: Done) -> None:
        self.done = done


_STALE = {
    OutcomeCode.ALREADY_ATTACHED: Done.ALREADY_ATTACHED,
    OutcomeCode.ALREADY_CANCELLED: Done.CANCELLED,
    OutcomeCode.NOT_FOUND: Done.NOT_FOUND,
}


async def stale(clinic_id: int, appointment_id: int) -> Done | None:
    """Why this appointment no longer waits (attached, cancelled), or None if it does.
    Said before validating anything, so a stale page gets the reason that matters."""
    row = (
        await Appointment.select(Appointment.patient, Appointment.status)
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )
    if row is None:
        return Done.NOT_FOUND
    if row["status"] == AppointmentStatus.CANCELLED:
        return Done.CANCELLED
    return Done.ALREADY_ATTACHED if row["patient"] is not None else None


async def provisional_of(clinic_id: int, appointment_id: int) -> dict | None:
    """The appointment's typed identity and contacts; None if not this clinic's."""
    row = (
        await Appointment.select(
            Appointment.provisional, Appointment.contact_email, Appointment.contact_phone
        )
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )
    if row is None:
        return None
    # As typed (for a new file, validated again); the contacts in their normal forms.
    identity = typed_identity(row["provisional"])
    email, phone = row["contact_email"], row["contact_phone"]
    own = identity.get("own_contacts")
    if "booked_by" in identity:
        # Someone else booked: the appointment's contacts are theirs, not for the file.
        own = own if isinstance(own, dict) else {}
        email, phone = own.get("email"), own.get("cell_phone")
    return {**identity, "normalised_email": email, "normalised_phone": phone}


async def attach(
    *, clinic_id: int, appointment_id: int, patient_id: int, actor: Actor, bus: EventBus
) -> Result:
    """The appointment (and so its messages, which point at it) now belongs to the file;
    the typed contacts the file lacks follow its own, pending."""
    identity = await provisional_of(clinic_id, appointment_id)
    if identity is None:
        return Result(Done.NOT_FOUND)
    try:
        async with write_transaction():
            if not await Patient.exists().where(
                (Patient.id == patient_id)
                & (Patient.clinic == clinic_id)
                & (Patient.status == "active")
            ):
                raise _Undo(Done.NOT_FOUND)
            outcome = await BookingService(clinic_id=clinic_id, bus=bus).attach(
                appointment_id=appointment_id, patient_id=patient_id, actor=actor
            )
            if not outcome.ok:
                raise _Undo(_STALE.get(outcome.code, Done.NOT_FOUND))
            added = await _append_contacts(clinic_id, patient_id, identity, actor, bus)
    except _Undo as undo:
        return Result(undo.done)
    return Result(Done.ATTACHED, patient_id, added)


async def create_and_attach(
    *, clinic_id: int, appointment_id: int, form: IdentityForm, actor: Actor, bus: EventBus
) -> Result:
    """A file from the typed identity (validated by the caller: the portal's rules), then
    attached; nothing stays created if the appointment was attached or cancelled meanwhile."""
    try:
        async with write_transaction():
            patient_id = await create_file(clinic_id=clinic_id, form=form, actor=actor, bus=bus)
            outcome = await BookingService(clinic_id=clinic_id, bus=bus).attach(
                appointment_id=appointment_id, patient_id=patient_id, actor=actor
            )
            if not outcome.ok:
                raise _Undo(_STALE.get(outcome.code, Done.NOT_FOUND))
    except _Undo as undo:
        return Result(undo.done)
    return Result(Done.CREATED, patient_id)


async def _append_contacts(
    clinic_id: int, patient_id: int, identity: dict, actor: Actor, bus: EventBus
) -> tuple[str, ...]:
    """Inside the caller's transaction. The file's contacts keep their order; the typed
    ones it lacks (emails without case) come after, pending, up to MAX_PENDING pending."""
    before = await file_snapshot(clinic_id, patient_id)
    typed = (("cell", identity["normalised_phone"]), ("email", identity["normalised_email"]))
    added = await append_pending(
        clinic_id=clinic_id,
        patient_id=patient_id,
        contacts=[Contact(kind, value) for kind, value in typed if value],
    )
    if added:
        await bus.emit(
            PatientChanged(
                clinic_id=clinic_id,
                patient_id=patient_id,
                actor=actor,
                kind=PatientChange.CONTACTS,
                before=before,
                after=await file_snapshot(clinic_id, patient_id),
            )
        )
    return tuple(added)
