"""The schedule forms' parsers: typed values out of text, every error at once, the RRULE
built by the library from the weekdays ticked, times in the clinic's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from app.staff.schedules.forms import Choice, Choices, parse_manual, parse_recurrence

CHOICES = Choices(
    practitioners=(Choice(3, "Dre Julie Roy"),),
    sites=(Choice(1, "Centre-ville"),),
    activities=(Choice(7, "Suivi"),),
    templates=(),
)


def test_a_manual_opening_reads_into_typed_values_with_the_publication_in_utc():
    form, errors = parse_manual(
        {
            "manual-practitioner": "3",
            "manual-site": "1",
            "manual-activity": "7",
            "manual-day": "2026-12-07",
            "manual-start": "09:00",
            "manual-end": "10:30",
            "manual-publish_at": "2026-12-01T08:00",
        },
        CHOICES,
        "America/Montreal",
    )
    assert errors == {}
    assert (form.day, form.start, form.end) == (date(2026, 12, 7), time(9), time(10, 30))
    assert form.publish_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # EST is UTC-5


def test_every_error_at_once_keyed_by_its_field():
    form, errors = parse_manual(
        {"manual-practitioner": "4", "manual-site": "١", "manual-start": "9h", "manual-end": ""},
        CHOICES,
        "America/Montreal",
    )
    assert form is None
    assert set(errors) == {
        "manual-practitioner",
        "manual-site",
        "manual-activity",
        "manual-day",
        "manual-start",
        "manual-end",
    }


def test_the_rrule_comes_from_the_weekdays_ticked_and_nothing_typed_reaches_it():
    data = {
        "recurrence-practitioner": "3",
        "recurrence-site": "1",
        "recurrence-activity": "7",
        "recurrence-weekday-1": "on",
        "recurrence-weekday-4": "on",
        "recurrence-weekday-5": ";COUNT=1",  # not "on": not ticked
        "recurrence-start": "13:00",
        "recurrence-end": "15:00",
        "recurrence-first_day": "2026-12-07",
        "recurrence-until": "2027-01-31",
    }
    form, errors = parse_recurrence(data, CHOICES)
    assert errors == {}
    assert form.rule == "FREQ=WEEKLY;UNTIL=20270131;BYDAY=TU,FR"
