"""The suite's two moments, so that no test depends on the day, the hour or the order
it runs in.

NOW is where a test that freezes the clock stands (`freeze()`). RUN_START is where the
run's flowing clock begins: the root conftest moves `app.clock` of this process, and of
every server it starts, so that the run begins there, whatever the machine's date; and
its autouse `reset_clock` brings every test back to that clock when it ends."""

from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday 23 November 2026, 07:00 in Montreal
RUN_START = datetime(2027, 1, 11, 15, 0, tzinfo=UTC)  # Monday 11 January 2027, 10:00 in Montreal


def freeze() -> None:
    """Stop the clock on NOW, for the rest of the test."""
    from app import (
        clock,  # on call: the root conftest reads RUN_START before app.clock may be imported
    )

    clock.freeze(NOW)
