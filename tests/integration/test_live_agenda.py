"""Open agendas updated live: a change committed through the engine reaches the open
agendas of its clinic (and no other clinic's) over /staff/live, through a real server;
across two app instances sharing Redis; and a Redis that is down never fails a booking.
Streams are for signed-in staff only, and end when the session does."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from app import clock
from app.booking.tables import Appointment
from app.main import create_app
from app.settings import load
from conftest import REDIS_TEST_URL, free_port, port_open
from tests.integration.engine_fixtures import RECEPTION, STAFF, TUESDAY, open_slots
from tests.integration.live_helpers import open_stream, serving
from tests.integration.staff_helpers import csrf, signed_in
from tests.integration.web import running

SECRETARY = "secretariat@demo.localhost"
AUTRE_ADMIN = "admin@autre.localhost"
DELIVERY_S = 2.0  # the promise: within two seconds, without a reload


async def book_through(app, tenant, slot_id: int):
    """A booking by the engine, through this app instance's listeners."""
    from app.booking.services import BookingService

    engine = BookingService(clinic_id=tenant.id, bus=app.state.bus)
    return await engine.staff_book(slot_id=slot_id, details=STAFF, actor=RECEPTION)


async def test_a_booking_reaches_the_clinics_open_agendas_within_two_seconds_and_no_other(
    world,
):
    demo = world.demo
    slots = await open_slots(demo, who="roy", site="centre-ville", activity="followup")
    async with serving(create_app(load())) as served:
        secretary = await served.staff("demo", SECRETARY)
        other_clinic = await served.staff("autre", AUTRE_ADMIN)
        async with open_stream(secretary) as mine, open_stream(other_clinic) as theirs:
            started = time.monotonic()
            outcome = await book_through(served.app, demo, slots[0])
            assert outcome.ok
            event = await mine.next_event(DELIVERY_S)
            assert event is not None, "the booking never reached the open agenda"
            assert time.monotonic() - started < DELIVERY_S
            assert event == {
                "event": "agenda",
                "data": {
                    "practitioners": [demo.practitioners["roy"]],
                    "sites": [demo.sites["centre-ville"]],
                    "days": [TUESDAY.isoformat()],
                },
            }
            # The other clinic's agenda hears nothing of it.
            assert await theirs.next_event(0.5) is None
            assert theirs.events == []
        await secretary.aclose()
        await other_clinic.aclose()


async def test_a_move_between_days_touches_both_days_and_a_schedule_its_range(world):
    demo = world.demo
    tuesday = await open_slots(demo, who="roy", site="centre-ville", activity="followup")
    wednesday_day = TUESDAY + timedelta(days=1)
    wednesday = await open_slots(
        demo, who="gagnon", site="laval", activity="followup", day=wednesday_day
    )
    async with serving(create_app(load())) as served:
        secretary = await served.staff("demo", SECRETARY)
        booked = await book_through(served.app, demo, tuesday[0])
        async with open_stream(secretary) as stream:
            from app.booking.services import BookingService
            from app.scheduling.services import SchedulingService

            engine = BookingService(clinic_id=demo.id, bus=served.app.state.bus)
            moved = await engine.move(
                appointment_id=booked.appointment_id, new_slot_id=wednesday[0], actor=RECEPTION
            )
            assert moved.ok
            event = await stream.next_event(DELIVERY_S)
            assert event["data"] == {
                "practitioners": sorted([demo.practitioners["roy"], demo.practitioners["gagnon"]]),
                "sites": sorted([demo.sites["centre-ville"], demo.sites["laval"]]),
                "days": [TUESDAY.isoformat(), wednesday_day.isoformat()],
            }
            scheduling = SchedulingService(clinic_id=demo.id, bus=served.app.state.bus)
            await scheduling.open_manual(
                actor=RECEPTION,
                practitioner_id=demo.practitioners["lavoie"],
                site_id=demo.sites["laval"],
                activity_id=demo.activities["urgent"],
                day=wednesday_day,
                start=clock_time(13),
                end=clock_time(14),
            )
            event = await stream.next_event(DELIVERY_S)
            assert event["data"] == {
                "practitioners": [demo.practitioners["lavoie"]],
                "sites": [demo.sites["laval"]],
                "days": [wednesday_day.isoformat()],
            }
        await secretary.aclose()


def clock_time(hour: int):
    from datetime import time as time_of_day

    return time_of_day(hour)


