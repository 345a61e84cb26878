"""Finding a patient's file at the front desk: by name (part of it, accents and case
ignored), date of birth, health insurance number or phone number in any format, or
several of these at once ("tremblay 1985-04-12"). Files of this clinic only, a few at a
time: the person on the phone is one of them, or the secretary types more.

The one search of the staff area: the patients page (staff:patients) and the slot
dialog both call find_patients. Names are compared folded (app.patients.normalise.fold_name)
through the files' folded name columns, kept on write: each name word typed is a prefix of
the first or the last name, an index range per clinic (patients migration 0008). Dates,
health insurance numbers, file numbers and whole phone numbers are index lookups too; only
a few digits of a phone ("the last four") read the clinic's phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.patients.normalise import fold_name, hin, phone_e164
from app.patients.tables import ContactDetail, Patient
from app.staff.appointments.views import SUMMARY_COLUMNS, PatientSummary, summaries_of

LIMIT = 20  # files a page
MAX_PAGE = 50
# Above every character a folded name or a number holds: "trem" .. "trem\uffff" is every
# value that starts with "trem", compared byte by byte (C collation, SQLite's binary).
_TOP = "\uffff"
MAX_QUERY = 100
MIN_DIGITS = 4  # fewer digits than this match too many numbers to mean anything
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_PHONEISH = re.compile(r"^[\d\s().+\-]+$")
_HINISH = re.compile(r"^[A-Z]{1,4}\d*$|^\d+$")
_WHOLE_HIN = re.compile(r"^[A-Z]{1,4}\d{2,}$")  # "TREM 8554 1219" typed in groups


@dataclass(frozen=True)
class Query:
    """What the secretary typed, read as a date of birth, name words, and a number."""

    birth_date: date | None
    words: tuple[str, ...]  # folded name parts
    number: str  # a HIN or a phone number as typed, "" when none

    @property
    def empty(self) -> bool:
        return self.birth_date is None and not self.words and not self.number


def _date(token: str) -> date | None:
    found = _ISO.match(token)
    parts = (found.group(1), found.group(2), found.group(3)) if found else None
    if not parts and (found := _DMY.match(token)):
        parts = (found.group(3), found.group(2), found.group(1))
    if not parts:
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def read_query(text: str) -> Query:
    text = " ".join(text.split())[:MAX_QUERY]
    if _PHONEISH.match(text) and not _date(text) and len(re.sub(r"\D", "", text)) >= MIN_DIGITS:
        return Query(None, (), text)  # "514 555-0101", "+1 (514) 555 0101"
    if _WHOLE_HIN.match(hin(text)):
        return Query(None, (), text)
    birth_date, words, number = None, [], ""
    for token in text.split(" "):
        day = _date(token)
        if day:
            birth_date = day
        elif _HINISH.match(hin(token)) and any(c.isdigit() for c in token):
            number += token
        elif token:
            words.append(fold_name(token))
    return Query(birth_date, tuple(w for w in words if w), number)


async def _ids_by_number(clinic_id: int, number: str, country: str) -> set[int]:
    """Files whose HIN starts with the number, whose file number is it, or with this
    phone. One indexed query each (an OR across columns would scan the clinic's files)."""
    found: set[int] = set()
    normal = hin(number)
    if len(normal) >= MIN_DIGITS and normal.isascii() and normal.isalnum():
        rows = await Patient.select(Patient.id).where(
            (Patient.clinic == clinic_id) & _starts(Patient.health_insurance_number, normal)
        )
        found |= {row["id"] for row in rows}
    rows = await Patient.select(Patient.id).where(
        (Patient.clinic == clinic_id) & Patient.file_number.is_in(_file_numbers(number))
    )
    found |= {row["id"] for row in rows}
    digits = re.sub(r"\D", "", number)
    # Letters make it a HIN or a file number, not a phone.
    if len(digits) >= MIN_DIGITS and not re.search(r"[A-Za-z]", number):
        e164 = phone_e164(number, region=country)
        # The whole number when it is one (an index lookup); else the digits typed,
        # anywhere in the number (the last digits people remember): that one reads the
        # clinic's phone numbers.
        condition = (
            (ContactDetail.value == e164) if e164 else ContactDetail.value.like(f"%{digits}%")
        )
        rows = await ContactDetail.select(ContactDetail.patient).where(
            (ContactDetail.clinic == clinic_id)
            & ContactDetail.kind.is_in(["cell", "home"])
            & condition
        )
        found |= {row["patient"] for row in rows}
    return found


def _file_numbers(number: str) -> list[str]:
    """A file number as typed, in capitals, or without its separators (D-1042, d1042)."""
    return sorted({number.strip(), number.strip().upper(), hin(number)})


def _starts(column, prefix: str):
    return (column >= prefix) & (column < prefix + _TOP)


@dataclass(frozen=True)
class Found:
    """One page of files answering the query, by name."""

    patients: list[PatientSummary]
    page: int
    more: bool  # a next page exists


async def search_patients(*, clinic_id: int, text: str, country: str, page: int = 1) -> Found:
    """The files of this clinic answering every part of the query, LIMIT a page, in the
    order of their folded last and first names."""
    page = min(max(page, 1), MAX_PAGE)
    query = read_query(text)
    if query.empty:
        return Found([], page, False)
    # A file merged into another one is no longer the patient's: the one kept is found.
    where = (Patient.clinic == clinic_id) & (Patient.status == "active")
    if query.birth_date:
        where &= Patient.date_of_birth == query.birth_date
    if query.number:
        ids = await _ids_by_number(clinic_id, query.number, country)
        if not ids:
            return Found([], page, False)
        where &= Patient.id.is_in(sorted(ids))
    for word in query.words:
        where &= _starts(Patient.folded_last, word) | _starts(Patient.folded_first, word)
    rows = (
        await Patient.select(*SUMMARY_COLUMNS)
        .where(where)
        .order_by(Patient.folded_last, Patient.folded_first, Patient.id)
        .limit(LIMIT + 1)
        .offset((page - 1) * LIMIT)
    )
    patients = await summaries_of(clinic_id=clinic_id, rows=rows[:LIMIT])
    return Found(patients, page, len(rows) > LIMIT)


async def find_patients(*, clinic_id: int, text: str, country: str) -> list[PatientSummary]:
    """The first page, for the slot dialog."""
    found = await search_patients(clinic_id=clinic_id, text=text, country=country)
    return found.patients
