"""Expired booking sessions (names, birth dates, numbers, contacts), old identification
attempts and spent one-time codes are deleted: by the arq worker's job, and on the
embedded default by the web process itself. The clock is moved, never waited for."""

from __future__ import annotations

from datetime import timedelta

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from app import clock, db, retention
from app.booking import sessions
from app.booking.tables import BookingSession
from app.main import create_app
from app.messaging import one_time_codes
from app.messaging.tables import Message, OneTimeCode
from app.patients.identification import KEPT_FOR
from app.patients.tables import IdentificationAttempt
from app.settings import load
from jobs.worker import WorkerSettings
from tests.integration.demo_lookup import clinic_id
from tests.integration.portal_helpers import MARIE, STRANGER, identify
from tests.moments import freeze

IDLE = load().staff_idle


async def leave_traces(client) -> None:
    """A session as Marie with a code asked for; a stranger's failed identification."""
    await identify(client, STRANGER)
    await identify(client, {**MARIE, "email": "marie@nouveau.example"})
    marie = (
        await BookingSession.select(BookingSession.id)
        .where(BookingSession.patient.is_not_null())
        .first()
    )
    await one_time_codes.send(
        clinic_id=await clinic_id("demo"),
        subject=f"contacts:session:{marie['id']}",
        channel="sms",
        address="+15145550101",
        language="fr",
    )


async def counts() -> tuple[int, int, int]:
    return (
        await BookingSession.count(),
        await IdentificationAttempt.count(),
        await OneTimeCode.count(),
    )


async def test_each_kind_goes_once_past_its_window(demo):
    freeze()
    await leave_traces(demo)
    assert await counts() == (2, 1, 1)
    assert vars(await retention.purge(staff_idle=IDLE)) == {
        "sessions": 0,
        "attempts": 0,
        "codes": 0,
        "space_sessions": 0,
        "staff_sessions": 0,
        "sign_in_failures": 0,
    }

    clock.advance(one_time_codes.LIFETIME)  # the code has expired, but the sending limit counts it
    assert (await retention.purge(staff_idle=IDLE)).codes == 0
    clock.advance(one_time_codes.SENDS_WINDOW - one_time_codes.LIFETIME)
    assert vars(await retention.purge(staff_idle=IDLE)) == {
        "sessions": 0,
        "attempts": 0,
        "codes": 1,
        "space_sessions": 0,
        "staff_sessions": 0,
        "sign_in_failures": 0,
    }
    clock.advance(KEPT_FOR - one_time_codes.SENDS_WINDOW + timedelta(seconds=1))
    assert (await retention.purge(staff_idle=IDLE)).attempts == 1
    clock.advance(sessions.LIFETIME - KEPT_FOR)
    assert (await retention.purge(staff_idle=IDLE)).sessions == 2
    assert await counts() == (0, 0, 0)
    # The code's message stays (the clinic was billed for it), without the code.
    [message] = await Message.select().where(Message.kind == "one_time_code")
    assert message["one_time_code"] is None


async def test_a_live_session_is_kept(demo):
    freeze()
    await identify(demo, MARIE)
    clock.advance(sessions.LIFETIME - timedelta(seconds=1))
    await identify(demo, STRANGER)
    clock.advance(timedelta(seconds=1))
    assert (await retention.purge(staff_idle=IDLE)).sessions == 1
    [left] = await BookingSession.select(BookingSession.patient)
    assert left["patient"] is None  # the stranger's, started later


async def test_the_worker_purges(demo, require_redis, redis_url):
    freeze()
    await leave_traces(demo)
    clock.advance(sessions.LIFETIME)
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    await redis.flushdb()
    job = await redis.enqueue_job("purge")
    worker = Worker(
        functions=WorkerSettings.functions,
        redis_pool=redis,
        burst=True,
        poll_delay=0.05,
        on_startup=WorkerSettings.on_startup,
        handle_signals=False,
    )
    await worker.main()
    assert await job.result(timeout=5) == {
        "sessions": 2,
        "attempts": 1,
        "codes": 1,
        "space_sessions": 0,
        "staff_sessions": 0,
        "sign_in_failures": 0,
    }
    await worker.close()
    await redis.aclose()
    assert await counts() == (0, 0, 0)
    # ...every ten minutes, on one worker, and once as soon as a worker starts.
    [purge] = [job for job in WorkerSettings.cron_jobs if job.name == "cron:purge"]
    assert purge.minute == {0, 10, 20, 30, 40, 50} and purge.unique and purge.run_at_startup


async def test_without_redis_the_web_process_purges(demo):
    freeze()
    await leave_traces(demo)
    clock.advance(sessions.LIFETIME)
    app = create_app(load())  # the embedded default: no Redis
    try:
        # Purged before the app serves: a purge left running in the background would
        # read the clock before a test moves it, then delete what the test has just made.
        async with app.lifespan():
            assert await counts() == (0, 0, 0)
    finally:
        await db.start()  # the app's shutdown closed the suite's PostgreSQL pool


async def test_the_limit_on_codes_sent_outlives_the_codes(demo_id):
    for n in range(one_time_codes.SENDS_PER_ADDRESS):
        assert await one_time_codes.send(
            clinic_id=demo_id,
            subject=f"s{n}",
            channel="email",
            address="jean.cote@example.org",
            language="fr",
        )
    clock.advance(one_time_codes.LIFETIME * 2)
    await retention.purge(staff_idle=IDLE)
    assert (
        await one_time_codes.send(
            clinic_id=demo_id,
            subject="again",
            channel="email",
            address="jean.cote@example.org",
            language="fr",
        )
        is None
    )


async def test_a_code_after_the_purge_is_sent_though_its_row_may_reuse_an_id(demo_id):
    """SQLite gives a new row the id of the newest row deleted; the code's message, kept,
    must not claim that id's slot (it did: a 500 on the next code asked for)."""
    freeze()

    async def send(address: str):
        return await one_time_codes.send(
            clinic_id=demo_id, subject=address, channel="email", address=address, language="fr"
        )

    assert await send("avant@example.org")
    clock.advance(one_time_codes.SENDS_WINDOW + timedelta(seconds=1))
    assert (await retention.purge(staff_idle=IDLE)).codes == 1
    assert await send("apres@example.org")
    assert await Message.count().where(Message.kind == "one_time_code") == 2
