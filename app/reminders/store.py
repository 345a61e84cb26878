"""Reading and writing a clinic's reminder schedule, and recording the one an
appointment's reminders followed. Every query is filtered by clinic."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from app.reminders.schedule import DEFAULT, Schedule, parse
from app.reminders.tables import AppointmentReminders, ReminderSchedule


async def schedule_of(clinic_id: int) -> Schedule:
    row = (
        await ReminderSchedule.select(ReminderSchedule.entries)
        .where(ReminderSchedule.clinic == clinic_id)
        .first()
    )
    return parse(row["entries"]) if row else DEFAULT


async def save(clinic_id: int, schedule: Schedule) -> None:
    """Inside the caller's transaction (the audit row commits with it)."""
    now = clock.now()
    await ReminderSchedule.insert(
        ReminderSchedule(clinic=clinic_id, entries=schedule.text(), updated_at=now)
    ).on_conflict(
        target=ReminderSchedule.clinic,
        action="DO UPDATE",
        values=[ReminderSchedule.entries, ReminderSchedule.updated_at],
    )


async def record(clinic_id: int, appointment_id: int, schedule: Schedule) -> None:
    await AppointmentReminders.insert(
        AppointmentReminders(
            clinic=clinic_id,
            appointment=appointment_id,
            schedule=schedule.text(),
            planned_at=clock.now(),
        )
    ).on_conflict(
        target=AppointmentReminders.appointment,
        action="DO UPDATE",
        values=[AppointmentReminders.schedule, AppointmentReminders.planned_at],
    )


async def confirm_lead(clinic_id: int, appointment_id: int) -> timedelta | None:
    """How long before its start this appointment's first asking reminder was meant to
    go: from the schedule its reminders were planned with, else the clinic's."""
    row = (
        await AppointmentReminders.select(AppointmentReminders.schedule)
        .where(
            (AppointmentReminders.clinic == clinic_id)
            & (AppointmentReminders.appointment == appointment_id)
        )
        .first()
    )
    schedule = parse(row["schedule"]) if row else await schedule_of(clinic_id)
    return schedule.confirm_lead
