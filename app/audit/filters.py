"""The viewer's filters, read from the query string (so a filtered view is a URL that can
be bookmarked or shared with another administrator): a date range in the clinic's days,
an actor (a staff account, patients, the system), a patient (a file number or a name) and
an appointment number. Bad input gives a message for its field, never an error page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping
from urllib.parse import urlencode

from app import i18n
from app.numbers import MAX_ID, whole_number

MAX_TEXT = 100
MAX_PAGE = 100_000
FIELDS = ("from", "to", "actor", "patient", "appointment")


@dataclass(frozen=True)
class Filters:
    first_day: date | None = None
    last_day: date | None = None
    actor: str = ""  # "" any, "patient", "system", or "staff:<account id>"
    patient_id: int | None = None  # typed as a number
    patient_name: str = ""  # typed as words of a name
    appointment_id: int | None = None
    page: int = 1


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def parse(
    params: Mapping[str, str], actors: set[str]
) -> tuple[Filters, dict[str, str], dict[str, str]]:
    """The filters, the errors by field, and the values as typed (to show them again)."""
    values = {name: params.get(name, "").strip()[:MAX_TEXT] for name in FIELDS}
    errors: dict[str, str] = {}
    first_day = last_day = None
    if values["from"]:
        first_day = _day(values["from"])
        if first_day is None:
            errors["from"] = i18n.gettext("Enter a date like 2026-12-07.")
    if values["to"]:
        last_day = _day(values["to"])
        if last_day is None:
            errors["to"] = i18n.gettext("Enter a date like 2026-12-07.")
        elif first_day and last_day < first_day:
            errors["to"] = i18n.gettext("The end date must be on or after the start date.")
    actor = values["actor"]
    if actor and actor not in actors:
        errors["actor"] = i18n.gettext("Choose someone from the list.")
    patient_id, patient_name = None, ""
    if values["patient"]:
        if values["patient"].isascii() and values["patient"].isdigit():
            patient_id = whole_number(values["patient"], maximum=MAX_ID)
            if patient_id is None:
                errors["patient"] = i18n.gettext("No file has this number.")
        elif len(values["patient"]) < 2 or "%" in values["patient"] or "_" in values["patient"]:
            errors["patient"] = i18n.gettext(
                "Enter a file number, or at least two letters of a name."
            )
        else:
            patient_name = " ".join(values["patient"].split())
    appointment_id = None
    if values["appointment"]:
        appointment_id = whole_number(values["appointment"].lstrip("#"), maximum=MAX_ID)
        if appointment_id is None:
            errors["appointment"] = i18n.gettext("Enter an appointment number, like 1234.")
    page = whole_number(params.get("page", ""), maximum=MAX_PAGE) or 1
    filters = Filters(
        first_day, last_day, actor, patient_id, patient_name, appointment_id, max(page, 1)
    )
    return filters, errors, values


def query_string(values: Mapping[str, str], **extra: object) -> str:
    """The filters as typed, for the pager's and the export's links."""
    pairs = [(k, values[k]) for k in FIELDS if values.get(k)]
    pairs += [(k, str(v)) for k, v in extra.items() if v]
    return urlencode(pairs)
