"""Whether a person may see an online service, and whose slots it offers them: pure
functions over what the file says, so every criterion is tested without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rules:
    requires_file: bool = False
    requires_file_number: bool = False
    requires_family_doctor: bool = False
    family_doctors: frozenset[int] = (
        frozenset()
    )  # "family doctor is one of …"; empty: no such criterion
    min_age: int | None = None
    max_age: int | None = None
    sexes: frozenset[str] = frozenset()  # empty: any
    with_own_family_doctor: bool = False

    @property
    def open_to_all(self) -> bool:
        """No criterion: anyone may book it, with or without a file (SPEC §4)."""
        return self == Rules()


@dataclass(frozen=True)
class PatientFacts:
    """What eligibility reads from an identified patient's file."""

    date_of_birth: date
    sex: str
    file_number: str | None
    family_doctor_id: int | None  # only when an active practitioner of the same clinic


def age_on(date_of_birth: date, today: date) -> int:
    """Full years; someone born on 29 February turns a year older on 1 March."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def is_eligible(rules: Rules, patient: PatientFacts | None, today: date) -> bool:
    """`patient` is None for someone the portal did not identify: only services open to
    all are theirs. Every criterion set must hold (they combine with AND)."""
    if rules.open_to_all:
        return True
    if patient is None:
        return False
    age = age_on(patient.date_of_birth, today)
    needs_family_doctor = rules.requires_family_doctor or rules.with_own_family_doctor
    return all(
        (
            not rules.requires_file_number or bool((patient.file_number or "").strip()),
            not needs_family_doctor or patient.family_doctor_id is not None,
            not rules.family_doctors or patient.family_doctor_id in rules.family_doctors,
            rules.min_age is None or age >= rules.min_age,
            rules.max_age is None or age <= rules.max_age,
            not rules.sexes or patient.sex in rules.sexes,
        )
    )


def practitioners(
    rules: Rules, include: frozenset[int], exclude: frozenset[int], patient: PatientFacts | None
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(include, exclude) for the availability search, empty include meaning everyone;
    None when nobody is left (the service's own list leaves out the patient's doctor)."""
    if rules.with_own_family_doctor:
        doctor = patient.family_doctor_id if patient else None
        if doctor is None or (include and doctor not in include):
            return None
        include = frozenset({doctor})
    return tuple(sorted(include)), tuple(sorted(exclude))
