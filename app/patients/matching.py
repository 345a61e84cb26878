"""When a form and a patient file are the same person (SPEC §5), as pure functions.

By health insurance number when one is typed: it must equal the file's, and so must the
last name (without case, accents or surrounding spaces) and the date of birth. A number
alone proves little (a Quebec one is derived from the name, date of birth and sex but
for two digits), and a number mistyped into someone else's must not open their file.
Otherwise first name, last name, date of birth and sex must all equal the file's
(names without case, accents or surrounding spaces) and at least one contact typed
must be on the file: the cell phone against any of its phone numbers (E.164), the
email against its emails (without case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.patients.forms import IdentityForm
from app.patients.normalise import fold_name


@dataclass(frozen=True)
class FileIdentity:
    patient_id: int
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    health_insurance_number: str | None
    contacts: frozenset[str]  # the normalised values of the contacts the file vouches for


def same_by_hin(form: IdentityForm, file: FileIdentity) -> bool:
    return (
        form.health_insurance_number is not None
        and form.health_insurance_number == file.health_insurance_number
        and fold_name(form.last_name) == fold_name(file.last_name)
        and form.date_of_birth == file.date_of_birth
    )


def same_by_details(form: IdentityForm, file: FileIdentity) -> bool:
    typed = {value.lower() for value in (form.cell_phone, form.email) if value}
    on_file = {value.lower() for value in file.contacts}
    return (
        fold_name(form.first_name) == fold_name(file.first_name)
        and fold_name(form.last_name) == fold_name(file.last_name)
        and form.date_of_birth == file.date_of_birth
        and form.sex == file.sex
        and bool(typed & on_file)
    )


def match(form: IdentityForm, files: list[FileIdentity]) -> int | None:
    """The one file this form identifies, or None. Two files answering equally
    (duplicates) identify nobody: staff attach the appointment, rather than a guess."""
    for rule in (same_by_hin, same_by_details):
        found = {file.patient_id for file in files if rule(form, file)}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None
