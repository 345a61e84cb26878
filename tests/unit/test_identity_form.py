"""Step A's form: what a patient types, the normal forms kept, and the messages shown."""

from datetime import date

import pytest

from app import i18n
from app.patients.forms import IdentityForm, parse_identity
from tests.moments import freeze

MARIE = {
    "first_name": "Marie",
    "last_name": "Tremblay",
    "date_of_birth": "1985-04-12",
    "sex": "F",
    "health_insurance_number": "TREM 8554 1219",
    "cell_phone": "514 555 0101",
    "email": "Marie.Tremblay@Example.org",
    "accept_terms": "on",
}


@pytest.fixture(autouse=True)
def english():
    i18n.activate("en")
    yield
    i18n.activate("fr")


def parse(country="CA", hin_format="qc_ramq", **changes):
    return parse_identity({**MARIE, **changes}, country=country, hin_format=hin_format)


def test_a_complete_form_comes_out_normalised():
    form, errors = parse(first_name="  Marie  ", last_name=" Tremblay ")
    assert errors == {}
    assert form == IdentityForm(
        first_name="Marie",
        last_name="Tremblay",
        date_of_birth=date(1985, 4, 12),
        sex="F",
        health_insurance_number="TREM85541219",
        cell_phone="+15145550101",
        email="marie.tremblay@example.org",
    )


def test_the_form_survives_a_round_trip_through_json():
    form, _ = parse()
    assert IdentityForm.from_dict(form.to_dict()) == form
    assert form.to_dict()["date_of_birth"] == "1985-04-12"


@pytest.mark.parametrize(
    "typed", ["514 555 0101", "(514) 555-0101", "+1 514-555-0101", "1-514-555-0101", "5145550101"]
)
def test_a_phone_typed_in_any_usual_format_is_kept_in_e164(typed):
    form, errors = parse(cell_phone=typed)
    assert errors == {} and form.cell_phone == "+15145550101"


def test_a_french_clinic_reads_national_numbers_as_french():
    form, errors = parse(
        country="FR", hin_format="any", health_insurance_number="", cell_phone="06 12 34 56 78"
    )
    assert errors == {} and form.cell_phone == "+33612345678"


def test_a_number_that_is_not_a_phone_number_is_refused_with_an_example():
    _, errors = parse(cell_phone="555-01")
    assert errors == {"cell_phone": "Enter a valid cell phone number, e.g. (506) 234-5678."}


def test_a_landline_cannot_be_the_cell_phone():
    _, errors = parse(
        country="FR", hin_format="any", health_insurance_number="", cell_phone="01 45 55 01 00"
    )
    assert errors == {
        "cell_phone": "This number cannot receive text messages: enter a cell phone number."
    }


def test_one_contact_is_enough_but_none_is_not():
    form, errors = parse(cell_phone="")
    assert errors == {} and form.cell_phone is None and form.email == "marie.tremblay@example.org"
    form, errors = parse(email="  ")
    assert errors == {} and form.email is None
    _, errors = parse(cell_phone="", email="")
    assert errors == {"cell_phone": "Enter a cell phone or an email."}


@pytest.mark.parametrize(
    "typed", ["marie", "marie@", "marie@example", "ma rie@example.org", "a@b@example.org"]
)
def test_a_malformed_email_is_refused(typed):
    _, errors = parse(email=typed)
    assert errors == {"email": "Enter a valid email address, e.g. name@example.com."}


def test_names_sex_and_terms_are_required():
    form, errors = parse_identity({}, country="CA", hin_format="qc_ramq")
    assert form is None
    assert errors == {
        "first_name": "Enter your first name.",
        "last_name": "Enter your last name.",
        "date_of_birth": "Enter your date of birth as YYYY-MM-DD.",
        "sex": "Choose your sex.",
        "cell_phone": "Enter a cell phone or an email.",
        "accept_terms": "You must accept the terms and conditions.",
    }


def test_terms_must_be_ticked():
    _, errors = parse(accept_terms="off")
    assert errors == {"accept_terms": "You must accept the terms and conditions."}


@pytest.mark.parametrize("sex", ["F", "M", "X", "x"])
def test_sex_is_f_m_or_x(sex):
    form, errors = parse(sex=sex, health_insurance_number="")
    assert errors == {} and form.sex == sex.upper()


def test_any_other_sex_is_refused():
    assert parse(sex="Q", health_insurance_number="")[1] == {"sex": "Choose your sex."}


def test_a_very_long_name_is_refused():
    assert parse(last_name="T" * 101)[1] == {"last_name": "Keep this under 100 characters."}


@pytest.mark.parametrize("typed", ["12/04/1985", "1985-4-12", "19850412", "hier"])
def test_the_date_of_birth_must_be_written_as_iso(typed):
    assert parse(date_of_birth=typed, health_insurance_number="")[1] == {
        "date_of_birth": "Enter your date of birth as YYYY-MM-DD."
    }


