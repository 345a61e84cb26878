"""The web server, told to end the live streams when it is asked to stop.

uvicorn waits for every open response before it shuts the app down, and an agenda's
stream never ends by itself: Ctrl-C on `make run` (or SIGTERM from a supervisor) would
wait forever. The exit signal therefore also ends the app's streams (app.live.stream),
which close cleanly; the browsers reconnect to whichever server answers next. A bounded
graceful shutdown stays as the last resort for any other response that hangs."""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn

GRACEFUL_SHUTDOWN_S = 10


class Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.end_live_streams()

    def end_live_streams(self) -> None:
        streams = getattr(getattr(self.config.app, "state", None), "live_streams", None)
        if streams is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not serving yet: nothing is open
        loop.call_soon_threadsafe(streams.stop)
