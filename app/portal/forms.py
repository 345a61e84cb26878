"""Validation of the wizard's service step. Messages are in the patient's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping

from app.i18n import gettext as _
from app.numbers import MAX_ID, whole_number
from app.scheduling.tables import DAY_PARTS

REASON_MAX = 200
DETAILS_MAX = 1000


@dataclass(frozen=True)
class ServiceChoice:
    service_id: int
    reason: str
    details: str
    preference: str  # asap | date
    from_date: date | None
    day_part: str | None


def parse_service_step(
    data: Mapping[str, str], *, service_ids: set[int], today: date
) -> tuple[ServiceChoice | None, dict[str, str]]:
    errors: dict[str, str] = {}
    service_id = whole_number((data.get("service") or "").strip(), maximum=MAX_ID)
    if service_id not in service_ids:
        errors["service"] = _("Choose a consultation category.")
    reason = (data.get("reason") or "").strip()
    if not reason:
        errors["reason"] = _("Tell us the reason for your consultation.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("Keep the reason under %(n)s characters.", n=REASON_MAX)
    details = (data.get("details") or "").strip()
    if len(details) > DETAILS_MAX:
        errors["details"] = _("Keep this under %(n)s characters.", n=DETAILS_MAX)
    preference = data.get("preference") or "asap"
    if preference not in ("asap", "date"):
        preference = "asap"
    from_date = None
    day_part = (data.get("day_part") or "").strip() or None
    if day_part is not None and day_part not in DAY_PARTS:
        errors["day_part"] = _("Choose morning, afternoon or evening.")
    if preference == "date":
        raw_date = (data.get("from_date") or "").strip()
        if raw_date:
            try:
                from_date = date.fromisoformat(raw_date)
            except ValueError:
                errors["from_date"] = _("Enter the date as YYYY-MM-DD.")
            else:
                if from_date < today:
                    errors["from_date"] = _("Choose today or a later date.")
        elif day_part is None and "day_part" not in errors:
            errors["from_date"] = _("Choose a date, a time of day, or both.")
    else:
        day_part = None
    if errors:
        return None, errors
    return ServiceChoice(service_id, reason, details, preference, from_date, day_part), {}
