"""Redis killed (SIGKILL, nothing saved) while the arq worker delivers 1,000 messages,
then started again, empty: the worker carries on by itself once Redis is back, and
every message reaches its patient exactly once. The outbox lives in the database, which
is what makes it so: Redis only wakes the workers."""

from __future__ import annotations

import asyncio
import copy
import time as _time
from datetime import date, time, timedelta

from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from jobs.worker import SteadyWorker, WorkerSettings, redis_settings
from tests import figures
from tests.integration.engine_fixtures import RECEPTION
from tests.integration.messaging_helpers import Comms, local, outbox
from tests.integration.polling import until
from tests.integration.private_services import redis_server
from tests.integration.test_messaging_workers import stop, worker_env  # noqa: F401

APPOINTMENTS = 500  # Marie's: an email and an SMS each, 1,000 messages


async def book_for_marie(comms: Comms, count: int) -> list[int]:
    """`count` of Marie's appointments, 20 a day from Tuesday (the days opened at once)."""
    activity = await comms.activity(comms.usual[0], type_fr=comms.usual[1])
    scheduling = SchedulingService(clinic_id=comms.clinic, bus=make_bus())
    for day in range(-(-count // 20)):
        await scheduling.open_manual(
            actor=RECEPTION,
            practitioner_id=comms.practitioner,
            site_id=comms.sites["centre-ville"],
            activity_id=activity,
            day=date(2026, 11, 24) + timedelta(days=day),
            start=time(8),
            end=time(18),
        )
    appointments = []
    for n in range(count):
        day, slot = divmod(n, 20)
        starts = local(date(2026, 11, 24) + timedelta(days=day), time(8)) + timedelta(
            minutes=30 * slot
        )
        appointments.append(await comms.staff_book(starts, patient="marie"))
    return appointments


async def undelivered() -> int:
    return len(await outbox(kind="confirmation", status="pending")) + len(
        await outbox(kind="confirmation", status="sending")
    )


async def test_redis_killed_mid_delivery_and_restarted_every_message_goes_once(
    comms,
    worker_env,  # noqa: F811 - the fixture
):
    started = _time.monotonic()
    appointments = await book_for_marie(comms, APPOINTMENTS)
    print(f"booked in {_time.monotonic() - started:.1f} s")
    started = _time.monotonic()
    assert await undelivered() == 2 * APPOINTMENTS
    with redis_server() as redis:
        running = SteadyWorker(
            functions=WorkerSettings.functions,
            cron_jobs=[copy.copy(job) for job in WorkerSettings.cron_jobs],
            redis_settings=redis_settings(redis.url()),
            poll_delay=0.05,
            on_startup=WorkerSettings.on_startup,
            handle_signals=False,
        )
        task = asyncio.create_task(running.main())
        try:
            await comms.smtp.wait_for(150, timeout=60)
            print(f"150 emails in {_time.monotonic() - started:.1f} s")
            redis.kill()
            await asyncio.sleep(3)  # the worker meets a dead Redis, more than once
            assert not task.done(), task
            before_restart = len(comms.smtp.received)
            redis.start()
            print(f"killed with {before_restart} emails out; delivering again")
            restarted = _time.monotonic()
            try:
                await until(
                    lambda: _none_left(),
                    what="every confirmation sent after the restart",
                    timeout=90,
                )
            except AssertionError as waited:
                # The clock is frozen: a message whose attempt failed waits for a retry that
                # never comes. Say which, and why it failed.
                left = [
                    (r["channel"], r["status"], r["attempts"], r["last_error"])
                    for r in await outbox(kind="confirmation")
                    if r["status"] != "sent"
                ]
                raise AssertionError(f"{waited}; {len(left)} left: {left[:5]}") from None
            print(f"the rest delivered in {_time.monotonic() - restarted:.1f} s")
            assert not task.done(), "the worker gave up"
        finally:
            await stop(running, task)
    figures.record(
        "redis_killed",
        {
            "messages": 2 * APPOINTMENTS,
            "emails_before_the_kill": before_restart,
            "emails": len(comms.smtp.received),
            "sms": len(comms.sms.sent),
        },
    )
    assert before_restart < APPOINTMENTS  # Redis died while there was work left
    every_patient_once(comms, appointments)
    rows = await outbox(kind="confirmation")
    assert len(rows) == 2 * APPOINTMENTS and {row["status"] for row in rows} == {"sent"}
    assert {row["provider_id"] for row in rows} == {
        m["Message-ID"] for m in comms.smtp.received
    } | {s.sid for s in comms.sms.sent}
    assert {row["attempts"] for row in rows} == {1}  # none taken twice


def every_patient_once(comms: Comms, appointments: list[int]) -> None:
    """One email and one SMS per appointment, each with its own details link."""

    def link_of(text: str) -> str:
        return next(word for word in text.split() if "/a/" in word)

    emails = [m.get_body(preferencelist=("plain",)).get_content() for m in comms.smtp.received]
    assert len(emails) == len({link_of(e) for e in emails}) == len(appointments)
    assert len({m["Message-ID"] for m in comms.smtp.received}) == len(appointments)
    texts = [s.body for s in comms.sms.sent]
    assert len(texts) == len({link_of(t) for t in texts}) == len(appointments)


async def _none_left() -> bool:
    return await undelivered() == 0
