"""The arq worker: `make worker` (arq jobs.worker.WorkerSettings).

Jobs are thin: they call app services, which own the rules. arq may run a job
twice, so every job must be safe to repeat."""

from __future__ import annotations

from arq.connections import RedisSettings

from app import db
from app.settings import load


async def ping(ctx: dict) -> str:
    """Proves the worker is wired to Redis and the database (used by /healthz tests too)."""
    return "pong" if await db.ping() else "no database"


async def startup(ctx: dict) -> None:
    await db.start()


async def shutdown(ctx: dict) -> None:
    await db.stop()


def redis_settings() -> RedisSettings:
    url = load().redis_url or "redis://127.0.0.1:6379"
    return RedisSettings.from_dsn(url)


class WorkerSettings:
    functions = [ping]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = redis_settings()
