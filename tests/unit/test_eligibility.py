"""Each eligibility criterion alone, with its negative, then combined."""

from datetime import date

import pytest

from app.online_services.eligibility import PatientFacts, Rules, age_on, is_eligible, practitioners

TODAY = date(2026, 11, 23)
ROY, GAGNON, LAVOIE = 1, 2, 3
MARIE = PatientFacts(
    date_of_birth=date(1985, 4, 12), sex="F", file_number=None, family_doctor_id=ROY
)
JEAN = PatientFacts(
    date_of_birth=date(1972, 11, 3), sex="M", file_number="D-1002", family_doctor_id=None
)


def eligible(rules: Rules, patient: PatientFacts | None) -> bool:
    return is_eligible(rules, patient, TODAY)


def test_a_service_without_criteria_is_open_to_everyone():
    assert Rules().open_to_all
    assert eligible(Rules(), None) and eligible(Rules(), MARIE) and eligible(Rules(), JEAN)


@pytest.mark.parametrize(
    "rules",
    [
        Rules(requires_file=True),
        Rules(requires_file_number=True),
        Rules(requires_family_doctor=True),
        Rules(family_doctors=frozenset({ROY})),
        Rules(min_age=18),
        Rules(max_age=99),
        Rules(sexes=frozenset("FMX")),
        Rules(with_own_family_doctor=True),
    ],
)
def test_any_criterion_turns_away_someone_without_a_file(rules):
    assert not rules.open_to_all
    assert not eligible(rules, None)


def test_has_a_file():
    assert eligible(Rules(requires_file=True), MARIE)
    assert eligible(Rules(requires_file=True), JEAN)


def test_has_a_file_number():
    assert eligible(Rules(requires_file_number=True), JEAN)
    assert not eligible(Rules(requires_file_number=True), MARIE)
    blank = PatientFacts(
        date_of_birth=date(1990, 1, 1), sex="F", file_number="  ", family_doctor_id=None
    )
    assert not eligible(Rules(requires_file_number=True), blank)


def test_has_a_family_doctor_at_the_clinic():
    assert eligible(Rules(requires_family_doctor=True), MARIE)
    assert not eligible(Rules(requires_family_doctor=True), JEAN)


def test_family_doctor_is_one_of():
    assert eligible(Rules(family_doctors=frozenset({ROY, GAGNON})), MARIE)
    assert not eligible(Rules(family_doctors=frozenset({GAGNON, LAVOIE})), MARIE)
    assert not eligible(Rules(family_doctors=frozenset({ROY})), JEAN)


@pytest.mark.parametrize(
    "min_age, max_age, expected",
    [
        (41, None, True),
        (42, None, False),
        (None, 41, True),
        (None, 40, False),
        (18, 64, True),
        (0, 17, False),
    ],
)
def test_age_between_is_inclusive(min_age, max_age, expected):
    assert age_on(MARIE.date_of_birth, TODAY) == 41
    assert eligible(Rules(min_age=min_age, max_age=max_age), MARIE) is expected


def test_age_turns_on_the_birthday():
    assert age_on(date(2008, 11, 23), TODAY) == 18
    assert age_on(date(2008, 11, 24), TODAY) == 17
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_sex():
    assert eligible(Rules(sexes=frozenset("F")), MARIE)
    assert not eligible(Rules(sexes=frozenset("F")), JEAN)
    assert eligible(Rules(sexes=frozenset("MX")), JEAN)


def test_criteria_combine_all_must_hold():
    women_of_roy_over_40 = Rules(
        requires_file=True, family_doctors=frozenset({ROY}), min_age=40, sexes=frozenset("F")
    )
    assert eligible(women_of_roy_over_40, MARIE)
    assert not eligible(Rules(requires_family_doctor=True, min_age=50), MARIE)  # the age fails
    assert not eligible(
        Rules(requires_file_number=True, sexes=frozenset("M"), max_age=50), JEAN
    )  # the age fails
    assert eligible(Rules(requires_file_number=True, sexes=frozenset("M"), min_age=50), JEAN)


def test_practitioner_lists_pass_through():
    assert practitioners(Rules(), frozenset(), frozenset({LAVOIE}), None) == ((), (LAVOIE,))
    assert practitioners(Rules(), frozenset({GAGNON, ROY}), frozenset(), MARIE) == (
        (ROY, GAGNON),
        (),
    )


def test_with_own_family_doctor_only_offers_that_doctor():
    own = Rules(with_own_family_doctor=True)
    assert eligible(own, MARIE) and not eligible(own, JEAN)
    assert practitioners(own, frozenset(), frozenset({LAVOIE}), MARIE) == ((ROY,), (LAVOIE,))
    assert practitioners(own, frozenset({ROY, GAGNON}), frozenset(), MARIE) == ((ROY,), ())
    # The service's own list leaves the patient's doctor out: nobody is left.
    assert practitioners(own, frozenset({GAGNON}), frozenset(), MARIE) is None
    assert practitioners(own, frozenset(), frozenset(), JEAN) is None
