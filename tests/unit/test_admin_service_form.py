"""The online service form read from posted text, and who may book it said in words:
pure functions, every case without a database."""

from __future__ import annotations

import pytest

from app import i18n
from app.online_services.eligibility import Rules
from app.staff.admin_services_form import (
    Choice,
    ServiceChoices,
    form_values,
    parse_service,
    who_can_book,
)

CHOICES = ServiceChoices(
    activities=(Choice(1, "Suivi"), Choice(2, "Vaccination")),
    practitioners=(Choice(10, "Dre Julie Roy"), Choice(11, "Dr Marc Gagnon")),
)
VALID = {"name_fr": "Suivi", "name_en": "Follow-up", "activity-1": "on", "active": "on"}


@pytest.fixture(autouse=True)
def english():
    i18n.activate("en")
    yield
    i18n.activate("fr")


def test_a_valid_form_reads_every_field_and_round_trips():
    data = {
        **VALID,
        "include-10": "on",
        "exclude-11": "on",
        "family_doctor-10": "on",
        "min_age": "18",
        "sex-F": "on",
        "sex-X": "on",
        "requires_file_number": "on",
        "activity-99": "on",  # not this clinic's: ignored
    }
    form, errors = parse_service(data, CHOICES)
    assert errors == {} and form is not None
    assert form.activities == {1} and form.include == {10} and form.exclude == {11}
    assert form.rules.family_doctors == {10} and form.rules.min_age == 18
    assert form.sexes == "FX" and form.rules.requires_file_number and form.active
    assert parse_service(form_values(form), CHOICES)[0] == form


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_fr": " "}, "name_fr"),
        ({"activity-1": ""}, "activities"),
        ({"min_age": "-1"}, "min_age"),
        ({"min_age": "²"}, "min_age"),
        ({"max_age": "131"}, "max_age"),
        ({"min_age": "9", "max_age": "8"}, "max_age"),
        ({"include-10": "on", "exclude-10": "on"}, "exclude"),
    ],
)
def test_each_bad_field_has_its_message(changes, field):
    form, errors = parse_service({**VALID, **changes}, CHOICES)
    assert form is None and field in errors


def test_no_criterion_is_open_to_everyone():
    assert who_can_book(Rules(), CHOICES) == []


def test_the_criteria_in_words():
    rules = Rules(
        requires_file=True,
        family_doctors=frozenset({10}),
        min_age=65,
        sexes=frozenset({"F"}),
    )
    assert who_can_book(rules, CHOICES) == [
        "Has a file at the clinic",
        "Family doctor is one of: Dre Julie Roy",
        "Aged 65 years or more",
        "Sex: female",
    ]
    assert who_can_book(Rules(max_age=1), CHOICES) == [
        "Identified patients only",
        "Aged 1 year or less",
    ]
    assert who_can_book(Rules(min_age=2, max_age=12), CHOICES)[1] == "Aged 2 to 12"
