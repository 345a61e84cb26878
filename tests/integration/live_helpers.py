"""The open agendas' streams from a test: the app served by a real uvicorn in the test's
event loop (server-sent events need a server that streams, not an in-memory transport),
and a reader that collects a stream's events in the background."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import AsyncIterator

import httpx
import uvicorn
from litestar import Litestar

from app import db
from app.live.server import Server
from conftest import free_port
from tests.integration.staff_helpers import signed_in


class InTestServer(Server):
    """The app's server class, but pytest keeps its own signal handlers."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


@dataclass
class Served:
    app: Litestar
    server: InTestServer
    port: int

    def client(self, clinic: str) -> httpx.AsyncClient:
        """A browser on the clinic's host (the Host header: *.localhost may not resolve)."""
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Host": f"{clinic}.localhost"},
            timeout=httpx.Timeout(10, read=None),
        )

    async def staff(self, clinic: str, email: str) -> httpx.AsyncClient:
        return await signed_in(self.client(clinic), email)


@contextlib.asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[Served]:
    port = free_port()
    server = InTestServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")
    try:
        async with asyncio.timeout(15):
            while not server.started:
                assert not task.done(), "the server did not start"
                await asyncio.sleep(0.02)
        yield Served(app, server, port)
    finally:
        server.should_exit = True
        server.end_live_streams()
        await asyncio.wait_for(task, 15)
        await db.start()  # the app's shut-down closed the suite's PostgreSQL pool


@dataclass
class EventStream:
    """One /staff/live stream, read in the background: its events and comments."""

    response: httpx.Response
    events: list[dict] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Queue = field(default_factory=asyncio.Queue)
    _task: asyncio.Task | None = None

    async def _read(self) -> None:
        kind, data = "message", []
        try:
            async for line in self.response.aiter_lines():
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                elif line == "":
                    if data:
                        event = {"event": kind, "data": json.loads("\n".join(data))}
                        self.events.append(event)
                        self._arrived.put_nowait(event)
                    kind, data = "message", []
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        kind = value
                    elif name == "data":
                        data.append(value)
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()

    async def next_event(self, timeout: float) -> dict | None:
        try:
            return await asyncio.wait_for(self._arrived.get(), timeout)
        except asyncio.TimeoutError:
            return None

    async def wait_ended(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.ended.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True


@contextlib.asynccontextmanager
async def open_stream(client: httpx.AsyncClient) -> AsyncIterator[EventStream]:
    """GET /staff/live; yields once the first line (the retry hint) has arrived, when the
    stream is subscribed. The response is asserted to be a stream."""
    async with client.stream("GET", "/staff/live") as response:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = EventStream(response)
        stream._task = asyncio.create_task(stream._read())
        try:
            async with asyncio.timeout(5):
                while not stream.comments and not stream.ended.is_set():
                    await asyncio.sleep(0.01)
            yield stream
        finally:
            stream._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stream._task
