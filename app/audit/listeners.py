"""The audit log's listeners: registered for the transaction (app/listeners.py), so a row
commits with the change it records, or not at all. Each turns one event into an
AuditRecord; the snapshots are recorded as they are (app.audit.serialise)."""

from __future__ import annotations

from app.audit.chain import AuditRecord, append
from app.audit.tables import EntityKind
from app.booking.events import AppointmentChanged
from app.patients.events import PatientChanged
from app.scheduling.events import ScheduleChange, ScheduleChanged
from app.staff.events import AccountChanged, StaffSignIn
from app.video.events import CallChanged
from tenants.events import SettingChanged

_TEMPLATE_CHANGES = {ScheduleChange.TEMPLATE_SAVED, ScheduleChange.TEMPLATE_DELETED}


def _id(value: int | None) -> str:
    return "" if value is None else str(value)


async def on_appointment_changed(event: AppointmentChanged) -> None:
    patient_id = event.after.patient_id or (event.before.patient_id if event.before else None)
    await append(
        AuditRecord(
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
    )


async def on_schedule_changed(event: ScheduleChanged) -> None:
    kind = EntityKind.SCHEDULE_TEMPLATE if event.kind in _TEMPLATE_CHANGES else EntityKind.SCHEDULE
    await append(
        AuditRecord(
            clinic_id=event.clinic_id,
            actor=event.actor,
            action=f"schedule.{event.kind.value}",
            entity_kind=kind,
            entity_id=str(event.entity_id),
            before=event.before,
            after=event.after,
        )
    )


async def on_patient_changed(event: PatientChanged) -> None:
    await append(
        AuditRecord(
            clinic_id=event.clinic_id,
            actor=event.actor,
            action=f"patient.{event.kind.value}",
            entity_kind=EntityKind.PATIENT,
            entity_id=str(event.patient_id),
            before=event.before,
            after=event.after,
            patient_id=event.patient_id,
        )
    )


async def on_setting_changed(event: SettingChanged) -> None:
    await append(
        AuditRecord(
            clinic_id=event.clinic_id,
            actor=event.actor,
            action="setting.changed",
            entity_kind=EntityKind.SETTING,
            entity_id=event.setting,
            before=None if event.before is None else {event.setting: event.before},
            after=None if event.after is None else {event.setting: event.after},
        )
    )


async def on_account_changed(event: AccountChanged) -> None:
    await append(
        AuditRecord(
            clinic_id=event.clinic_id,
            actor=event.actor,
            action=f"account.{event.kind.value}",
            entity_kind=EntityKind.ACCOUNT,
            entity_id=str(event.account_id),
            before=event.before,
            after=event.after,
        )
    )


async def on_staff_sign_in(event: StaffSignIn) -> None:
    # The email as typed is kept for failures too: who was tried is what an administrator
    # looking into a lockout needs to see.
    await append(
        AuditRecord(
            clinic_id=event.clinic_id,
            actor=event.actor,
            action=f"sign_in.{event.outcome.value}",
            entity_kind=EntityKind.ACCOUNT,
            entity_id=_id(event.account_id),
            before=None,
            after={"email": event.email, "method": event.method, "outcome": event.outcome},
        )
    )


async def on_call_changed(event: CallChanged) -> None:
    await append(
        AuditRecord(
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
    )


LISTENERS = (
    (AppointmentChanged, on_appointment_changed),
    (ScheduleChanged, on_schedule_changed),
    (PatientChanged, on_patient_changed),
    (SettingChanged, on_setting_changed),
    (AccountChanged, on_account_changed),
    (StaffSignIn, on_staff_sign_in),
    (CallChanged, on_call_changed),
)
