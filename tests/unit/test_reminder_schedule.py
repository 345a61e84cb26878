"""When each reminder of a schedule goes (app.reminders.schedule.plan), pure: the default
3 days and 1 day, quiet hours, never after the start, booked late, and both changes of
clocks in Montreal (days keep the wall-clock time, hours are elapsed hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.reminders.schedule import DEFAULT, Entry, Schedule, ordered, parse, plan

MONTREAL = ZoneInfo("America/Montreal")
NIGHT = {"quiet_start": time(21), "quiet_end": time(8)}


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=MONTREAL).astimezone(UTC)


def planned(schedule: Schedule, starts: datetime, now: datetime, **night):
    return [
        (p.kind, p.due_at)
        for p in plan(
            schedule,
            starts_at=starts,
            now=now,
            time_zone="America/Montreal",
            **(night or NIGHT),
        )
    ]


MONDAY, THURSDAY = date(2026, 11, 23), date(2026, 11, 26)


def test_the_default_is_3_days_asking_to_confirm_then_1_day():
    assert DEFAULT.text() == "3d:confirm,1d"
    assert planned(DEFAULT, at(THURSDAY, time(8, 30)), at(MONDAY, time(7))) == [
        ("reminder", at(MONDAY, time(8, 30))),
        ("reminder_notice", at(date(2026, 11, 25), time(8, 30))),
    ]
    assert DEFAULT.confirm_lead == timedelta(days=3)


def test_stored_text_round_trips_and_a_corrupted_row_is_the_default():
    schedule = ordered([Entry(4, "hours"), Entry(2, "days", confirm=True)])
    assert schedule.text() == "2d:confirm,4h" and parse(schedule.text()) == schedule
    for broken in ("3x", "d", "3d:maybe", "-1d", "3 d"):
        assert parse(broken) == DEFAULT


def test_quiet_hours_move_a_reminder_to_the_morning():
    # 07:30 Thursday: 3 days and 1 day before fall at 07:30, in the night: 08:00.
    assert planned(DEFAULT, at(THURSDAY, time(7, 30)), at(date(2026, 11, 20), time(12))) == [
        ("reminder", at(MONDAY, time(8))),
        ("reminder_notice", at(date(2026, 11, 25), time(8))),
    ]


def test_never_after_the_start():
    # 2 h before 09:00 is 07:00, in the night: the morning is 08:00, before the start.
    two_hours = parse("2h:confirm")
    assert planned(two_hours, at(THURSDAY, time(9)), at(MONDAY, time(7))) == [
        ("reminder", at(THURSDAY, time(8)))
    ]
    # …but at 08:00 the morning is the start itself: no reminder.
    assert planned(two_hours, at(THURSDAY, time(8)), at(MONDAY, time(7))) == []
    # A night clinic whose quiet hours end after the start.
    late = {"quiet_start": time(20), "quiet_end": time(10)}
    assert planned(two_hours, at(THURSDAY, time(9, 30)), at(MONDAY, time(7)), **late) == []


def test_booked_late_the_passed_reminder_is_left_out_and_the_next_asks():
    starts = at(THURSDAY, time(10))
    assert planned(DEFAULT, starts, at(date(2026, 11, 24), time(12))) == [
        ("reminder", at(date(2026, 11, 25), time(10)))
    ]
    # Less than a day ahead: nothing; the confirmation stands for it.
    assert planned(DEFAULT, starts, at(date(2026, 11, 25), time(10, 1))) == []


def test_two_reminders_the_morning_brings_together_go_once():
    # Before 10:00 Thursday: 14 h is 20:00 Wednesday; 13 h (21:00) and 12 h (22:00) both
    # wait for 08:00 Thursday, where only the first of them goes.
    schedule = parse("14h:confirm,13h,12h")
    assert planned(schedule, at(THURSDAY, time(10)), at(MONDAY, time(7))) == [
        ("reminder", at(date(2026, 11, 25), time(20))),
        ("reminder_notice", at(THURSDAY, time(8))),
    ]


@pytest.mark.parametrize(
    ("starts", "three_days", "one_day"),
    [
        # Clocks go back on Sunday 1 November 2026 (EDT → EST).
        (
            datetime(2026, 11, 2, 14, tzinfo=UTC),  # Monday 09:00 EST
            datetime(2026, 10, 30, 13, tzinfo=UTC),  # Friday 09:00 EDT
            datetime(2026, 11, 1, 14, tzinfo=UTC),  # Sunday 09:00 EST
        ),
        # Clocks go forward on Sunday 14 March 2027 (EST → EDT).
        (
            datetime(2027, 3, 15, 13, tzinfo=UTC),  # Monday 09:00 EDT
            datetime(2027, 3, 12, 14, tzinfo=UTC),  # Friday 09:00 EST
            datetime(2027, 3, 14, 13, tzinfo=UTC),  # Sunday 09:00 EDT
        ),
    ],
)
def test_across_a_change_of_clocks_days_keep_the_wall_clock_time(starts, three_days, one_day):
    now = starts - timedelta(days=6)
    assert planned(DEFAULT, starts, now) == [
        ("reminder", three_days),
        ("reminder_notice", one_day),
    ]


def test_across_a_change_of_clocks_hours_are_elapsed_hours():
    starts = datetime(2027, 3, 15, 13, tzinfo=UTC)  # Monday 09:00 EDT
    # 48 h before is 13:00 UTC Saturday = 08:00 EST, out of the night.
    assert planned(parse("48h:confirm"), starts, starts - timedelta(days=6)) == [
        ("reminder", datetime(2027, 3, 13, 13, tzinfo=UTC))
    ]


def test_a_day_before_landing_in_the_hour_the_clocks_skip_still_goes():
    # 1 day before Monday 02:30 is Sunday 02:30, which does not exist (02:00 → 03:00);
    # it is in the night anyway, so it goes at 08:00 EDT.
    monday_night = datetime(2027, 3, 15, 6, 30, tzinfo=UTC)  # 02:30 EDT
    assert planned(parse("1d:confirm"), monday_night, monday_night - timedelta(days=6)) == [
        ("reminder", datetime(2027, 3, 14, 12, tzinfo=UTC))
    ]
