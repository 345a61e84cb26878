"""Health insurance numbers: the shapes a clinic accepts, checked with a message a
patient can act on. Values reach here already normalised (app.patients.normalise.hin)."""

from __future__ import annotations

import calendar
import re
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.fr import nir

from app.i18n import gettext

FORMATS = ("qc_ramq", "fr_nir", "any")
MAX_LENGTH = 32
_RAMQ = re.compile(r"^[A-Z]{4}\d{8}$")
_ANY = re.compile(r"^[A-Z0-9]+$")
FEMALE_MONTH_OFFSET = 50  # RAMQ adds 50 to the month of birth for women


def error(
    value: str, *, hin_format: str, date_of_birth: date | None, sex: str | None
) -> str | None:
    """None when `value` is acceptable for the clinic, else what to tell the patient.
    `date_of_birth` and `sex` (None when not valid themselves) let a Quebec number be
    checked against them, which catches a mistyped digit before it matches nobody."""
    if hin_format == "qc_ramq":
        return _ramq_error(value, date_of_birth, sex)
    if hin_format == "fr_nir":
        return _nir_error(value)
    if hin_format == "any":
        if len(value) > MAX_LENGTH or not _ANY.match(value):
            return gettext("Enter your health insurance number with letters and digits only.")
        return None
    raise ValueError(f"unknown health insurance number format {hin_format!r}")


def _ramq_error(value: str, date_of_birth: date | None, sex: str | None) -> str | None:
    shape = gettext(
        "Enter your health insurance number as on your card: "
        "4 letters then 8 digits, e.g. ABCD 8554 1219."
    )
    if not _RAMQ.match(value):
        return shape
    year, month, day = int(value[4:6]), int(value[6:8]), int(value[8:10])
    female = month > FEMALE_MONTH_OFFSET
    month -= FEMALE_MONTH_OFFSET if female else 0
    # A leap year, so 29 February passes before the century is known.
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(2000, month)[1]):
        return shape
    if date_of_birth is not None and (year, month, day) != (
        date_of_birth.year % 100,
        date_of_birth.month,
        date_of_birth.day,
    ):
        return gettext("This health insurance number does not match your date of birth.")
    if (sex == "F" and not female) or (sex == "M" and female):
        return gettext(
            "This health insurance number does not match the sex you chose "
            "(for women, 50 is added to the month of birth)."
        )
    return None


def _nir_error(value: str) -> str | None:
    try:
        nir.validate(value)
    except stdnum_errors.InvalidChecksum:
        return gettext("This social security number is not valid: check each digit.")
    except stdnum_errors.ValidationError:
        return gettext("Enter your social security number: 15 characters, as on your Carte Vitale.")
    return None
