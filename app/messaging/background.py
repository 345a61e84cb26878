"""Without Redis (the embedded default), the same dispatcher runs inside the web process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.messaging.dispatch import Dispatcher

log = logging.getLogger("app.messaging")
IDLE_SECONDS = 2.0


class InProcessDispatch:
    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self._loop(), name="dispatch-outbox")

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.dispatcher.close()

    async def _loop(self) -> None:
        while True:
            try:
                if await self.dispatcher.run_once():
                    continue  # more may be due: no pause between full batches
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("dispatching the outbox failed")
            await asyncio.sleep(IDLE_SECONDS)
