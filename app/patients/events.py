"""What the patient files tell the rest of the platform (the audit log listens): a file
created, edited, its contacts changed, or two files merged. Emitted inside the write
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.events import Actor


class PatientChange(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CONTACTS = "contacts"  # added, removed or reordered
    MERGED = "merged"  # another file merged into this one
    DEPENDANTS = "dependants"  # a dependant or a guardian linked or unlinked


@dataclass(frozen=True)
class PatientSnapshot:
    first_name: str
    last_name: str
    birth_date: date | None
    sex: str | None
    hin: str | None
    file_number: str | None
    contacts: tuple[str, ...] = ()  # in order, "kind:value"


@dataclass(frozen=True)
class PatientChanged:
    clinic_id: int
    patient_id: int
    actor: Actor
    kind: PatientChange
    before: PatientSnapshot | None  # None when created
    after: PatientSnapshot
