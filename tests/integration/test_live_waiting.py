"""The waiting room live on every open staff page: a patient who arrives reaches the
clinic's open /staff/live streams as a `waiting` event (the count, their name) within two
seconds, through a real server; another clinic's streams hear nothing; the same across
two app instances sharing Redis; and the agenda's events still come on the same stream."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import time as clock_time
from datetime import timedelta

import pytest
from litestar.channels import ChannelsPlugin
from redis.asyncio import Redis

from app.live.channels import redis_prefix
from app.main import create_app
from app.settings import load
from app.video.channels import waiting_channel
from app.video.notify import CallNotifier
from app.video.rooms import RoomState
from app.video.tables import CallRoom
from conftest import REDIS_TEST_URL
from tests.integration.live_helpers import open_stream, serving
from tests.integration.waiting_helpers import arrive, book_video
from tests.moments import NOW, freeze

SECRETARY = "secretariat@demo.localhost"
JULIE = "julie.roy@demo.localhost"
AUTRE_ADMIN = "admin@autre.localhost"
DELIVERY_S = 2.0


@pytest.fixture
async def marie(demo_data):
    freeze()
    return await book_video(
        "demo",
        practitioner="Dre Julie Roy",
        site="centre-ville",
        day=NOW.date(),
        at=clock_time(7, 20),
        first_name="Marie",
        last_name="Attente",
    )


async def test_an_arrival_reaches_every_open_staff_page_of_the_clinic_and_no_other(marie):
    async with serving(create_app(load())) as served:
        secretary = await served.staff("demo", SECRETARY)
        julie = await served.staff("demo", JULIE)
        other = await served.staff("autre", AUTRE_ADMIN)
        async with (
            open_stream(secretary) as desk,
            open_stream(julie) as doctor,
            open_stream(other) as theirs,
        ):
            started = time.monotonic()
            status = await arrive(marie)  # what H1's patient socket does as it opens
            CallNotifier(served.app.plugins.get(ChannelsPlugin)).state(marie.clinic_id, status)
            expected = {
                "event": "waiting",
                "data": {
                    "appointment_id": marie.appointment_id,
                    "state": "waiting",
                    "present": True,
                    "ready": False,
                    "count": 1,
                    "patient": "Marie Attente",
                },
            }
            for stream in (desk, doctor):
                event = await stream.next_event(DELIVERY_S)
                assert event == expected
            assert time.monotonic() - started < DELIVERY_S
            assert await theirs.next_event(0.5) is None

            # Let in (as rooms.accept leaves it): the count, read again from the database
            # and never taken from the event, is back to 0; no name for a room not waiting.
            await CallRoom.update({CallRoom.state: RoomState.IN_CALL.value}).where(
                CallRoom.appointment == marie.appointment_id
            )
            accepted = replace(status, state=RoomState.IN_CALL)
            CallNotifier(served.app.plugins.get(ChannelsPlugin)).state(marie.clinic_id, accepted)
            event = await desk.next_event(DELIVERY_S)
            assert event["data"] == {
                **expected["data"],
                "state": "in_call",
                "count": 0,
                "patient": None,
            }
            assert theirs.events == []
        for client in (secretary, julie, other):
            await client.aclose()


async def test_an_arrival_on_another_instance_reaches_the_stream_through_redis(
    marie, require_redis
):
    settings = replace(load(), redis_url=REDIS_TEST_URL)
    async with serving(create_app(settings)) as served:
        secretary = await served.staff("demo", SECRETARY)
        async with open_stream(secretary) as desk:
            status = await arrive(marie)
            # The other instance's CallNotifier publishes this, on the Redis channel.
            redis = Redis.from_url(REDIS_TEST_URL)
            try:
                await redis.publish(
                    redis_prefix(REDIS_TEST_URL) + waiting_channel(marie.clinic_id),
                    json.dumps({"type": "waiting", "data": status.to_dict()}),
                )
                # Junk on the channel is dropped, not sent, and does not end the stream.
                await redis.publish(
                    redis_prefix(REDIS_TEST_URL) + waiting_channel(marie.clinic_id), b"{"
                )
            finally:
                await redis.aclose()
            event = await desk.next_event(DELIVERY_S)
            assert event["event"] == "waiting"
            assert event["data"]["count"] == 1 and event["data"]["patient"] == "Marie Attente"
            assert await desk.next_event(0.5) is None
            assert not desk.ended.is_set()
        await secretary.aclose()


async def test_the_agenda_events_still_come_on_the_same_stream(marie):
    from app.booking.services import BookingService
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Slot
    from tests.integration import demo_lookup
    from tests.integration.engine_fixtures import RECEPTION, STAFF

    async with serving(create_app(load())) as served:
        secretary = await served.staff("demo", SECRETARY)
        async with open_stream(secretary) as desk:
            clinic = marie.clinic_id
            bus = served.app.state.bus
            opened = await SchedulingService(clinic_id=clinic, bus=bus).open_manual(
                actor=RECEPTION,
                practitioner_id=marie.practitioner_id,
                site_id=await demo_lookup.site_id(clinic, "centre-ville"),
                activity_id=await demo_lookup.activity_id(clinic, "Téléconsultation"),
                day=NOW.date() + timedelta(days=1),
                start=clock_time(15),
                end=clock_time(16),
            )
            event = await desk.next_event(DELIVERY_S)
            assert event["event"] == "agenda"
            slot = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
            booked = await BookingService(clinic_id=clinic, bus=bus).staff_book(
                slot_id=slot["id"], details=STAFF, actor=RECEPTION
            )
            assert booked.ok
            event = await desk.next_event(DELIVERY_S)
            assert event["event"] == "agenda"
        await secretary.aclose()
