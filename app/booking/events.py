"""What the booking engine tells the rest of the platform: an appointment changed.

Emitted inside the engine's write transaction (app.events), with the appointment as it
was and as it is, so listeners need not read it again and an audit log can record both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.booking.tables import AppointmentStatus
from app.events import Actor


class AppointmentChange(StrEnum):
    CREATED = "created"
    MOVED = "moved"  # another slot: date, time, practitioner or site
    CANCELLED = "cancelled"
    STATUS = "status"  # confirmed, arrived, no-show, completed
    ATTACHED = "attached"  # an unidentified patient's appointment given to a file (no message)
    VIDEO_LINK = "video_link"  # another platform's link typed, changed or removed by staff


@dataclass(frozen=True)
class AppointmentSnapshot:
    """An appointment's facts that a change can touch."""

    status: AppointmentStatus
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    practitioner_id: int
    site_id: int
    activity_id: int
    appointment_type_id: int | None
    patient_id: int | None
    source: str
    cancellation_reason: str = ""  # typed by staff when they cancel
    video_link: str = ""  # another platform's link (app.booking.video_links)


@dataclass(frozen=True)
class AppointmentChanged:
    clinic_id: int
    appointment_id: int
    actor: Actor
    kind: AppointmentChange
    before: AppointmentSnapshot | None  # None when created
    after: AppointmentSnapshot
