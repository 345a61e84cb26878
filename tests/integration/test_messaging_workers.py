"""Who delivers: arq workers on a real Redis (two at once, each message once; one
killed mid-batch, nothing lost), and the web process itself when there is no Redis
(`make run`)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections import Counter
from datetime import date, time, timedelta

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from app import clock
from app.main import create_app
from app.messaging.dispatch import CONCURRENCY, LEASE
from conftest import MESSAGING_REDIS_TEST_URL as REDIS_URL
from jobs.worker import WorkerSettings
from tests import figures
from tests.integration.messaging_fakes import SmsProvider
from tests.integration.messaging_helpers import (
    Comms,
    local,
    new_dispatcher,
    outbox,
    set_clinic,
)
from tests.integration.polling import until
from tests.integration.portal_helpers import book_marie_follow_up, open_follow_ups
from tests.integration.web import clinic_client, running


@pytest.fixture
async def redis(require_redis):
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    await pool.flushdb()
    yield pool
    await pool.flushdb()
    await pool.aclose()


@pytest.fixture
def worker_env(comms, monkeypatch):
    """What `make worker` reads: the worker builds its dispatcher from these."""
    monkeypatch.setenv("SMTP_URL", comms.smtp.url)
    monkeypatch.setenv("SMS_URL", comms.sms.url)
    monkeypatch.setenv("SMS_ACCOUNT_SID", SmsProvider.account_sid)
    monkeypatch.setenv("SMS_AUTH_TOKEN", SmsProvider.auth_token)
    monkeypatch.setenv("SMS_FROM", SmsProvider.sender)


def worker(*, burst: bool) -> Worker:
    """A worker as `make worker` runs it (its own Redis connection, the startup that
    builds the dispatcher), minus the shutdown that would close the suite's database."""
    return Worker(
        functions=WorkerSettings.functions,
        # Each process has its own cron schedule; copies keep two in-process workers apart.
        cron_jobs=None if burst else [copy.copy(job) for job in WorkerSettings.cron_jobs],
        redis_settings=RedisSettings.from_dsn(REDIS_URL),
        burst=burst,
        poll_delay=0.05,
        on_startup=WorkerSettings.on_startup,
        handle_signals=False,
    )


async def stop(running: Worker, task: asyncio.Task) -> None:
    running.allow_pick_jobs = False
    await asyncio.gather(*running.tasks.values(), return_exceptions=True)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await running.close()


async def one_dispatch_job(redis) -> int:
    """One `dispatch_due` job through Redis and a burst worker; how many it delivered."""
    job = await redis.enqueue_job("dispatch_due")
    burst = worker(burst=True)
    await burst.main()
    await burst.close()
    return await job.result(timeout=5)


async def book_many(comms: Comms, count: int) -> list[int]:
    """`count` appointments from Tuesday on, alternately Marie's (email and SMS) and
    Jean's (email only)."""
    appointments = []
    for n in range(count):
        day, slot = divmod(n, 16)
        starts = local(date(2026, 11, 24) + timedelta(days=day), time(8)) + timedelta(
            minutes=30 * slot
        )
        appointments.append(await comms.staff_book(starts, patient=("marie", "jean")[n % 2]))
    return appointments


async def every_message_once(comms: Comms, appointments: list[int], *, sms: bool = True) -> None:
    """Each appointment's confirmation reached its patient once on each channel."""

    def link_of(text: str) -> str:
        return next(word for word in text.split() if "/a/" in word)

    emails = [m.get_body(preferencelist=("plain",)).get_content() for m in comms.smtp.received]
    assert len(emails) == len(appointments)
    assert len({link_of(e) for e in emails}) == len(appointments)
    assert len({m["Message-ID"] for m in comms.smtp.received}) == len(appointments)
    marie = len(appointments) - len(appointments) // 2 if sms else 0
    assert len(comms.sms.sent) == marie and len({link_of(s.body) for s in comms.sms.sent}) == marie
    rows = await outbox(kind="confirmation")
    assert Counter(row["status"] for row in rows) == {"sent": len(appointments) + marie}
    assert {row["provider_id"] for row in rows} == {
        m["Message-ID"] for m in comms.smtp.received
    } | {s.sid for s in comms.sms.sent}


