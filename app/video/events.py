"""What a call tells the rest of the platform (the audit log listens): the patient came
to the waiting room, was let in, the call ended, a file was shared. Emitted inside the
write transaction, like every other change."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.events import Actor


class CallChange(StrEnum):
    STARTED = "started"  # the patient came to the waiting room (first time)
    READY = "ready"  # a secretary checked the patient by phone
    ACCEPTED = "accepted"
    LATE = "late"  # "Running late: about N minutes" sent to the waiting patient
    ENDED = "ended"
    FILE_SHARED = "file_shared"


@dataclass(frozen=True)
class CallChanged:
    clinic_id: int
    appointment_id: int
    patient_id: int | None
    actor: Actor
    kind: CallChange
    detail: dict  # what is worth keeping: a file's name, type and size; the minutes late
