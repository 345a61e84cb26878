"""The audit log's listeners: registered for the transaction (app/listeners.py), so a row
commits with the change it records, or not at all. Each event type has one function that
says what its row is (an AuditRecord); the snapshots are recorded as they are
(app.audit.serialise)."""

from __future__ import annotations

from typing import Awaitable, Callable

from app.audit.chain import AuditRecord, append
from app.audit.tables import EntityKind
from app.booking.events import AppointmentChanged
from app.patients.events import PatientChanged
from app.payments.events import PaymentChanged
from app.scheduling.events import ScheduleChange, ScheduleChanged
from app.staff.events import AccountChanged, StaffSignIn
from app.video.events import CallChanged
from tenants.events import SettingChanged

_TEMPLATE_CHANGES = {ScheduleChange.TEMPLATE_SAVED, ScheduleChange.TEMPLATE_DELETED}


def _appointment(event: AppointmentChanged) -> AuditRecord:
    patient_id = event.after.patient_id or (event.before.patient_id if event.before else None)
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"appointment.{event.kind.value}",
        entity_kind=EntityKind.APPOINTMENT,
        entity_id=str(event.appointment_id),
        before=event.before,
        after=event.after,
        patient_id=patient_id,
        appointment_id=event.appointment_id,
    )


def _schedule(event: ScheduleChanged) -> AuditRecord:
    kind = EntityKind.SCHEDULE_TEMPLATE if event.kind in _TEMPLATE_CHANGES else EntityKind.SCHEDULE
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"schedule.{event.kind.value}",
        entity_kind=kind,
        entity_id=str(event.entity_id),
        before=event.before,
        after=event.after,
    )


def _patient(event: PatientChanged) -> AuditRecord:
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"patient.{event.kind.value}",
        entity_kind=EntityKind.PATIENT,
        entity_id=str(event.patient_id),
        before=event.before,
        after=event.after,
        patient_id=event.patient_id,
    )


def _setting(event: SettingChanged) -> AuditRecord:
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action="setting.changed",
        entity_kind=EntityKind.SETTING,
        entity_id=event.setting,
        before=None if event.before is None else {event.setting: event.before},
        after=None if event.after is None else {event.setting: event.after},
    )


def _account(event: AccountChanged) -> AuditRecord:
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"account.{event.kind.value}",
        entity_kind=EntityKind.ACCOUNT,
        entity_id=str(event.account_id),
        before=event.before,
        after=event.after,
    )


def _sign_in(event: StaffSignIn) -> AuditRecord:
    # The email as typed is kept for failures too: who was tried is what an administrator
    # looking into a lockout needs to see.
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"sign_in.{event.outcome.value}",
        entity_kind=EntityKind.ACCOUNT,
        entity_id="" if event.account_id is None else str(event.account_id),
        before=None,
        after={"email": event.email, "method": event.method, "outcome": event.outcome},
    )


def _call(event: CallChanged) -> AuditRecord:
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"call.{event.kind.value}",
        entity_kind=EntityKind.APPOINTMENT,
        entity_id=str(event.appointment_id),
        before=None,
        after=event.detail or None,
        patient_id=event.patient_id,
        appointment_id=event.appointment_id,
    )


def _payment(event: PaymentChanged) -> AuditRecord:
    return AuditRecord(
        clinic_id=event.clinic_id,
        actor=event.actor,
        action=f"payment.{event.kind.value}",
        entity_kind=EntityKind.APPOINTMENT,
        entity_id=str(event.appointment_id or ""),
        before=None,
        after=event.detail or None,
        appointment_id=event.appointment_id,
    )


def _recording(record_of: Callable[[object], AuditRecord]) -> Callable[[object], Awaitable[None]]:
    async def listener(event: object) -> None:
        await append(record_of(event))

    return listener


LISTENERS = tuple(
    (event_type, _recording(record_of))
    for event_type, record_of in (
        (AppointmentChanged, _appointment),
        (ScheduleChanged, _schedule),
        (PatientChanged, _patient),
        (SettingChanged, _setting),
        (AccountChanged, _account),
        (StaffSignIn, _sign_in),
        (CallChanged, _call),
        (PaymentChanged, _payment),
    )
)