async def test_no_stream_without_a_session_nor_with_another_clinics(world):
    async with serving(create_app(load())) as served:
        async with served.client("demo") as stranger:
            refused = await stranger.get("/staff/live")
            assert refused.status_code in (302, 303), refused.status_code
            assert "/staff/sign-in" in refused.headers["location"]
            assert not refused.headers.get("content-type", "").startswith("text/event-stream")
        # The demo session's cookie, sent to autre's host: no stream there either.
        secretary = await served.staff("demo", SECRETARY)
        secretary.headers["Host"] = "autre.localhost"
        refused = await secretary.get("/staff/live")
        assert refused.status_code in (302, 303)
        assert not refused.headers.get("content-type", "").startswith("text/event-stream")
        await secretary.aclose()


async def test_a_stream_beats_and_ends_when_the_session_is_signed_out_or_expires(world):
    app = create_app(load())
    async with serving(app) as served:
        app.state.live_streams.heartbeat_s = 0.2
        secretary = await served.staff("demo", SECRETARY)
        async with open_stream(secretary) as stream:
            await asyncio.sleep(0.5)
            assert "heartbeat" in stream.comments
            assert not stream.ended.is_set()
            page = await secretary.get("/staff/")
            signed_out = await secretary.post(
                "/staff/sign-out", data={"_csrf_token": csrf(page.text)}
            )
            assert signed_out.status_code == 303
            assert await stream.wait_ended(2), "the stream outlived its session"
        await secretary.aclose()

        secretary = await served.staff("demo", SECRETARY)
        async with open_stream(secretary) as stream:
            assert not await stream.wait_ended(0.5)
            clock.freeze(clock.now() + app.state.settings.staff_idle + timedelta(minutes=1))
            assert await stream.wait_ended(2), "the stream outlived its session's idle expiry"
        await secretary.aclose()


@pytest.fixture
def shared_redis(require_redis) -> str:
    return REDIS_TEST_URL


async def test_a_change_through_one_instance_reaches_a_stream_on_another(world, shared_redis):
    demo = world.demo
    slots = await open_slots(demo, who="roy", site="centre-ville", activity="followup")
    settings = replace(load(), redis_url=shared_redis)
    async with (
        running(create_app(settings)) as instance_a,
        serving(create_app(settings)) as instance_b,
    ):
        secretary = await instance_b.staff("demo", SECRETARY)
        async with open_stream(secretary) as stream:
            started = time.monotonic()
            assert (await book_through(instance_a, demo, slots[0])).ok
            event = await stream.next_event(DELIVERY_S)
            assert event is not None, "instance B's agenda never heard of A's booking"
            assert time.monotonic() - started < DELIVERY_S
            assert event["data"]["practitioners"] == [demo.practitioners["roy"]]
            assert await stream.next_event(0.3) is None  # once, not once per subscription
        await secretary.aclose()


async def test_with_redis_down_a_booking_still_succeeds_at_once(world, caplog):
    demo = world.demo
    slots = await open_slots(demo, who="roy", site="centre-ville", activity="followup")
    nobody = free_port()
    assert not port_open("127.0.0.1", nobody)
    settings = replace(load(), redis_url=f"redis://127.0.0.1:{nobody}/0")
    logging.getLogger("app.live").addHandler(caplog.handler)  # the app's logger may not propagate
    async with serving(create_app(settings)) as served:
        secretary = await served.staff("demo", SECRETARY)
        async with open_stream(secretary) as stream:  # the page still opens its stream
            started = time.monotonic()
            outcome = await book_through(served.app, demo, slots[0])
            assert outcome.ok
            assert time.monotonic() - started < 1.0
            assert await Appointment.exists().where(Appointment.id == outcome.appointment_id)
            assert await stream.next_event(0.3) is None  # nothing arrives, nothing breaks
            # The next booking is not slowed either while Redis stays away.
            started = time.monotonic()
            assert (await book_through(served.app, demo, slots[1])).ok
            assert time.monotonic() - started < 1.0
        await secretary.aclose()
    logging.getLogger("app.live").removeHandler(caplog.handler)
    assert "Redis unavailable" in caplog.text  # said in the log, then dropped


async def test_the_server_stops_at_once_with_streams_open(world):
    """Ctrl-C on `make run` (SIGINT; SIGTERM alike): open streams end cleanly and the
    process exits, well before uvicorn's graceful shutdown would give up on them."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        env={**os.environ, "PORT": str(port), "HOST": "127.0.0.1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            while True:
                try:
                    async with httpx.AsyncClient() as probe:
                        if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                            break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Host": "demo.localhost"},
            timeout=httpx.Timeout(10, read=None),
        )
        secretary = await signed_in(client, SECRETARY)
        async with open_stream(secretary) as first, open_stream(secretary) as second:
            stopped_at = time.monotonic()
            server.send_signal(signal.SIGINT)
            assert await first.wait_ended(5) and await second.wait_ended(5)
            code = await asyncio.to_thread(server.wait, 8)
            assert time.monotonic() - stopped_at < 5, "the server waited for its streams"
            assert code == 0, server.stderr.read().decode()
        await secretary.aclose()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
