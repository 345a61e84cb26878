"""The channels plugin and its backend: memory without Redis (one process sees its own
changes, which is all there is on the embedded default), Redis pub/sub with it.

The Redis backend is Litestar's pub/sub backend made to survive Redis going away:
publishing logs and drops the event (the agenda shows the truth on refresh) instead of
killing the plugin's publishing task, and listening reconnects and subscribes again
instead of ending for good. Pub/sub ignores Redis database numbers, so the channels are
prefixed with the database of REDIS_URL: deployments (and test runs) sharing one Redis
server on different databases do not hear each other."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, AsyncGenerator, Iterable
from urllib.parse import urlsplit

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("app.live")

PUBLISH_TIMEOUT_S = 1.0  # a change is never held up by a slow Redis; its event is dropped
DOWN_FOR_S = 5.0  # after a failure, events are dropped at once for this long
RECONNECT_EVERY_S = 1.0
LISTEN_POLL_S = 1.0  # how long one read of the pub/sub connection waits for a message
MAX_BACKLOG = 100  # events waiting for one slow stream; older ones give way


def agenda_channel(clinic_id: int) -> str:
    return f"agenda:{clinic_id}"


class LiveRedisBackend(RedisChannelsPubSubBackend):
    def __init__(self, *, redis: Redis, prefix: str) -> None:
        super().__init__(redis=redis, key_prefix="LIVE")
        self._prefix = prefix
        self._wanted: set[str] = set()  # channels someone listens to, subscribed or not yet
        self._listening = asyncio.Event()
        # One (un)subscription at a time: two at once on a fresh pub/sub object each open a
        # connection, and both stay subscribed (every event then arrives twice).
        self._subscribing = asyncio.Lock()
        self._down_until = 0.0
        self._failing = False  # listening failed; said once, and once when it recovers
        # Whether the listening loop must compare what is wanted with what is subscribed:
        # after a (un)subscription or a failure only, not at every message (a server with
        # a hundred calls open listens to a hundred rooms' channels).
        self._recheck = True

    def _name(self, channel: str) -> str:
        return self._prefix + channel

    async def subscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        self._wanted |= channels
        self._recheck = True
        try:
            async with self._subscribing:
                await asyncio.wait_for(
                    self._pub_sub.subscribe(*map(self._name, channels)), PUBLISH_TIMEOUT_S
                )
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            # The listening loop subscribes again once Redis is back.
            self._listen_failed(error)
        self._listening.set()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        channels = set(channels)
        self._wanted -= channels
        if not self._wanted:
            self._listening.clear()
        try:
            async with self._subscribing:
                await asyncio.wait_for(
                    self._pub_sub.unsubscribe(*map(self._name, channels)), PUBLISH_TIMEOUT_S
                )
        except (RedisError, OSError, asyncio.TimeoutError):
            pass  # the connection is gone, and its subscriptions with it

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            await asyncio.wait_for(
                super().publish(data, [self._name(c) for c in channels]), PUBLISH_TIMEOUT_S
            )
        except (RedisError, OSError, asyncio.TimeoutError) as error:
            self._down_until = time.monotonic() + DOWN_FOR_S
            log.warning(
                "live agenda: Redis unavailable (%s); events dropped for %ss "
                "(open agendas show the change on refresh)",
                error or type(error).__name__,
                DOWN_FOR_S,
            )

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        while True:
            await self._listening.wait()
            try:
                async with self._subscribing:
                    if self._recheck:
                        subscribed = {name.decode() for name in self._pub_sub.channels}
                        missing = {c for c in self._wanted if self._name(c) not in subscribed}
                        if missing:
                            await self._pub_sub.subscribe(*map(self._name, missing))
                        self._recheck = False
                message = await self._pub_sub.get_message(
                    ignore_subscribe_messages=True, timeout=LISTEN_POLL_S
                )
            except (RedisError, OSError) as error:
                self._listen_failed(error)
                await asyncio.sleep(RECONNECT_EVERY_S)
                continue
            if self._failing:
                self._failing = False
                log.warning("live agenda: listening to Redis again")
            if message is None:
                continue
            name = message["channel"].decode()
            channel = name[len(self._prefix) :]
            if name.startswith(self._prefix) and channel in self._wanted:
                yield channel, message["data"]

    def _listen_failed(self, error: BaseException) -> None:
        self._recheck = True
        if not self._failing:
            self._failing = True
            log.warning(
                "live agenda: cannot listen to Redis (%s); retrying every %ss",
                error or type(error).__name__,
                RECONNECT_EVERY_S,
            )

    async def on_shutdown(self) -> None:
        try:
            await super().on_shutdown()
        except (RedisError, OSError):
            pass
        await self._redis.aclose()


def redis_prefix(url: str) -> str:
    """ "db3:" for redis://host:6379/3 (database 0 when the URL names none)."""
    path = urlsplit(url).path.strip("/")
    return f"db{path or 0}:"


def make_backend(redis_url: str | None) -> ChannelsBackend:
    if not redis_url:
        return MemoryChannelsBackend()
    redis = Redis.from_url(redis_url, socket_connect_timeout=PUBLISH_TIMEOUT_S)
    return LiveRedisBackend(redis=redis, prefix=redis_prefix(redis_url))


def make_channels(redis_url: str | None) -> ChannelsPlugin:
    return ChannelsPlugin(
        backend=make_backend(redis_url),
        arbitrary_channels_allowed=True,  # one channel per clinic: agenda:{clinic_id}
        subscriber_max_backlog=MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )
