"""Matching by health insurance number also needs the last name and the date of birth
(SPEC §5, as hardened): a Quebec number is the name, the date of birth and the sex but
for two digits, so the number alone must never open a file."""

from dataclasses import replace
from datetime import date

import pytest

from app.patients.forms import IdentityForm
from app.patients.matching import FileIdentity, match

JEAN = FileIdentity(
    patient_id=7,
    first_name="Jean",
    last_name="Côté",
    date_of_birth=date(1972, 11, 3),
    sex="M",
    health_insurance_number="COTJ72110318",
    contacts=frozenset({"jean.cote@example.org"}),
)
# Someone who has Jean's number, and nothing on his file.
GUESS = IdentityForm(
    first_name="Evil",
    last_name="Person",
    date_of_birth=date(1972, 11, 3),
    sex="M",
    health_insurance_number="COTJ72110318",
    cell_phone="+14385550666",
    email=None,
)


def test_the_number_with_another_last_name_identifies_nobody():
    assert match(GUESS, [JEAN]) is None


def test_the_number_with_another_date_of_birth_identifies_nobody():
    assert match(replace(GUESS, last_name="Côté", date_of_birth=date(1972, 11, 4)), [JEAN]) is None


@pytest.mark.parametrize("last_name", ["Côté", "cote", "  COTE ", "Côte", "CÔTÉ"])
def test_the_number_with_the_last_name_however_written_and_the_date_of_birth_identifies(last_name):
    # The first name, the sex and the contacts may all be off: the number is the best identifier.
    assert match(replace(GUESS, last_name=last_name), [JEAN]) == 7


@pytest.mark.parametrize("last_name", ["Côtés", "Coté-Tremblay", "Cotte"])
def test_a_last_name_that_differs_by_more_than_accents_case_or_spaces_identifies_nobody(last_name):
    assert match(replace(GUESS, last_name=last_name), [JEAN]) is None


def test_a_refused_number_falls_back_on_the_details_which_must_all_match():
    # Right last name and date of birth, but the number belongs to nobody: the other
    # details then decide, and a phone the file lacks decides nothing.
    no_such_number = replace(GUESS, last_name="Côté", health_insurance_number="COTJ72110399")
    assert match(no_such_number, [JEAN]) is None
    assert (
        match(replace(no_such_number, first_name="Jean", email="jean.cote@example.org"), [JEAN])
        == 7
    )
