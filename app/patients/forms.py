"""Step A of the portal: who the patient says they are. Messages are in the patient's
language and say what to do; values come out in the normal forms files are kept in."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any, Mapping

from app import clock
from app.i18n import gettext as _
from app.patients import hin as hin_rules
from app.patients import normalise

SEXES = ("F", "M", "X")
NAME_MAX = 100
PHONE_MAX = 32
OLDEST = 130  # years: anything older is a mistyped year
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class IdentityForm:
    first_name: str  # as typed, cleaned of stray spaces (see normalise.clean_name)
    last_name: str
    date_of_birth: date
    sex: str  # F | M | X
    health_insurance_number: str | None  # upper case, no spaces
    cell_phone: str | None  # E.164
    email: str | None  # lower case

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: for a booking session, or the provisional identity of an unidentified
        patient's appointment."""
        return {**asdict(self), "date_of_birth": self.date_of_birth.isoformat()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IdentityForm:
        return cls(**{**data, "date_of_birth": date.fromisoformat(data["date_of_birth"])})


def parse_identity(
    data: Mapping[str, str], *, country: str, hin_format: str
) -> tuple[IdentityForm | None, dict[str, str]]:
    """(form, {}) when everything is valid, else (None, {field: message}). The message
    for "neither a cell phone nor an email" is under "cell_phone"."""
    errors: dict[str, str] = {}

    def text(field: str) -> str:
        return (data.get(field) or "").strip()

    names = {}
    for field, missing in (
        ("first_name", _("Enter your first name.")),
        ("last_name", _("Enter your last name.")),
    ):
        names[field] = normalise.clean_name(text(field))
        if not names[field]:
            errors[field] = missing
        elif len(names[field]) > NAME_MAX:
            errors[field] = _("Keep this under %(n)s characters.", n=NAME_MAX)

    born = _date_of_birth(text("date_of_birth"), errors)

    sex = text("sex").upper()
    if sex not in SEXES:
        errors["sex"] = _("Choose your sex.")

    hin = normalise.hin(text("health_insurance_number")) or None
    if hin is not None:
        problem = hin_rules.error(
            hin, hin_format=hin_format, date_of_birth=born, sex=sex if sex in SEXES else None
        )
        if problem:
            errors["health_insurance_number"] = problem

    cell_phone = None
    raw_phone = text("cell_phone")
    if raw_phone:
        cell_phone, problem = parse_cell_phone(raw_phone, country=country)
        if problem:
            errors["cell_phone"] = problem

    email = None
    raw_email = text("email")
    if raw_email:
        email = normalise.email(raw_email)
        if email is None:
            errors["email"] = _("Enter a valid email address, e.g. name@example.com.")

    if not raw_phone and not raw_email:
        errors["cell_phone"] = _("Enter a cell phone or an email.")

    if text("accept_terms") != "on":
        errors["accept_terms"] = _("You must accept the terms and conditions.")

    if errors:
        return None, errors
    return (
        IdentityForm(
            first_name=names["first_name"],
            last_name=names["last_name"],
            date_of_birth=born,
            sex=sex,
            health_insurance_number=hin,
            cell_phone=cell_phone,
            email=email,
        ),
        {},
    )


def parse_date_of_birth(raw: str, errors: dict[str, str]) -> date | None:
    """The field "date_of_birth" as on the identity form (its message in `errors`)."""
    return _date_of_birth(raw.strip(), errors)


def _date_of_birth(raw: str, errors: dict[str, str]) -> date | None:
    if not _ISO_DATE.match(raw):
        errors["date_of_birth"] = _("Enter your date of birth as YYYY-MM-DD.")
        return None
    try:
        born = date.fromisoformat(raw)
    except ValueError:
        errors["date_of_birth"] = _("This date does not exist: check the day and the month.")
        return None
    # The clinic's zone is not known here; east of Greenwich its date runs a day ahead of UTC's.
    today = clock.now().date() + timedelta(days=1)
    if born > today:
        errors["date_of_birth"] = _("Your date of birth cannot be in the future.")
    elif born.year < today.year - OLDEST:
        errors["date_of_birth"] = _("Check the year of your date of birth.")
    else:
        return born
    return None


def parse_cell_phone(raw: str, *, country: str) -> tuple[str | None, str]:
    """A typed cell phone number: (its E.164 form, "") or (None, the message for the field)."""
    number = normalise.phone_e164(raw, region=country) if len(raw) <= PHONE_MAX else None
    if number is None:
        return None, _(
            "Enter a valid cell phone number, e.g. %(example)s.",
            example=normalise.example_cell(country),
        )
    if not normalise.can_receive_texts(number):
        return None, _("This number cannot receive text messages: enter a cell phone number.")
    return number, ""
