"""SPEC §5's matching rules, one at a time, with the variants a person would still call equal."""

from dataclasses import replace
from datetime import date

import pytest

from app.patients.forms import IdentityForm
from app.patients.matching import FileIdentity, match
from app.patients.normalise import fold_name

FILE = FileIdentity(
    patient_id=7,
    first_name="Jean",
    last_name="Côté",
    date_of_birth=date(1972, 11, 3),
    sex="M",
    health_insurance_number="COTJ72110318",
    contacts=frozenset({"jean.cote@example.org", "+15145550102"}),
)
FORM = IdentityForm(
    first_name="Jean",
    last_name="Côté",
    date_of_birth=date(1972, 11, 3),
    sex="M",
    health_insurance_number=None,
    cell_phone=None,
    email="jean.cote@example.org",
)


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("  Côté ", "cote"),
        ("CÔTÉ", "cote"),
        ("Hélène-Œuvre", "helene-oeuvre"),
        ("O’Neil", "o'neil"),
        ("Marie   Ève", "marie eve"),
        ("Ñúñez", "nunez"),
    ],
)
def test_names_fold_away_case_accents_and_stray_spaces(typed, kept):
    assert fold_name(typed) == kept


def test_names_keep_what_tells_people_apart():
    assert fold_name("Marie-Ève") != fold_name("Marie Ève")
    assert fold_name("Coté") != fold_name("Cotté")


def test_every_detail_equal_identifies():
    assert match(FORM, [FILE]) == 7


@pytest.mark.parametrize(
    "first, last",
    [("jean", "cote"), ("JEAN", "CÔTÉ"), ("  Jean ", " Cote  "), ("Jéan", "Côte")],
)
def test_case_accent_and_space_variants_still_identify(first, last):
    assert match(replace(FORM, first_name=first, last_name=last), [FILE]) == 7


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Jeanne"},
        {"last_name": "Côtés"},
        {"date_of_birth": date(1972, 11, 4)},  # one wrong character
        {"date_of_birth": date(1973, 11, 3)},
        {"sex": "X"},
        {"email": "jean.cote@example.com"},  # a contact the file does not have
    ],
)
def test_one_different_detail_identifies_nobody(change):
    assert match(replace(FORM, **change), [FILE]) is None


def test_any_one_contact_on_the_file_is_enough():
    assert match(replace(FORM, email=None, cell_phone="+15145550102"), [FILE]) == 7
    assert match(replace(FORM, email="nouveau@example.org", cell_phone="+15145550102"), [FILE]) == 7
    assert match(replace(FORM, email=None, cell_phone="+15145550199"), [FILE]) is None


def test_emails_compare_without_case_even_when_the_file_kept_capitals():
    shouting = replace(FILE, contacts=frozenset({"Jean.Cote@Example.ORG"}))
    assert match(FORM, [shouting]) == 7


def test_the_health_insurance_number_identifies_despite_other_details():
    typo = replace(
        FORM,
        first_name="Jaen",
        last_name="Coté",
        sex="X",
        email="autre@example.org",
        health_insurance_number="COTJ72110318",
    )
    assert match(typo, [FILE]) == 7


def test_the_number_alone_is_not_enough_without_the_same_date_of_birth():
    wrong_birth = replace(
        FORM, health_insurance_number="COTJ72110318", date_of_birth=date(1972, 11, 4)
    )
    assert match(wrong_birth, [FILE]) is None


def test_a_number_the_file_lacks_falls_back_on_the_details():
    no_number_on_file = replace(FILE, health_insurance_number=None)
    with_number = replace(FORM, health_insurance_number="COTJ72110318")
    assert match(with_number, [no_number_on_file]) == 7
    assert match(replace(with_number, email="autre@example.org"), [no_number_on_file]) is None


def test_two_files_answering_alike_identify_nobody():
    twin = replace(FILE, patient_id=8)
    assert match(FORM, [FILE, twin]) is None
    assert match(replace(FORM, health_insurance_number="COTJ72110318"), [FILE, twin]) is None


def test_the_number_wins_over_another_file_matching_by_details():
    other = replace(FILE, patient_id=9, health_insurance_number="COTJ72110319")
    assert match(replace(FORM, health_insurance_number="COTJ72110319"), [FILE, other]) == 9


def test_no_file_identifies_nobody():
    assert match(FORM, []) is None
