"""The slot dialog's forms, read into typed values or {field: message} (every error at
once, in the staff member's language, next to its field)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Mapping

from app.i18n import LOCALES
from app.i18n import gettext as _
from app.numbers import MAX_ID, whole_number
from app.staff.appointments.views import TypeChoice

REASON_MAX = 500
NEW_FILE = "new"


class PatientChoice(StrEnum):
    FILE = "file"  # an existing file, by id
    NEW = "new"  # a file created with the appointment


@dataclass(frozen=True)
class BookingForm:
    choice: PatientChoice
    patient_id: int | None  # for FILE
    appointment_type_id: int
    reason: str
    language: str


def _reason(data: Mapping[str, str], field: str, errors: dict[str, str], missing: str) -> str:
    reason = " ".join((data.get(field) or "").split())
    if not reason:
        errors[field] = missing
    elif len(reason) > REASON_MAX:
        errors[field] = _("Keep this under %(n)s characters.", n=REASON_MAX)
    return reason


def parse_booking(
    data: Mapping[str, str], *, types: list[TypeChoice]
) -> tuple[BookingForm | None, dict[str, str]]:
    """The patient chosen (a file id, or "new": the new file's fields are read apart),
    the type and the reason. An id of another clinic's file passes here: the caller looks
    it up in this clinic and answers 404."""
    errors: dict[str, str] = {}
    raw_patient = (data.get("patient") or "").strip()
    patient_id = whole_number(raw_patient, maximum=MAX_ID)
    if raw_patient == NEW_FILE:
        choice = PatientChoice.NEW
    elif patient_id:
        choice = PatientChoice.FILE
    else:
        choice = PatientChoice.FILE
        errors["patient"] = _("Choose the patient's file, or create one.")
    type_id = whole_number((data.get("appointment_type") or "").strip(), maximum=MAX_ID)
    if type_id not in {kind.id for kind in types}:
        errors["appointment_type"] = _("Choose the type of appointment.")
    reason = _reason(data, "reason", errors, _("Enter the reason for the appointment."))
    language = data.get("language") or ""
    if language not in LOCALES:
        errors["language"] = _("Choose the language of the patient's messages.")
    if errors:
        return None, errors
    return BookingForm(choice, patient_id, type_id, reason, language), {}


def parse_cancellation(data: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    errors: dict[str, str] = {}
    reason = _reason(
        data, "cancellation_reason", errors, _("Enter why the appointment is cancelled.")
    )
    return (None, errors) if errors else (reason, {})


def parse_move(data: Mapping[str, str]) -> tuple[int | None, dict[str, str]]:
    slot_id = whole_number((data.get("slot") or "").strip(), maximum=MAX_ID)
    if not slot_id:
        return None, {"slot": _("Choose the new time.")}
    return slot_id, {}


def parse_day(raw: str | None, *, default: date) -> tuple[date, dict[str, str]]:
    """The day the move's choices start from (the date field), today by default."""
    if not raw:
        return default, {}
    try:
        return date.fromisoformat(raw.strip()), {}
    except ValueError:
        return default, {"move_day": _("Enter a date as YYYY-MM-DD.")}
