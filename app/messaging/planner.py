"""Which messages an appointment change causes, and when (SPEC §8).

plan() runs inside the transaction that changes the appointment, so the change and
its messages commit together or not at all. Every message has an idempotency key
derived from what it is about; inserting the same key twice does nothing, so a
retried request never plans a message twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app import clock
from app.booking.tables import Appointment
from app.messaging.tables import Message
from app.patients.contacts import recipients

REMINDER_BEFORE = timedelta(hours=36)
INVITATION_BEFORE = timedelta(minutes=15)
NOTICES = {"created": "confirmation", "changed": "change", "cancelled": "cancellation"}
LATER = ("reminder", "teleconsult_invitation")  # re-planned when the appointment moves


def suppressed(appointment: dict) -> bool:
    """The three "No …" statuses of the appointment type stop every automated message."""
    return bool(
        appointment["no_automated_communication"] or appointment["no_communication"] or appointment["hidden_from_portal"]
    )


def after_quiet_hours(due: datetime, *, time_zone: str, start: time, end: time) -> datetime:
    """A time inside the clinic's night (e.g. 21:00–08:00) moves to the morning's end of it."""
    zone = ZoneInfo(time_zone)
    local = due.astimezone(zone)
    wall = local.time()
    overnight = start > end
    quiet = (wall >= start or wall < end) if overnight else (start <= wall < end)
    if not quiet:
        return due
    day = local.date() + timedelta(days=1) if overnight and wall >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone).astimezone(due.tzinfo)


async def _facts(clinic_id: int, appointment_id: int) -> dict | None:
    kind = Appointment.appointment_type
    return (
        await Appointment.select(
            Appointment.id, Appointment.starts_at, Appointment.updated_at, Appointment.status, Appointment.language,
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


async def _channels(clinic_id: int, appointment_id: int, purpose: str, *, email: bool, sms: bool) -> list[str]:
    who = await recipients(clinic_id=clinic_id, appointment_id=appointment_id, purpose=purpose)
    return [channel for channel, wanted, address in (("email", email, who.email), ("sms", sms, who.phone)) if wanted and address]


async def plan(*, clinic_id: int, appointment_id: int, event: str) -> int:
    """Plan the messages for `event` (created, changed, cancelled); returns how many."""
    facts = await _facts(clinic_id, appointment_id)
    if facts is None:
        return 0
    now = clock.now()
    if event in ("changed", "cancelled"):
        await drop_pending(clinic_id=clinic_id, appointment_id=appointment_id, kinds=LATER)
    if suppressed(facts):
        return 0
    # Keys name what a message is about. Later messages carry the start they were
    # planned for (the dispatcher drops them if the appointment has moved since) and
    # the change that planned them, so a move away and back plans them afresh
    # instead of colliding with the ones the first move dropped.
    stamp = f"{facts['starts_at'].isoformat()}:{facts['updated_at'].isoformat()}"
    notice = NOTICES[event]
    purpose = "confirmation" if notice == "confirmation" else "reminder"
    # A change notice is keyed by the change, so each change sends one.
    notice_key = f"{appointment_id}:{notice}" + (f":{stamp}" if notice == "change" else "")
    planned = [
        (notice, channel, now, f"{notice_key}:{channel}")
        for channel in await _channels(clinic_id, appointment_id, purpose, email=facts["by_email"], sms=facts["by_sms"])
    ]
    if event != "cancelled":
        starts = facts["starts_at"]
        due = after_quiet_hours(
            starts - REMINDER_BEFORE, time_zone=facts["time_zone"], start=facts["quiet_start"], end=facts["quiet_end"]
        )
        # Booked less than 36 h ahead: the confirmation just sent is the reminder.
        if now < starts - REMINDER_BEFORE and due < starts:
            for channel in await _channels(clinic_id, appointment_id, "reminder", email=facts["by_email"], sms=facts["by_sms"]):
                planned.append(("reminder", channel, due, f"{appointment_id}:reminder:{stamp}:{channel}"))
        if facts["telemedicine"] and now < starts - INVITATION_BEFORE:
            # The invitation goes by email and SMS whatever the clinic's usual channels.
            for channel in await _channels(clinic_id, appointment_id, "reminder", email=True, sms=True):
                planned.append(("teleconsult_invitation", channel, starts - INVITATION_BEFORE,
                                f"{appointment_id}:teleconsult_invitation:{stamp}:{channel}"))
    if not planned:
        return 0
    rows = [
        Message(
            clinic=clinic_id, appointment=appointment_id, kind=kind, channel=channel, language=facts["language"],
            due_at=due_at, next_attempt_at=due_at, idempotency_key=key, status="pending", created_at=now,
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


async def resend_confirmation(*, clinic_id: int, appointment_id: int, by: str) -> str:
    """Staff send the confirmation again by hand. Refused ("refused") for a type with
    no automated or manual communication, or hidden from the portal; "cancelled" for
    a cancelled appointment; "sent" when queued; "no_contact" when there is nowhere
    to send it."""
    facts = await _facts(clinic_id, appointment_id)
    if facts is None:
        return "not_found"
    if facts["no_communication"] or facts["hidden_from_portal"]:
        return "refused"
    if facts["status"] == "cancelled":
        return "cancelled"  # the dispatcher would drop it: say so instead of "sent"
    now = clock.now()
    channels = await _channels(clinic_id, appointment_id, "confirmation", email=facts["by_email"], sms=facts["by_sms"])
    if not channels:
        return "no_contact"
    await Message.insert(*[
        Message(
            clinic=clinic_id, appointment=appointment_id, kind="confirmation", channel=channel,
            language=facts["language"], due_at=now, next_attempt_at=now, status="pending", created_at=now,
            idempotency_key=f"{appointment_id}:confirmation:manual:{now.isoformat()}:{by}:{channel}",
        )
        for channel in channels
    ]).on_conflict(action="DO NOTHING")
    return "sent"

