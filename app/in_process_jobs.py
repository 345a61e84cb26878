"""Without Redis (the embedded default), the worker's jobs run inside the web process:
the same dispatcher, the purge of expired personal data (app.retention), the calls
to the external video platform (app.platforms.sessions), and the earlier-slot sweep
(app.waitlist.matching)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from app import retention
from app.messaging.dispatch import Dispatcher
from app.platforms import sessions as platform_sessions
from app.waitlist import matching as waitlist

log = logging.getLogger("app.jobs")
IDLE_SECONDS = 2.0
SWEEP_SECONDS = 60.0  # the earlier-slot sweep (app.waitlist.matching)
STOP_GRACE_SECONDS = 10.0


class InProcessDispatch:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.platform = platform_sessions.platform_from(dispatcher.settings)
        self.task: asyncio.Task | None = None
        self.stopping = asyncio.Event()

    async def start(self) -> None:
        """The first purge runs before the app serves: run in the background, it would
        read the clock before a test moves it and delete what that test has just made."""
        self.stopping.clear()
        await self._purge()
        self.task = asyncio.create_task(self._loop(), name="dispatch-outbox")

    async def _purge(self) -> None:
        try:
            await retention.purge(staff_idle=self.dispatcher.settings.staff_idle)
        except Exception:  # noqa: BLE001 - the next turn retries
            log.exception("purging expired data failed")

    async def stop(self) -> None:
        """Let the current pass finish: a pass cancelled inside a query would leave its
        database connection (and, on SQLite, that connection's thread) open."""
        self.stopping.set()
        if self.task:
            try:
                await asyncio.wait_for(self.task, STOP_GRACE_SECONDS)
            except asyncio.TimeoutError:
                with contextlib.suppress(asyncio.CancelledError):
                    await self.task  # wait_for has cancelled it
        await self.dispatcher.close()

    async def _loop(self) -> None:
        # Every retention.EVERY of real time after start-up's (the app's clock may be frozen).
        purge_at = time.monotonic() + retention.EVERY.total_seconds()
        sweep_at = time.monotonic() + SWEEP_SECONDS
        while not self.stopping.is_set():
            if time.monotonic() >= sweep_at:
                sweep_at = time.monotonic() + SWEEP_SECONDS
                try:
                    await waitlist.sweep()
                except Exception:  # noqa: BLE001 - the next turn retries
                    log.exception("offering earlier slots failed")
            if time.monotonic() >= purge_at:
                purge_at = time.monotonic() + retention.EVERY.total_seconds()
                await self._purge()
            try:
                await platform_sessions.run_due(self.platform, self.dispatcher.settings)
            except Exception:  # noqa: BLE001 - each session records its own failures
                log.exception("calling the video platform failed")
            try:
                if await self.dispatcher.run_once():
                    continue  # more may be due: no pause between full batches
            except Exception:  # noqa: BLE001 - keep the loop alive; the next pass retries
                log.exception("dispatching the outbox failed")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), IDLE_SECONDS)
