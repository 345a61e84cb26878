"""The app under test as a server runs it, and a browser on one clinic's host."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from litestar import Litestar

from app import db


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[Litestar]:
    """The app started and stopped as an ASGI server does it (the lifespan protocol), in
    a task of its own: pytest-asyncio sets a fixture up and tears it down in different
    tasks, which the app's own lifespan() context manager refuses."""
    to_app: asyncio.Queue = asyncio.Queue()
    from_app: asyncio.Queue = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, to_app.get, from_app.put), name="lifespan")
    await to_app.put({"type": "lifespan.startup"})
    started = await from_app.get()
    if started["type"] != "lifespan.startup.complete":
        task.cancel()
        raise AssertionError(f"the app did not start: {started}")
    try:
        yield app
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        stopped = await from_app.get()
        await task
        await db.start()  # the app's shut-down closed the suite's PostgreSQL pool
        assert stopped["type"] == "lifespan.shutdown.complete", stopped


@asynccontextmanager
async def clinic_client(app: Litestar, slug: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{slug}.localhost"
    ) as client:
        yield client
