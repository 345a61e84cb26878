"""/staff/live: server-sent events for the open staff pages of the signed-in staff
member's clinic, and only theirs (the channels are named from the session's clinic, never
from the request): its agenda changes and its waiting room.

A stream sends a retry hint first, then each change of the clinic as one `agenda` event,
each change of a room of its waiting room as one `waiting` event, and a comment every
HEARTBEAT_S so proxies keep the connection and a dead one is noticed.
On each heartbeat the session is read again (without touching it: an open agenda must not
keep a session alive forever): once signed out, expired or deactivated, the stream ends
and the browser's reconnection meets the sign-in page. Streams also end when the server
stops (LiveStreams.stop, called on the exit signal), or uvicorn would wait for them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import AsyncIterator

from litestar import Request, get
from litestar.channels import ChannelsPlugin
from litestar.response import ServerSentEvent, ServerSentEventMessage

from app import clock
from app.live.channels import agenda_channel
from app.settings import Settings
from app.staff.accounts import StaffUser
from app.staff.tables import StaffSession
from app.video.channels import waiting_channel
from app.video.waiting_room import news as waiting_news

log = logging.getLogger("app.live")

HEARTBEAT_S = 15.0
RETRY_MS = 3000  # how soon a browser reconnects after a stream ends


class LiveStreams:
    """The app's open streams: ended together when the server stops."""

    def __init__(self, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.heartbeat_s = heartbeat_s
        self.open = 0
        self._stopping: asyncio.Event | None = None

    @property
    def stopping(self) -> asyncio.Event:
        if self._stopping is None:  # created in the server's event loop, on first use
            self._stopping = asyncio.Event()
        return self._stopping

    def stop(self) -> None:
        self.stopping.set()

    def reset(self) -> None:
        """At start-up: a stopped app started again (the tests) serves streams again."""
        self._stopping = None


async def session_open(*, user: StaffUser, idle: timedelta) -> bool:
    """Whether the stream's session still opens the staff area, as the middleware would
    decide it, but without marking it used."""
    row = (
        await StaffSession.select(
            StaffSession.last_seen_at, StaffSession.account.active.as_alias("active")
        )
        .where((StaffSession.id == user.session_id) & (StaffSession.clinic == user.clinic_id))
        .first()
    )
    return bool(row and row["active"] and row["last_seen_at"] + idle >= clock.now())


async def agenda_events(
    *, channels: ChannelsPlugin, streams: LiveStreams, user: StaffUser, idle: timedelta
) -> AsyncIterator[ServerSentEventMessage]:
    """The clinic's agenda changes (`agenda` events, as published) and its waiting room
    (`waiting` events: app.video.waiting_room.news, read again for this clinic), on one
    stream: a staff page opens one connection for both."""
    names = {"agenda": agenda_channel(user.clinic_id), "waiting": waiting_channel(user.clinic_id)}
    # One subscriber per channel: an event does not say which channel it came from.
    subscribers = {kind: await channels.subscribe(name) for kind, name in names.items()}
    streams.open += 1
    iterators = {kind: subscriber.iter_events() for kind, subscriber in subscribers.items()}
    following: dict[asyncio.Future, str] = {}
    stopping = None
    try:
        # Subscribed before the first line: a client that has read it misses no later change.
        yield ServerSentEventMessage(data=None, comment="agenda", retry=RETRY_MS)
        stopping = asyncio.ensure_future(streams.stopping.wait())
        following = {asyncio.ensure_future(anext(it)): kind for kind, it in iterators.items()}
        while True:
            done, _ = await asyncio.wait(
                {*following, stopping},
                timeout=streams.heartbeat_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if stopping in done:
                return
            arrived = [task for task in following if task in done]
            for task in arrived:
                kind = following.pop(task)
                data = task.result()
                following[asyncio.ensure_future(anext(iterators[kind]))] = kind
                if kind == "agenda":
                    yield ServerSentEventMessage(event="agenda", data=data.decode())
                    continue
                try:
                    told = await waiting_news(user.clinic_id, data)
                except Exception:  # noqa: BLE001 - a courtesy: the page shows the truth
                    log.warning("live: could not read a waiting room change", exc_info=True)
                    told = None
                if told is not None:
                    yield ServerSentEventMessage(event="waiting", data=told.to_json())
            if arrived:
                continue
            if not await session_open(user=user, idle=idle):
                return
            yield ServerSentEventMessage(data=None, comment="heartbeat")
    except StopAsyncIteration:  # the plugin shut down
        return
    finally:
        streams.open -= 1
        for task in (*following, stopping):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await task
        for kind, iterator in iterators.items():
            await iterator.aclose()
            await channels.unsubscribe(subscribers[kind], names[kind])


@get("/live", name="staff:live")
async def live(
    request: Request, staff: StaffUser, channels: ChannelsPlugin, settings: Settings
) -> ServerSentEvent:
    streams: LiveStreams = request.app.state.live_streams
    return ServerSentEvent(
        agenda_events(channels=channels, streams=streams, user=staff, idle=settings.staff_idle),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
