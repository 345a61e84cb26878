"""A changed setting is in force on every app instance at once (SPEC §12): each instance
keeps a host → clinic cache (tenants/resolution.py); once a setting change has committed,
this instance forgets its cache and tells the others on the `tenancy` channel (the
channels plugin: Redis pub/sub with REDIS_URL, memory without, where this process is the
only one), and each instance that hears it forgets its own.

A lost message (Redis down) leaves another instance on its cached clinic for the cache's
lifetime (CACHE_SECONDS) at most: a delay, never a wrong clinic."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from litestar.channels import ChannelsPlugin

from tenants.resolution import forget_cache

log = logging.getLogger("app.tenancy")

CHANNEL = "tenancy"


class TenancySync:
    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels
        self._task: asyncio.Task | None = None
        self.heard = 0  # messages heard, for tests and logs

    async def on_setting_changed(self, _event) -> None:
        """After the commit of any SettingChanged (one per field: each forgets, cheap)."""
        forget_cache()
        try:
            self.channels.publish(b"forget", CHANNEL)
        except Exception:  # noqa: BLE001 - committed already; the others catch up by expiry
            log.warning("tenancy: could not publish a setting change", exc_info=True)

    async def start(self) -> None:
        subscriber = await self.channels.subscribe(CHANNEL)
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(subscriber, ready), name="tenancy-sync")
        await ready.wait()

    async def _listen(self, subscriber, ready: asyncio.Event) -> None:
        events = subscriber.iter_events()
        ready.set()
        try:
            async for _message in events:
                self.heard += 1
                forget_cache()
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()
            with contextlib.suppress(Exception):
                await self.channels.unsubscribe(subscriber, CHANNEL)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
