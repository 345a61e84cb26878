"""Booking for someone else (SPEC §7b): the person booking (a parent, a carer) is not the
patient. The patient's identity is typed and matched as any identification; the booker
gives only a name and a contact of their own, where the confirmation goes. The booker's
contact stays on the appointment (contact_email, contact_phone), never on the patient's
file: it is not the patient's."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from app.i18n import gettext as _
from app.patients import normalise
from app.patients.forms import NAME_MAX, parse_cell_phone

CHOICE = "for_someone_else"  # the step 1 checkbox: "I am booking for someone else"
FIELDS = ("booker_name", "booker_cell_phone", "booker_email")


@dataclass(frozen=True)
class Booker:
    name: str
    cell_phone: str | None  # E.164
    email: str | None  # lower case

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Booker | None:
        if not isinstance(data, dict) or not data.get("name"):
            return None
        return cls(
            name=str(data["name"]),
            cell_phone=data.get("cell_phone") or None,
            email=data.get("email") or None,
        )


def booking_for_someone_else(data: Mapping[str, str]) -> bool:
    return (data.get(CHOICE) or "") == "on"


def parse_booker(data: Mapping[str, str], *, country: str) -> tuple[Booker | None, dict[str, str]]:
    """(booker, {}) or (None, {field: message}); the message for "no contact at all" is
    under booker_cell_phone, as step 1's own is under cell_phone."""
    errors: dict[str, str] = {}

    def text(field: str) -> str:
        return (data.get(field) or "").strip()

    name = normalise.clean_name(text("booker_name"))
    if not name:
        errors["booker_name"] = _("Enter your own name.")
    elif len(name) > NAME_MAX:
        errors["booker_name"] = _("Keep this under %(n)s characters.", n=NAME_MAX)

    cell_phone = None
    raw_phone = text("booker_cell_phone")
    if raw_phone:
        cell_phone, problem = parse_cell_phone(raw_phone, country=country)
        if problem:
            errors["booker_cell_phone"] = problem

    email = None
    raw_email = text("booker_email")
    if raw_email:
        email = normalise.email(raw_email)
        if email is None:
            errors["booker_email"] = _("Enter a valid email address, e.g. name@example.com.")

    if not raw_phone and not raw_email:
        errors["booker_cell_phone"] = _(
            "Enter your own cell phone or email: the confirmation goes there."
        )
    if errors:
        return None, errors
    return Booker(name=name, cell_phone=cell_phone, email=email), {}
