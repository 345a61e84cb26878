"""The arq worker: `make worker` (arq jobs.worker.WorkerSettings).

Jobs are thin: they call app services, which own the rules. arq may run a job
twice, so every job must be safe to repeat."""

from __future__ import annotations

import asyncio

from arq import cron
from arq.connections import RedisSettings

from app import db, retention
from app.messaging.dispatch import Dispatcher
from app.platforms import sessions as platform_sessions
from app.settings import load
from app.templating import make_environment
from app.waitlist import matching as waitlist


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


def redis_settings() -> RedisSettings:
    url = load().redis_url or "redis://127.0.0.1:6379"
    return RedisSettings.from_dsn(url)


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