def test_a_date_that_does_not_exist_is_named_as_such():
    assert parse(date_of_birth="1985-02-30", health_insurance_number="")[1] == {
        "date_of_birth": "This date does not exist: check the day and the month."
    }


def test_a_date_of_birth_in_the_future_or_too_old_is_refused():
    freeze()
    assert parse(date_of_birth="2026-12-01", health_insurance_number="")[1] == {
        "date_of_birth": "Your date of birth cannot be in the future."
    }
    assert parse(date_of_birth="1885-04-12", health_insurance_number="")[1] == {
        "date_of_birth": "Check the year of your date of birth."
    }
    assert parse(date_of_birth="2026-11-23", health_insurance_number="")[1] == {}


# -- health insurance numbers ------------------------------------------------------


def test_the_health_insurance_number_is_optional():
    form, errors = parse(health_insurance_number="   ")
    assert errors == {} and form.health_insurance_number is None


@pytest.mark.parametrize("typed", ["trem85541219", "TREM-8554-1219", " trem 8554 1219 "])
def test_a_quebec_number_is_kept_upper_case_without_separators(typed):
    form, errors = parse(health_insurance_number=typed)
    assert errors == {} and form.health_insurance_number == "TREM85541219"


@pytest.mark.parametrize(
    "typed",
    [
        "TRE85541219",
        "TREM8554121",
        "TREM855412190",
        "1REM85541219",
        "TREM8554121A",
        "TREM85131219",
        "TREM85631219",
        "TREM85540019",
        "TREM85543219",
    ],
)
def test_a_malformed_quebec_number_gets_the_expected_shape(typed):
    assert parse(health_insurance_number=typed)[1] == {
        "health_insurance_number": "Enter your health insurance number as on your card: "
        "4 letters then 8 digits, e.g. ABCD 8554 1219."
    }


def test_a_quebec_number_must_carry_the_date_of_birth():
    assert parse(health_insurance_number="TREM85541319")[1] == {
        "health_insurance_number": "This health insurance number does not match your date of birth."
    }


def test_a_quebec_number_adds_50_to_the_month_for_women_only():
    mismatch = {
        "health_insurance_number": "This health insurance number does not match the sex you chose "
        "(for women, 50 is added to the month of birth)."
    }
    assert parse(sex="M")[1] == mismatch  # TREM 85 54 …: a woman's number
    assert parse(sex="F", health_insurance_number="TREM85041219")[1] == mismatch
    assert parse(sex="M", health_insurance_number="TREM85041219")[1] == {}
    assert parse(sex="X")[1] == {}
    assert parse(sex="X", health_insurance_number="TREM85041219")[1] == {}


def test_29_february_is_a_valid_quebec_birthday():
    assert parse(date_of_birth="1984-02-29", health_insurance_number="TREM84522919")[1] == {}


def test_a_french_clinic_takes_a_social_security_number():
    form, errors = parse(
        country="FR",
        hin_format="fr_nir",
        cell_phone="",
        health_insurance_number="2 90 05 75 123 456 69",
    )
    assert errors == {} and form.health_insurance_number == "290057512345669"


def test_a_french_number_with_a_wrong_digit_or_length_is_refused():
    _, errors = parse(
        country="FR",
        hin_format="fr_nir",
        cell_phone="",
        health_insurance_number="2 90 05 75 123 456 68",
    )
    assert errors == {
        "health_insurance_number": "This social security number is not valid: check each digit."
    }
    _, errors = parse(
        country="FR", hin_format="fr_nir", cell_phone="", health_insurance_number="2 90 05 75 123"
    )
    assert errors == {
        "health_insurance_number": "Enter your social security number: 15 characters, as on your Carte Vitale."  # noqa: E501 - the text as read
    }
    # A Quebec number means nothing to a French clinic.
    _, errors = parse(country="FR", hin_format="fr_nir", cell_phone="")
    assert set(errors) == {"health_insurance_number"}


def test_a_clinic_taking_any_format_only_wants_letters_and_digits():
    form, errors = parse(hin_format="any", health_insurance_number="abc-123 456")
    assert errors == {} and form.health_insurance_number == "ABC123456"
    _, errors = parse(hin_format="any", health_insurance_number="ABC/123")
    assert errors == {
        "health_insurance_number": "Enter your health insurance number with letters and digits only."  # noqa: E501 - the text as read
    }


def test_messages_follow_the_patients_language():
    i18n.activate("fr")
    _, errors = parse(
        date_of_birth="12/04/1985",
        cell_phone="",
        email="",
        accept_terms="",
        health_insurance_number="",
    )
    assert errors == {
        "date_of_birth": "Entrez votre date de naissance au format AAAA-MM-JJ.",
        "cell_phone": "Entrez un numéro de cellulaire ou un courriel.",
        "accept_terms": "Vous devez accepter les conditions d'utilisation.",
    }
