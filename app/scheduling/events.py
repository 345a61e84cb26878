"""What scheduling tells the rest of the platform (the audit log, open agendas): slots
opened or closed, and schedule templates saved. Emitted inside the write transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from app.events import Actor


class ScheduleChange(StrEnum):
    OPENED = "opened"  # slots opened: manually, from a template, by a recurrence
    CLOSED = "closed"  # free slots closed over a range
    TEMPLATE_SAVED = "template_saved"
    TEMPLATE_DELETED = "template_deleted"


@dataclass(frozen=True)
class ScheduleSnapshot:
    """What a change did to one practitioner's schedule, or a template as it is."""

    practitioner_id: int | None
    site_id: int | None
    first_day: date | None
    last_day: date | None
    origin: str  # manual | template | recurrence | closing | template
    slot_count: int = 0
    publish_at: datetime | None = None
    rule: str | None = None
    template_id: int | None = None
    name: str = ""  # a template's name
    blocks: tuple[str, ...] = ()  # a template's blocks, "weekday HH:MM-HH:MM activity"


@dataclass(frozen=True)
class ScheduleChanged:
    clinic_id: int
    actor: Actor
    kind: ScheduleChange
    entity_id: int  # the opening, the template
    before: ScheduleSnapshot | None
    after: ScheduleSnapshot | None  # None when deleted
