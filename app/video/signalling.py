"""A call's WebSocket, the same for both sides once the pass is checked (see the
protocol in the issue's brief): the server says hello (who you are, whether you may
join, the ICE servers, the room's state), then relays every event of the room's channel
(except a socket's own signals); the browser sends signals, "hangup" and "ping".

Signals are relayed only while the room is in_call and from a pass that may join: the
socket keeps the room's state from the state events it relays (every state change is
published on the room's channel after its commit), so no signal needs a database read,
and nothing reaches the other side before "Accept". A secretary's socket hears the
state, never the signals. A frame over MAX_FRAME, or not JSON, closes the socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass

from litestar import WebSocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect

from app import clock
from app.events import Actor, EventBus
from app.metrics import LIVE
from app.settings import Settings
from app.video import rooms
from app.video.access import RoomPass
from app.video.channels import RoomEvent, room_channel
from app.video.notify import CallNotifier
from app.video.tables import RoomState, Side
from app.video.turn import ice_servers

log = logging.getLogger("app.video")

MAX_FRAME = 64 * 1024  # an SDP offer is a few kilobytes; chat and files go over HTTP
REFUSED = 4403  # the pass was refused (before accept, so the browser sees the handshake fail)
TOO_BIG = 1009
NOT_JSON = 1003


def same_origin(socket: WebSocket) -> bool:
    """The page that opened the socket is this host's (cross-site WebSocket hijacking:
    a browser sends the cookies and the link of any page that opens a socket here)."""
    origin = socket.headers.get("origin", "")
    host = socket.headers.get("host", "")
    scheme = "https" if socket.scope.get("scheme") in ("wss", "https") else "http"
    allowed = {f"{scheme}://{host}".lower()}
    # Behind a TLS proxy the socket arrives as ws: the page was https all the same.
    allowed.add(f"https://{host}".lower())
    return bool(origin and host) and origin.lower() in allowed


async def refuse(socket: WebSocket) -> None:
    await socket.close(code=REFUSED, reason="refused")


@dataclass
class Call:
    """One open socket of one side of one room."""

    socket: WebSocket
    room: RoomPass
    channels: ChannelsPlugin
    settings: Settings
    bus: EventBus
    actor: Actor

    def __post_init__(self) -> None:
        self.me = uuid.uuid4().hex[:12]
        self.state = RoomState.EMPTY
        self.notifier = CallNotifier(self.channels)
        self._sending = asyncio.Lock()  # the relay and the reader both send

    async def send(self, message: dict | str) -> None:
        text = message if isinstance(message, str) else json.dumps(message, default=str)
        async with self._sending:
            await self.socket.send_text(text)

    async def run(self) -> None:
        channel = room_channel(self.room.clinic_id, self.room.appointment_id)
        await self.socket.accept()
        # Subscribed before the hello: nothing that happens after it is missed.
        subscriber = await self.channels.subscribe(channel)
        relay = None
        try:
            if self.room.side == Side.PATIENT:
                status = await rooms.patient_arrived(self.room, actor=self.actor, bus=self.bus)
                self.notifier.state(self.room.clinic_id, status)
            else:
                status = await rooms.room_status(
                    clinic_id=self.room.clinic_id, appointment_id=self.room.appointment_id
                )
            self.state = status.state
            await self.send({"type": "hello", "data": self.hello(status)})
            relay = asyncio.ensure_future(self.relay(subscriber))
            await self.read()
        finally:
            if relay is not None:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await relay
            await self.channels.unsubscribe(subscriber, channel)
            if self.room.side == Side.PATIENT:
                with contextlib.suppress(Exception):  # the socket is gone; the row is a courtesy
                    status = await rooms.patient_left(self.room)
                    self.notifier.state(self.room.clinic_id, status)

    def hello(self, status: rooms.RoomStatus) -> dict:
        servers = ice_servers(
            self.settings.ice_servers,
            secret=self.settings.turn_secret,
            label=self.room.key,
            now=clock.now(),
            ttl=self.settings.turn_ttl,
        )
        return {
            "you": self.me,
            "side": self.room.side.value,
            "may_join": self.room.may_join,
            "ice_servers": [server.to_dict() for server in servers],
            "status": status.to_dict(),
        }

    async def relay(self, subscriber) -> None:
        async for raw in subscriber.iter_events():
            event = RoomEvent.from_json(raw)
            if event is None:
                continue
            if event.type == "state":
                with contextlib.suppress(KeyError, ValueError):
                    self.state = RoomState(event.data["state"])
            if event.type == "signal" and (event.sender == self.me or not self.room.may_join):
                continue
            await self.send(raw.decode() if isinstance(raw, bytes) else raw)

    async def read(self) -> None:
        while True:
            message = await self.socket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:  # binary frames are no part of the protocol
                await self.socket.close(code=NOT_JSON, reason="text frames only")
                return
            if len(text.encode()) > MAX_FRAME:
                await self.socket.close(code=TOO_BIG, reason="frame too big")
                return
            try:
                frame = json.loads(text)
                kind = frame["type"]
            except (ValueError, KeyError, TypeError):
                await self.socket.close(code=NOT_JSON, reason="not JSON")
                return
            await self.handle(kind, frame.get("data"))

    async def handle(self, kind: str, data) -> None:
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "signal":
            # Dropped (not an error) before "Accept", after the end, from a secretary.
            if self.room.may_join and self.state == RoomState.IN_CALL and isinstance(data, dict):
                event = RoomEvent("signal", data, sender=self.me, side=self.room.side.value)
                self.notifier.room(self.room.clinic_id, self.room.appointment_id, event)
        elif kind == "hangup":
            status = await rooms.end(self.room, actor=self.actor, bus=self.bus)
            if status is not None:
                self.notifier.state(self.room.clinic_id, status)


async def serve(socket: WebSocket, room: RoomPass | None, **parts) -> None:
    """Refuse (4403, before accept) a socket without a pass or from another origin;
    else run the call until either side closes."""
    if room is None or not same_origin(socket):
        await refuse(socket)
        return
    LIVE.labels("websocket").inc()
    try:
        await Call(socket, room, **parts).run()
    except WebSocketDisconnect:
        pass
    finally:
        LIVE.labels("websocket").dec()
