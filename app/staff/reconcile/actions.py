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
from app.patients.contacts import MAX_PENDING
from app.patients.events import PatientChange, PatientChanged, PatientSnapshot
from app.patients.forms import IdentityForm
from app.patients.tables import ContactDetail, Patient
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
    return {
        **identity,
        "normalised_email": row["contact_email"],
        "normalised_phone": row["contact_phone"],
    }


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


async def snapshot(clinic_id: int, patient_id: int) -> PatientSnapshot:
    row = (
        await Patient.select()
        .where((Patient.id == patient_id) & (Patient.clinic == clinic_id))
        .first()
    )
    contacts = await (
        ContactDetail.select(ContactDetail.kind, ContactDetail.value)
        .where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
        .order_by(ContactDetail.position)
        .order_by(ContactDetail.id)
    )
    return PatientSnapshot(
        first_name=row["first_name"],
        last_name=row["last_name"],
        birth_date=row["date_of_birth"],
        sex=row["sex"],
        hin=row["health_insurance_number"],
        file_number=row["file_number"],
        contacts=tuple(f"{c['kind']}:{c['value']}" for c in contacts),
    )


async def _append_contacts(
    clinic_id: int, patient_id: int, identity: dict, actor: Actor, bus: EventBus
) -> tuple[str, ...]:
    """Inside the caller's transaction. The file's contacts keep their order; the typed
    ones it lacks (emails without case) come after, pending, up to MAX_PENDING pending."""
    before = await snapshot(clinic_id, patient_id)
    existing = await ContactDetail.select(
        ContactDetail.value, ContactDetail.position, ContactDetail.verified
    ).where((ContactDetail.clinic == clinic_id) & (ContactDetail.patient == patient_id))
    known = {row["value"].lower() for row in existing}
    position = max((row["position"] for row in existing), default=0)
    pending = sum(not row["verified"] for row in existing)
    added: list[str] = []
    typed = (("cell", identity["normalised_phone"]), ("email", identity["normalised_email"]))
    for kind, value in typed:
        if not value or value.lower() in known or pending >= MAX_PENDING:
            continue
        position += 1
        await ContactDetail.insert(
            ContactDetail(
                clinic=clinic_id,
                patient=patient_id,
                kind=kind,
                value=value,
                position=position,
                verified=False,
            )
        ).on_conflict(action="DO NOTHING")
        known.add(value.lower())
        added.append(value)
        pending += 1
    if added:
        await bus.emit(
            PatientChanged(
                clinic_id=clinic_id,
                patient_id=patient_id,
                actor=actor,
                kind=PatientChange.CONTACTS,
                before=before,
                after=await snapshot(clinic_id, patient_id),
            )
        )
    return tuple(added)