async def test_two_workers_on_one_outbox_deliver_each_message_once(comms, redis, worker_env):
    appointments = await book_many(comms, 120)  # 180 confirmations due now
    workers = [worker(burst=False) for _ in range(2)]
    tasks = [asyncio.create_task(w.main()) for w in workers]
    try:
        await comms.smtp.wait_for(120)

        async def all_sent() -> bool:  # the last SMS on their way
            return not await outbox(kind="confirmation", status="pending") + await outbox(
                kind="confirmation", status="sending"
            )

        await until(all_sent, what="every confirmation sent")
    finally:
        for running, task in zip(workers, tasks):
            await stop(running, task)
    await every_message_once(comms, appointments)
    # No message was taken twice: one attempt each.
    assert {row["attempts"] for row in await outbox(kind="confirmation")} == {1}
    assert sum(w.jobs_complete for w in workers) >= 2


async def test_a_worker_killed_holding_a_batch_loses_nothing(comms, redis, worker_env):
    appointments = await book_many(comms, 30)
    killed = new_dispatcher(comms.settings)
    assert len(await killed.claim()) == 45  # …and the process dies before sending any
    # Until its lease lapses, the other workers leave those messages alone.
    assert await one_dispatch_job(redis) == 0
    assert comms.smtp.received == [] and comms.sms.sent == []
    clock.advance(LEASE + timedelta(seconds=1))
    assert await one_dispatch_job(redis) == 45
    figures.record(
        "worker_killed",
        {"messages": 45, "received": len(comms.smtp.received) + len(comms.sms.sent)},
    )
    await every_message_once(comms, appointments)


async def test_a_worker_stopped_mid_send_loses_nothing_and_sends_nothing_twice(comms):
    await set_clinic(
        comms.clinic, notify_by_sms=False
    )  # emails only: all of them wait at the server
    appointments = await book_many(comms, 30)
    comms.smtp.hold = asyncio.Event()
    doomed = new_dispatcher(comms.settings)
    batch = asyncio.create_task(doomed.run_once())
    await comms.smtp.wait_held(CONCURRENCY)  # emails on the wire, the rest queued behind them
    batch.cancel()
    comms.smtp.hold.set()  # lets the dying connections say goodbye
    with contextlib.suppress(asyncio.CancelledError):
        await batch
    assert comms.smtp.received == []
    stuck = await outbox(kind="confirmation", channel="email", status="sending")
    assert len(stuck) == 30

    clock.advance(LEASE + timedelta(seconds=1))
    await comms.deliver()
    await every_message_once(comms, appointments, sms=False)


async def test_make_run_sends_from_the_web_process_without_redis(comms):
    """The laptop default: no REDIS_URL, so the app's own loop delivers the outbox."""
    clock.freeze(local(date(2026, 11, 21), time(10)))
    await open_follow_ups()
    async with running(create_app(comms.settings)) as app:  # SMTP_URL and an SMS provider, no Redis
        async with clinic_client(app, "demo") as patient:
            await book_marie_follow_up(patient)
        # Nobody calls the dispatcher: the email arrives by itself.
        [confirmation] = await comms.smtp.wait_for(1)
    assert confirmation["Subject"] == "Votre rendez-vous est confirmé"
    assert confirmation["To"] == "marie.tremblay@example.org"


def test_the_worker_dispatches_every_second_on_every_worker():
    [job] = [job for job in WorkerSettings.cron_jobs if job.name == "cron:dispatch_due"]
    assert job.name == "cron:dispatch_due" and job.second == set(range(60))
    # Not unique: every worker runs it, and their claims never overlap.
    assert job.unique is False and job.run_at_startup is True
