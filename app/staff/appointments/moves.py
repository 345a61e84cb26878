"""Where an appointment can move: free slots of the same activity from a day on, the same
practitioner's first, then the other practitioners' at the same site. Free means open
and not held live by a patient; the engine's atomic move has the last word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.scheduling.tables import Slot

CHOICES = 12  # per list: enough to pick from on the phone, the date field looks further


@dataclass(frozen=True)
class MoveChoice:
    slot_id: int
    starts_at: datetime
    local_date: date
    practitioner_id: int
    practitioner_name: str


async def _free_slots(
    clinic_id: int, *, activity_id: int, site_id: int, same: int, mine: bool, day: date, now
) -> list[MoveChoice]:
    practitioner = (Slot.practitioner == same) if mine else (Slot.practitioner != same)
    rows = (
        await Slot.select(
            Slot.id,
            Slot.starts_at,
            Slot.local_date,
            Slot.practitioner,
            Slot.practitioner.name.as_alias("practitioner_name"),
        )
        .where(
            (Slot.clinic == clinic_id)
            & (Slot.activity == activity_id)
            & (Slot.site == site_id)
            & practitioner
            & (Slot.state == "open")
            & (Slot.local_date >= day)
            & (Slot.starts_at > now)
            & (Slot.hold_until.is_null() | (Slot.hold_until < now))
        )
        .order_by(Slot.starts_at)
        .limit(CHOICES)
    )
    return [
        MoveChoice(
            row["id"],
            row["starts_at"],
            row["local_date"],
            row["practitioner"],
            row["practitioner_name"],
        )
        for row in rows
    ]


async def move_choices(
    *, clinic_id: int, activity_id: int, site_id: int, practitioner_id: int, day: date, now
) -> tuple[list[MoveChoice], list[MoveChoice]]:
    """(the same practitioner's, the others' at the site)."""
    common = dict(activity_id=activity_id, site_id=site_id, same=practitioner_id, day=day, now=now)
    return (
        await _free_slots(clinic_id, mine=True, **common),
        await _free_slots(clinic_id, mine=False, **common),
    )
