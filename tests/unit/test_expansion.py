"""Slot expansion in the clinic's zone: 09:00 stays 09:00 across DST changes, the
spring-forward gap opens nothing, the fall-back hour opens once, every slot lasts
its activity's duration; weekly patterns and RRULE recurrences pick the right days."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.expansion import (
    Block,
    InvalidRecurrence,
    WeeklyBlock,
    day_part,
    expand,
    recurrence_blocks,
    recurrence_days,
    template_blocks,
)

MONTREAL = "America/Montreal"
PARIS = "Europe/Paris"
# zone, the spring-forward day, the fall-back day (2026)
DST_CHANGES = [
    (MONTREAL, date(2026, 3, 8), date(2026, 11, 1)),
    (PARIS, date(2026, 3, 29), date(2026, 10, 25)),
]


def local(slot, zone: str) -> datetime:
    return slot.starts_at.astimezone(ZoneInfo(zone))


def walls(slots, zone: str) -> list[str]:
    return [local(slot, zone).strftime("%H:%M") for slot in slots]


@pytest.mark.parametrize("zone, spring, fall", DST_CHANGES)
def test_nine_o_clock_stays_nine_o_clock_local_across_both_changes(zone, spring, fall):
    for change in (spring, fall):
        days = [change - timedelta(days=1), change, change + timedelta(days=1)]
        slots = expand([Block(day, time(9, 0), time(9, 30), 1, 30) for day in days], zone)
        assert [local(s, zone).replace(tzinfo=None) for s in slots] == [
            datetime.combine(day, time(9, 0)) for day in days
        ]
        # …which is a different UTC hour before and after the change.
        assert slots[0].starts_at.hour != slots[2].starts_at.hour
        assert all(s.starts_at.tzinfo == timezone.utc for s in slots)
        assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)


@pytest.mark.parametrize("zone, spring, _fall", DST_CHANGES)
def test_a_block_through_the_spring_forward_gap_opens_no_slot_in_it(zone, spring, _fall):
    # Both zones skip 02:00–03:00. The 01:30 slot would end at 02:00, a wall time
    # that does not exist either, so it goes too.
    slots = expand([Block(spring, time(0, 0), time(5, 0), 7, 30)], zone)
    assert walls(slots, zone) == ["00:00", "00:30", "01:00", "03:00", "03:30", "04:00", "04:30"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(a.ends_at <= b.starts_at for a, b in zip(slots, slots[1:]))
    assert {s.local_date for s in slots} == {spring}


@pytest.mark.parametrize("zone, spring, _fall", DST_CHANGES)
def test_a_slot_that_would_run_through_the_gap_is_not_opened(zone, spring, _fall):
    # 01:30 + 90 min would end at 03:00 on the wall but only 30 real minutes later.
    slots = expand([Block(spring, time(0, 0), time(6, 0), 1, 90)], zone)
    assert walls(slots, zone) == ["00:00", "03:00", "04:30"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=90) for s in slots)


@pytest.mark.parametrize("zone, _spring, fall", DST_CHANGES)
def test_the_fall_back_hour_opens_once_and_every_slot_keeps_its_length(zone, _spring, fall):
    slots = expand([Block(fall, time(0, 0), time(4, 0), 1, 30)], zone)
    # The repeated hour (01:00–02:00 Montreal, 02:00–03:00 Paris) is opened on its
    # first occurrence only; no slot stretches over the repetition.
    repeated = 1 if zone == MONTREAL else 2
    hours = [local(s, zone).hour for s in slots]
    assert hours.count(repeated) == 2
    assert len(slots) == 8
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(a.ends_at <= b.starts_at for a, b in zip(slots, slots[1:]))
    first_of_repeated = next(s for s in slots if local(s, zone).hour == repeated)
    assert local(first_of_repeated, zone).fold == 0
    # The hour of wall time that happens twice is 25 hours of real time between 00:00 and 00:00.
    assert slots[-1].starts_at - slots[0].starts_at == timedelta(hours=4, minutes=30)


def test_a_long_slot_starting_in_the_repeated_hour_lasts_its_duration():
    slots = expand([Block(date(2026, 11, 1), time(0, 0), time(3, 0), 1, 90)], MONTREAL)
    assert [s.ends_at - s.starts_at for s in slots] == [timedelta(minutes=90)] * 2
    assert walls(slots, MONTREAL) == ["00:00", "01:30"]


def test_day_part_boundaries_are_clinic_local_times():
    assert day_part(time(0, 0)) == "morning"
    assert day_part(time(11, 59)) == "morning"
    assert day_part(time(12, 0)) == "afternoon"
    assert day_part(time(16, 59)) == "afternoon"
    assert day_part(time(17, 0)) == "evening"
    assert day_part(time(23, 59)) == "evening"


def test_slots_carry_their_local_day_and_day_part_not_the_utc_ones():
    # 19:00 in Montreal is 23:00 UTC; 23:30 is already the next UTC day.
    slots = expand(
        [
            Block(date(2026, 6, 2), time(11, 45), time(12, 15), 3, 15),
            Block(date(2026, 6, 2), time(23, 30), time(23, 45), 3, 15),
        ],
        MONTREAL,
    )
    assert [(s.day_part, s.local_date) for s in slots] == [
        ("morning", date(2026, 6, 2)),
        ("afternoon", date(2026, 6, 2)),
        ("evening", date(2026, 6, 2)),
    ]
    assert slots[-1].starts_at.date() == date(2026, 6, 3)
    assert {s.activity_id for s in slots} == {3}


def test_a_block_opens_only_whole_slots():
    slots = expand([Block(date(2026, 6, 2), time(9, 0), time(9, 50), 1, 20)], PARIS)
    assert walls(slots, PARIS) == ["09:00", "09:20"]


@pytest.mark.parametrize(
    "block",
    [
        Block(date(2026, 6, 2), time(10, 0), time(9, 0), 1, 15),  # ends before it starts
        Block(date(2026, 6, 2), time(9, 0), time(9, 0), 1, 15),  # empty
        Block(date(2026, 6, 2), time(9, 0), time(10, 0), 1, 0),  # no duration
        Block(date(2026, 6, 2), time(9, 0), time(9, 10), 1, 15),  # shorter than one slot
    ],
)
def test_degenerate_blocks_open_nothing(block):
    assert expand([block], MONTREAL) == []


def test_template_blocks_follow_the_weekly_pattern_over_the_range_both_ends_included():
    pattern = [
        WeeklyBlock(0, time(8, 0), time(12, 0), 1, 15),  # Monday morning
        WeeklyBlock(0, time(13, 0), time(17, 0), 2, 30),  # Monday afternoon
        WeeklyBlock(4, time(9, 0), time(11, 0), 1, 15),  # Friday
    ]
    # Friday 2026-03-06 to Monday 2026-03-16: two Mondays and two Fridays, one of
    # each on either side of Montreal's change.
    blocks = template_blocks(pattern, date(2026, 3, 6), date(2026, 3, 16))
    assert [(b.day, b.start, b.activity_id) for b in blocks] == [
        (date(2026, 3, 6), time(9, 0), 1),
        (date(2026, 3, 9), time(8, 0), 1),
        (date(2026, 3, 9), time(13, 0), 2),
        (date(2026, 3, 13), time(9, 0), 1),
        (date(2026, 3, 16), time(8, 0), 1),
        (date(2026, 3, 16), time(13, 0), 2),
    ]
    slots = expand(blocks, MONTREAL)
    mondays = [s for s in slots if s.local_date == date(2026, 3, 9)]
    assert len(mondays) == 16 + 8
    assert all(local(s, MONTREAL).hour in range(8, 17) for s in slots)
    assert template_blocks(pattern, date(2026, 3, 10), date(2026, 3, 12)) == []  # Tue–Thu


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    "rule, first_day, last_day, expected",
    [
        # 2026-01-01 is a Thursday; both ends of the range are included.
        (
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "2026-01-01",
            "2026-01-13",
            "2026-01-01 2026-01-06 2026-01-08 2026-01-13",
        ),
        # Every other week, counted from the first day's week (that of Monday 2025-12-29).
        (
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
            "2026-01-01",
            "2026-02-01",
            "2026-01-12 2026-01-26",
        ),
        # COUNT counts from the first day, across Montreal's change.
        ("FREQ=DAILY;COUNT=3", "2026-03-07", "2026-03-31", "2026-03-07 2026-03-08 2026-03-09"),
        (
            "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260119",
            "2026-01-01",
            "2026-12-31",
            "2026-01-05 2026-01-12 2026-01-19",
        ),
        # The range still bounds an UNTIL that goes further.
        ("FREQ=DAILY;UNTIL=20260110T235959Z", "2026-01-08", "2026-01-09", "2026-01-08 2026-01-09"),
        ("FREQ=MONTHLY;BYDAY=1MO", "2026-01-01", "2026-03-31", "2026-01-05 2026-02-02 2026-03-02"),
        ("FREQ=WEEKLY;BYDAY=SA", "2026-01-05", "2026-01-09", ""),
    ],
)
def test_recurrence_days(rule, first_day, last_day, expected):
    assert recurrence_days(rule, d(first_day), d(last_day)) == [d(day) for day in expected.split()]


def test_recurrence_blocks_keep_local_times_across_the_change():
    blocks = recurrence_blocks(
        "FREQ=WEEKLY;BYDAY=SU",
        date(2026, 10, 18),
        date(2026, 11, 8),
        time(9, 0),
        time(10, 0),
        4,
        30,
    )
    slots = expand(blocks, MONTREAL)
    assert [b.day for b in blocks] == [
        date(2026, 10, 18),
        date(2026, 10, 25),
        date(2026, 11, 1),
        date(2026, 11, 8),
    ]
    assert set(walls(slots, MONTREAL)) == {"09:00", "09:30"}
    assert {s.starts_at.hour for s in slots} == {13, 14}  # EDT then EST


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "   ",
        "garbage",
        "FREQ=FOO",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=DAILY;COUNT=-1",
        "FREQ=DAILY;COUNT=x",
        "FREQ=DAILY;COUNT=2;UNTIL=20260110",  # RFC 5545 forbids both
        "FREQ=HOURLY;COUNT=30",  # a schedule of days, not of hours
        "FREQ=SECONDLY",
        "BYDAY=MO",  # no FREQ
        "EXDATE:20260101",
        "FREQ=DAILY;DTSTART=20250101",
        "FREQ=DAILY\nRRULE:FREQ=WEEKLY",
    ],
)
def test_invalid_recurrence_rules_are_refused(rule):
    with pytest.raises(InvalidRecurrence):
        recurrence_days(rule, date(2026, 1, 1), date(2026, 1, 31))
