""" "Cancel and rebook" (SPEC §9): an external platform's appointment cannot move, so the
slot dialog offers, in its place, the same free slots a move would and one button that
cancels it and books the chosen one (BookingService.rebook: all or nothing). The patient
gets our cancellation notice and the new confirmation; the platform's session is
cancelled and a new one made (app.platforms.sessions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.booking import external
from app.booking.tables import Appointment
from app.staff.appointments.moves import MoveChoice, move_choices
from app.staff.appointments.views import SlotFacts


@dataclass(frozen=True)
class RebookOffer:
    same: list[MoveChoice]  # the same practitioner's free slots
    others: list[MoveChoice]  # the other practitioners' at the site


async def cannot_move(*, clinic_id: int, appointment_id: int) -> bool:
    row = await (
        Appointment.select(Appointment.appointment_type, Appointment.activity)
        .where((Appointment.id == appointment_id) & (Appointment.clinic == clinic_id))
        .first()
    )
    if row is None:
        return False
    type_id = row["appointment_type"] or await external.type_of_activity(
        clinic_id=clinic_id, activity_id=row["activity"]
    )
    return await external.is_external(clinic_id=clinic_id, type_id=type_id)


async def rebook_offer(
    *, clinic_id: int, appointment_id: int, slot: SlotFacts, time_zone: str, now: datetime
) -> RebookOffer | None:
    """None unless the appointment is of a type that cannot move."""
    if not await cannot_move(clinic_id=clinic_id, appointment_id=appointment_id):
        return None
    same, others = await move_choices(
        clinic_id=clinic_id,
        activity_id=slot.activity_id,
        site_id=slot.site_id,
        practitioner_id=slot.practitioner_id,
        day=now.astimezone(ZoneInfo(time_zone)).date(),
        now=now,
    )
    return RebookOffer(same, others)
