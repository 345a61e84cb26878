"""The arq worker: `make worker` (python -m jobs.worker: arq's worker with WorkerSettings,
made to outlive a Redis restart, see SteadyWorker).

Jobs are thin: they call app services, which own the rules. arq may run a job
twice, so every job must be safe to repeat."""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker, get_kwargs
from prometheus_client import start_http_server
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from app import db, retention
from app.log_format import worker_log_config
from app.messaging.dispatch import Dispatcher
from app.platforms import sessions as platform_sessions
from app.settings import load
from app.templating import make_environment
from app.waitlist import matching as waitlist

log = logging.getLogger("jobs.worker")
# What a Redis that is down or restarting raises: inside a WATCHed transaction (arq's
# job starts and ends) a lost connection is a WatchError.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, WatchError)


async def ping(ctx: dict) -> str:
    """Proves the worker is wired to Redis and the database (used by /healthz tests too)."""
    return "pong" if await db.ping() else "no database"


async def dispatch_due(ctx: dict) -> int:
    """Deliver what is due. Every worker runs it each second; their claims never overlap.
    One run at a time per worker: a run goes on until nothing is due, so the runs later
    ticks would start meanwhile (up to arq's max_jobs) would only share this process's
    CPU and database connections with it."""
    running: asyncio.Lock = ctx["dispatching"]
    if running.locked():
        return 0
    async with running:
        return await ctx["dispatcher"].run_until_idle(max_batches=50)


async def purge(ctx: dict) -> dict:
    """Delete expired sessions, attempts and codes (app.retention); safe to run twice."""
    return vars(await retention.purge(staff_idle=ctx["dispatcher"].settings.staff_idle))


async def platform_due(ctx: dict) -> int:
    """Create and cancel sessions on the external video platform: each due one once
    (claimed by a lease), retried with backoff (app.platforms.sessions)."""
    settings = ctx["dispatcher"].settings
    return await platform_sessions.run_due(platform_sessions.platform_from(settings), settings)


async def earlier_slots(ctx: dict) -> int:
    """Offer freed earlier slots the events did not cause (publication times passing,
    the morning after quiet hours); one match at a time per clinic, safe to run twice."""
    return await waitlist.sweep()


async def startup(ctx: dict) -> None:
    await db.start()
    ctx["dispatcher"] = Dispatcher(load(), make_environment())
    ctx["dispatching"] = asyncio.Lock()  # each job gets a copy of ctx: the lock is shared


async def shutdown(ctx: dict) -> None:
    if "dispatcher" in ctx:
        await ctx["dispatcher"].close()
    await db.stop()


REDIS_BACKOFF_CAP_S = 2
REDIS_WAIT_S = 120
REDIS_RETRIES = REDIS_WAIT_S // REDIS_BACKOFF_CAP_S


def redis_settings(url: str | None = None) -> RedisSettings:
    """A Redis that restarts, or is unreachable for a while, does not stop the worker: each
    command waits for it (doubling waits, up to REDIS_WAIT_S in all) instead of the worker
    exiting on the first refused connection, and the worker carries on once it answers.
    Deliveries under way go on meanwhile: they need only the database. Redis comes back
    empty (no saves): nothing is lost, the outbox is in the database and every worker
    schedules its own runs."""
    settings = RedisSettings.from_dsn(url or load().redis_url or "redis://127.0.0.1:6379")
    settings.retry = Retry(ExponentialBackoff(cap=REDIS_BACKOFF_CAP_S, base=0.05), REDIS_RETRIES)
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError]
    settings.conn_retries = REDIS_RETRIES  # at start-up too: started before Redis, it waits
    return settings


class WorkerSettings:
    functions = [ping, dispatch_due, purge, platform_due, earlier_slots]
    cron_jobs = [
        cron(dispatch_due, second=set(range(60)), unique=False, run_at_startup=True, timeout=300),
        cron(platform_due, second=set(range(0, 60, 5)), unique=False, timeout=120),
        cron(earlier_slots, second=30, unique=True, timeout=120),  # every minute
        # One worker is enough; a run missed while all were down is made up at startup.
        cron(
            purge,
            minute=set(range(0, 60, int(retention.EVERY.total_seconds() // 60))),
            second=0,
            unique=True,
            run_at_startup=True,
            timeout=300,
        ),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings()


class SteadyWorker(Worker):
    """arq's worker, which exits on the first error from Redis (a restart, a failover):
    this one says so, waits, and polls again once Redis answers. Jobs under way go on
    (deliveries need only the database); a job whose start or end could not be written
    to Redis is run again by a later cron tick, which every job here allows."""

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as error:
            log.warning("Redis is not answering (%s); waiting for it", error)
            await asyncio.sleep(REDIS_BACKOFF_CAP_S)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            try:
                await super().start_jobs([job_id])
            except REDIS_DOWN:
                # arq took a place for the job (its counter and semaphore) before Redis
                # failed: give it back, or a few outages would leave no place for any job.
                self.job_counter -= 1
                self.sem.release()
                raise


def main() -> None:
    logging.config.dictConfig(worker_log_config(load().log_format))
    if port := os.environ.get("WORKER_METRICS_PORT"):
        # The worker's own counters (deliveries by channel and status) for the scraper, on
        # the loopback unless WORKER_METRICS_HOST says otherwise: it has no token.
        start_http_server(int(port), addr=os.environ.get("WORKER_METRICS_HOST", "127.0.0.1"))
    SteadyWorker(**get_kwargs(WorkerSettings)).run()


if __name__ == "__main__":
    main()
