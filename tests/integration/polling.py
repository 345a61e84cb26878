"""Waiting for what a background task does, with a deadline: a test that waits for
something that never happens fails and says what it waited for, instead of hanging."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable


async def until(
    condition: Callable[[], Awaitable[bool]], *, what: str, timeout: float = 30
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, f"waited {timeout} s for {what}"
        await asyncio.sleep(0.05)
