"""Which messages an appointment change causes, and when (SPEC §8).

plan() listens to the booking engine's AppointmentChanged events inside the transaction
that changes the appointment, so the change and its messages commit together or not at
all. Every message has an idempotency key
derived from what it is about; inserting the same key twice does nothing, so a
retried request never plans a message twice."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from app import clock
from app.booking.events import AppointmentChange, AppointmentChanged
from app.booking.tables import Appointment, AppointmentStatus
from app.events import Actor
from app.messaging.recipients import Purpose, recipients
from app.messaging.tables import Message
from app.reminders import schedule as reminder_schedule
from app.reminders import store as reminder_store

# Kept here for its callers (the dispatcher's retries): the schedule owns it now.
after_quiet_hours = reminder_schedule.after_quiet_hours

INVITATION_BEFORE = timedelta(minutes=15)
# The notice each change sends; a change of status (confirmed, arrived…) sends none.
NOTICES = {
    AppointmentChange.CREATED: "confirmation",
    AppointmentChange.MOVED: "change",
    AppointmentChange.CANCELLED: "cancellation",
    # Another platform's link typed or changed: the patient is told where to connect.
    AppointmentChange.VIDEO_LINK: "change",
}
# re-planned when the appointment moves
LATER = ("reminder", "reminder_notice", "teleconsult_invitation")
REMINDERS = ("reminder", "reminder_notice")


def suppressed(appointment: dict) -> bool:
    """The three "No …" statuses of the appointment type stop every automated message."""
    return bool(
        appointment["no_automated_communication"]
        or appointment["no_communication"]
        or appointment["hidden_from_portal"]
    )


async def _facts(clinic_id: int, appointment_id: int) -> dict | None:
    kind = Appointment.appointment_type
    return (
        await Appointment.select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.updated_at,
            Appointment.status,
            Appointment.language,
            kind.telemedicine.as_alias("telemedicine"),
            kind.no_automated_communication.as_alias("no_automated_communication"),
            kind.no_communication.as_alias("no_communication"),
            kind.hidden_from_portal.as_alias("hidden_from_portal"),
            Appointment.clinic.notify_by_email.as_alias("by_email"),
            Appointment.clinic.notify_by_sms.as_alias("by_sms"),
            Appointment.clinic.time_zone.as_alias("time_zone"),
            Appointment.clinic.quiet_hours_start.as_alias("quiet_start"),
            Appointment.clinic.quiet_hours_end.as_alias("quiet_end"),
        )
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )


async def _channels(
    clinic_id: int, appointment_id: int, purpose: Purpose, *, email: bool, sms: bool
) -> list[str]:
    who = await recipients(clinic_id=clinic_id, appointment_id=appointment_id, purpose=purpose)
    return [
        channel
        for channel, wanted, address in (("email", email, who.email), ("sms", sms, who.phone))
        if wanted and address
    ]


async def on_appointment_changed(event: AppointmentChanged) -> None:
    await plan(clinic_id=event.clinic_id, appointment_id=event.appointment_id, change=event.kind)


async def plan(*, clinic_id: int, appointment_id: int, change: AppointmentChange) -> int:
    """Plan the messages a change causes; returns how many."""
    if change not in NOTICES:
        return 0
    facts = await _facts(clinic_id, appointment_id)
    if facts is None:
        return 0
    now = clock.now()
    if change in (AppointmentChange.MOVED, AppointmentChange.CANCELLED):
        await drop_pending(clinic_id=clinic_id, appointment_id=appointment_id, kinds=LATER)
    if suppressed(facts):
        return 0
    # Keys name what a message is about. Later messages carry the start they were
    # planned for (the dispatcher drops them if the appointment has moved since) and
    # the change that planned them, so a move away and back plans them afresh
    # instead of colliding with the ones the first move dropped.
    stamp = f"{facts['starts_at'].isoformat()}:{facts['updated_at'].isoformat()}"
    notice = NOTICES[change]
    purpose = Purpose.CONFIRMATION if notice == "confirmation" else Purpose.REMINDER
    # A change notice is keyed by the change, so each change sends one.
    notice_key = f"{appointment_id}:{notice}" + (f":{stamp}" if notice == "change" else "")
    planned = [
        (notice, channel, now, f"{notice_key}:{channel}")
        for channel in await _channels(
            clinic_id, appointment_id, purpose, email=facts["by_email"], sms=facts["by_sms"]
        )
    ]
    # A new link changes no time: the reminder and the invitation already planned stand
    # (they read the link when they go).
    if change in (AppointmentChange.CREATED, AppointmentChange.MOVED):
        starts = facts["starts_at"]
        # The clinic's schedule (SPEC §8): each reminder out of quiet hours, none after
        # the start; one whose moment has passed is left out (booked late: the
        # confirmation just sent stands for it). The schedule that applied is recorded
        # for the no-show rate per schedule.
        schedule = await reminder_store.schedule_of(clinic_id)
        await reminder_store.record(clinic_id, appointment_id, schedule)
        reminders = reminder_schedule.plan(
            schedule,
            starts_at=starts,
            now=now,
            time_zone=facts["time_zone"],
            quiet_start=facts["quiet_start"],
            quiet_end=facts["quiet_end"],
        )
        channels = (
            await _channels(
                clinic_id,
                appointment_id,
                Purpose.REMINDER,
                email=facts["by_email"],
                sms=facts["by_sms"],
            )
            if reminders
            else []
        )
        for reminder in reminders:
            lead = f"{reminder.entry.hours}h"
            for channel in channels:
                planned.append(
                    (
                        reminder.kind,
                        channel,
                        reminder.due_at,
                        f"{appointment_id}:{reminder.kind}:{stamp}:{lead}:{channel}",
                    )
                )
        if facts["telemedicine"] and now < starts - INVITATION_BEFORE:
            # The invitation goes by email and SMS whatever the clinic's usual channels.
            for channel in await _channels(
                clinic_id, appointment_id, Purpose.REMINDER, email=True, sms=True
            ):
                planned.append(
                    (
                        "teleconsult_invitation",
                        channel,
                        starts - INVITATION_BEFORE,
                        f"{appointment_id}:teleconsult_invitation:{stamp}:{channel}",
                    )
                )
    if not planned:
        return 0
    rows = [
        Message(
            clinic=clinic_id,
            appointment=appointment_id,
            kind=kind,
            channel=channel,
            language=facts["language"],
            due_at=due_at,
            next_attempt_at=due_at,
            idempotency_key=key,
            status="pending",
            created_at=now,
        )
        for kind, channel, due_at, key in planned
    ]
    await Message.insert(*rows).on_conflict(action="DO NOTHING")
    return len(rows)


async def drop_pending(*, clinic_id: int, appointment_id: int, kinds: tuple[str, ...]) -> None:
    """Also drops messages a worker has claimed but not yet sent: it finds them
    dropped and leaves them (one already in the provider's hands still goes)."""
    await Message.update({Message.status: "dropped", Message.last_error: "re-planned"}).where(
        (Message.clinic == clinic_id)
        & (Message.appointment == appointment_id)
        & Message.status.is_in(["pending", "sending"])
        & Message.kind.is_in(list(kinds))
    )


class Resend(StrEnum):
    """What asking for the confirmation again did."""

    QUEUED = "queued"
    REFUSED = "refused"  # the type allows no automated or manual communication, or hides it
    CANCELLED = "cancelled"  # the dispatcher would drop it: said instead of "queued"
    NO_CONTACT = "no_contact"  # nowhere to send it
    NOT_FOUND = "not_found"


async def resend_confirmation(*, clinic_id: int, appointment_id: int, by: Actor) -> Resend:
    """Staff send the confirmation again by hand, as the statuses of SPEC §8 allow."""
    facts = await _facts(clinic_id, appointment_id)
    if facts is None:
        return Resend.NOT_FOUND
    if facts["no_communication"] or facts["hidden_from_portal"]:
        return Resend.REFUSED
    if facts["status"] == AppointmentStatus.CANCELLED:
        return Resend.CANCELLED
    now = clock.now()
    channels = await _channels(
        clinic_id,
        appointment_id,
        Purpose.CONFIRMATION,
        email=facts["by_email"],
        sms=facts["by_sms"],
    )
    if not channels:
        return Resend.NO_CONTACT
    await Message.insert(
        *[
            Message(
                clinic=clinic_id,
                appointment=appointment_id,
                kind="confirmation",
                channel=channel,
                language=facts["language"],
                due_at=now,
                next_attempt_at=now,
                status="pending",
                created_at=now,
                idempotency_key=f"{appointment_id}:confirmation:manual:{now.isoformat()}:{by.key()}:{channel}",
            )
            for channel in channels
        ]
    ).on_conflict(action="DO NOTHING")
    return Resend.QUEUED
