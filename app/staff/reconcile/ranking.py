"""Which files an unidentified patient's typed identity may be, best first, as pure
functions: the same date of birth with a similar name, or a contact in common. Names
compare folded (no case, accents or spaces: app.patients.normalise.fold_name), by a
similarity ratio, so "Heloise Lefevre" finds "Héloïse Lefèvre" and a typo still ranks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from enum import StrEnum

from app.i18n import N_
from app.patients.normalise import fold_name

# Below this, a file sharing only the date of birth is someone else born that day.
SIMILAR_NAMES = 0.6
SHOWN = 5  # files offered per appointment: the desk reads them, a long list helps nobody


class Reason(StrEnum):
    SAME_BIRTH_DATE = "same_birth_date"
    SIMILAR_NAME = "similar_name"
    SAME_EMAIL = "same_email"
    SAME_PHONE = "same_phone"
    SAME_HIN = "same_hin"


REASON_LABELS = {
    Reason.SAME_BIRTH_DATE: N_("Same date of birth"),
    Reason.SIMILAR_NAME: N_("Similar name"),
    Reason.SAME_EMAIL: N_("Same email"),
    Reason.SAME_PHONE: N_("Same phone"),
    Reason.SAME_HIN: N_("Same health insurance number"),
}


@dataclass(frozen=True)
class Typed:
    """The identity typed on the portal (the appointment's provisional identity)."""

    first_name: str
    last_name: str
    date_of_birth: date | None
    health_insurance_number: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    first_name: str
    last_name: str
    date_of_birth: date
    file_number: str | None
    contacts: frozenset[str]  # normalised values (lower-case emails, E.164 phones)
    health_insurance_number: str | None = None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    similarity: float  # of the folded names, 0..1
    reasons: tuple[Reason, ...]


def name_similarity(typed: Typed, candidate: Candidate) -> float:
    """The better of the names in order and swapped (people swap first and last names)."""
    first, last = fold_name(typed.first_name), fold_name(typed.last_name)
    other_first, other_last = fold_name(candidate.first_name), fold_name(candidate.last_name)
    in_order = SequenceMatcher(None, f"{first} {last}", f"{other_first} {other_last}").ratio()
    swapped = SequenceMatcher(None, f"{last} {first}", f"{other_first} {other_last}").ratio()
    return max(in_order, swapped)


def rank(typed: Typed, candidates: list[Candidate]) -> list[Ranked]:
    """The candidates worth showing, best first (ties: the lower file id, the older file)."""
    ranked = []
    for candidate in candidates:
        similarity = name_similarity(typed, candidate)
        reasons: list[Reason] = []
        contacts = {value.lower() for value in candidate.contacts}
        if typed.health_insurance_number and (
            typed.health_insurance_number == candidate.health_insurance_number
        ):
            reasons.append(Reason.SAME_HIN)
        if typed.email and typed.email.lower() in contacts:
            reasons.append(Reason.SAME_EMAIL)
        if typed.phone and typed.phone in contacts:
            reasons.append(Reason.SAME_PHONE)
        same_birth = typed.date_of_birth is not None and (
            typed.date_of_birth == candidate.date_of_birth
        )
        similar = similarity >= SIMILAR_NAMES
        if same_birth and similar:
            reasons[:0] = [Reason.SAME_BIRTH_DATE, Reason.SIMILAR_NAME]
        if not reasons:
            continue  # the same birthday alone, or nothing in common
        # A shared identifier weighs most, then the birth date, then how alike the names are.
        score = (
            2.0 * (Reason.SAME_HIN in reasons)
            + 1.5 * (Reason.SAME_EMAIL in reasons or Reason.SAME_PHONE in reasons)
            + 1.0 * same_birth
            + similarity
        )
        ranked.append(Ranked(candidate, round(score, 3), similarity, tuple(reasons)))
    ranked.sort(key=lambda r: (-r.score, r.candidate.patient_id))
    return ranked[:SHOWN]
