"""Reminders due during the clinic's night wait for its end, in the clinic's time,
across DST changes."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.messaging.planner import after_quiet_hours

MONTREAL = ZoneInfo("America/Montreal")
NIGHT = {"time_zone": "America/Montreal", "start": time(21), "end": time(8)}


def montreal(*args) -> datetime:
    return datetime(*args, tzinfo=MONTREAL)


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (montreal(2026, 11, 24, 20, 59), montreal(2026, 11, 24, 20, 59)),  # before the night
        (montreal(2026, 11, 24, 21, 0), montreal(2026, 11, 25, 8, 0)),
        (montreal(2026, 11, 24, 23, 0), montreal(2026, 11, 25, 8, 0)),
        (
            montreal(2026, 11, 25, 0, 0),
            montreal(2026, 11, 25, 8, 0),
        ),  # after midnight: the same morning
        (montreal(2026, 11, 25, 7, 59), montreal(2026, 11, 25, 8, 0)),
        (montreal(2026, 11, 25, 8, 0), montreal(2026, 11, 25, 8, 0)),
        # Clocks go back at 02:00 on 1 November: 08:00 that morning is 13:00 UTC, not 12:00.
        (montreal(2026, 10, 31, 22, 0), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        # Clocks go forward at 02:00 on 8 March: 08:00 that morning is 12:00 UTC.
        (montreal(2026, 3, 7, 23, 0), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    ],
)
def test_overnight_quiet_hours(due, sent):
    moved = after_quiet_hours(due.astimezone(UTC), **NIGHT)
    assert moved == sent and moved.tzinfo == UTC


def test_a_quiet_stretch_inside_one_day():
    lunch = {"time_zone": "Europe/Paris", "start": time(12), "end": time(14)}
    paris = ZoneInfo("Europe/Paris")
    assert after_quiet_hours(datetime(2026, 6, 1, 12, 30, tzinfo=paris), **lunch) == datetime(
        2026, 6, 1, 14, tzinfo=paris
    )
    assert after_quiet_hours(datetime(2026, 6, 1, 11, 59, tzinfo=paris), **lunch) == datetime(
        2026, 6, 1, 11, 59, tzinfo=paris
    )
    assert after_quiet_hours(datetime(2026, 6, 1, 14, 0, tzinfo=paris), **lunch) == datetime(
        2026, 6, 1, 14, 0, tzinfo=paris
    )
