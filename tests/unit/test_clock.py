"""The clock tests move: frozen, advanced, and always back to the run's flowing clock."""

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app import clock
from app.settings import clock_offset
from tests.moments import NOW


def test_freeze_and_advance_then_reset_to_the_runs_clock():
    clock.freeze(NOW)
    clock.advance(timedelta(minutes=5))
    assert clock.now() == NOW + timedelta(minutes=5)
    clock.reset()
    shift = clock.now() - datetime.now(UTC)
    assert abs(shift - clock_offset(os.environ)) < timedelta(seconds=1)


def test_the_run_happens_on_a_monday_morning_in_montreal_whatever_the_machines_date():
    here = clock.now().astimezone(ZoneInfo("America/Montreal"))
    assert here.weekday() == 0 and 10 <= here.hour < 14  # the run started at 10:00


def test_advancing_a_flowing_clock_moves_it_and_keeps_it_flowing():
    before = clock.now()
    clock.advance(timedelta(hours=2))
    assert timedelta(hours=2) <= clock.now() - before < timedelta(hours=2, seconds=1)
