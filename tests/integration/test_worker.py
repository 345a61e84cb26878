"""The arq worker runs real jobs from a real Redis, against the suite's database."""

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker

from jobs.worker import WorkerSettings


async def test_worker_runs_a_job_from_redis(require_redis, redis_url):
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    await redis.flushdb()
    job = await redis.enqueue_job("ping", _job_id="ping-test")
    # The same job id is refused while the first exists: arq's dedupe.
    assert await redis.enqueue_job("ping", _job_id="ping-test") is None
    worker = Worker(
        functions=WorkerSettings.functions,
        redis_pool=redis,
        burst=True,
        poll_delay=0.05,
        on_startup=WorkerSettings.on_startup,
        handle_signals=False,
    )
    await worker.main()
    assert await job.result(timeout=5) == "pong"
    assert worker.jobs_complete == 1
    await worker.close()
    await redis.aclose()


async def test_healthz_sees_redis(require_redis, redis_url, demo_data):
    from app.health import redis_status

    assert await redis_status(redis_url) == "ok"
    assert (await redis_status("redis://127.0.0.1:1")).startswith("error")
