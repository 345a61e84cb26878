"""Video rooms from tests: a built-in teleconsultation booked through the engine, and a
WebSocket client that speaks ASGI to the running app in the test's own event loop (the
database pool lives there), with the headers a browser would send."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.booking.links import make_token
from app.booking.services import BookingDetails, BookingService
from app.booking.tables import Appointment
from app.listeners import make_bus
from app.scheduling.services import SchedulingService
from app.scheduling.tables import Slot
from tests.integration import demo_lookup
from tests.integration.engine_fixtures import RECEPTION

SECRET = "test-secret-key-not-for-production"  # the root conftest's SECRET_KEY


@dataclass(frozen=True)
class VideoVisit:
    clinic_id: int
    appointment_id: int
    token: str
    starts_at: datetime
    ends_at: datetime

    @property
    def room(self) -> str:
        return f"/a/{self.token}/room"


async def book_teleconsultation(starts_at: datetime, *, bus=None) -> VideoVisit:
    """Marie Tremblay's teleconsultation with Dre Julie Roy at `starts_at` (20 minutes,
    the demo's built-in "Télémédecine" type), booked by the front desk."""
    clinic = await demo_lookup.clinic_id("demo")
    local = starts_at.astimezone(ZoneInfo("America/Montreal"))
    end = (datetime.combine(local.date(), local.time()) + timedelta(minutes=20)).time()
    opened = await SchedulingService(clinic_id=clinic, bus=make_bus()).open_manual(
        actor=RECEPTION,
        practitioner_id=await demo_lookup.practitioner_id(clinic, "Dre Julie Roy"),
        site_id=await demo_lookup.site_id(clinic, "centre-ville"),
        activity_id=await demo_lookup.activity_id(clinic, "Téléconsultation"),
        day=local.date(),
        start=time(local.hour, local.minute),
        end=end,
    )
    slot = await Slot.select(Slot.id).where(Slot.opening == opened.opening_id).first()
    booking = BookingService(clinic_id=clinic, bus=bus or make_bus(), hold_for=timedelta(minutes=5))
    outcome = await booking.staff_book(
        slot_id=slot["id"],
        details=BookingDetails(
            source="staff", patient_id=await demo_lookup.patient_id(clinic, "Tremblay")
        ),
        actor=RECEPTION,
    )
    assert outcome.ok, outcome
    row = await (
        Appointment.select(Appointment.starts_at, Appointment.ends_at)
        .where(Appointment.id == outcome.appointment_id)
        .first()
    )
    token = make_token(SECRET, outcome.appointment_id, row["ends_at"])
    return VideoVisit(clinic, outcome.appointment_id, token, row["starts_at"], row["ends_at"])


class Socket:
    """One browser's WebSocket on the app: open() returns once the app accepted or
    closed it; `closed` holds the close code the app sent."""

    def __init__(self, app, path: str, *, host: str, origin: str | None, cookies: str = ""):
        headers = [(b"host", host.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if cookies:
            headers.append((b"cookie", cookies.encode()))
        self.scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "subprotocols": [],
            "state": {},
        }
        self.app = app
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.accepted = False
        self.closed: int | None = None
        self.task: asyncio.Task | None = None

    async def _send(self, message: dict) -> None:
        if message["type"] == "websocket.close" and self.closed is None:
            self.closed = message.get("code", 1000)
            self.inbox.put_nowait({"type": "websocket.disconnect", "code": self.closed})
        await self.outbox.put(message)

    async def open(self) -> "Socket":
        self.inbox.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(self.app(self.scope, self.inbox.get, self._send))
        first = await asyncio.wait_for(self.outbox.get(), 10)
        self.accepted = first["type"] == "websocket.accept"
        return self

    async def receive(self, timeout: float = 5) -> dict | None:
        """The next JSON frame, or None once the app closed the socket."""
        message = await asyncio.wait_for(self.outbox.get(), timeout)
        if message["type"] == "websocket.close":
            return None
        return json.loads(message["text"])

    async def until(self, kind: str, timeout: float = 5, **data) -> dict:
        """Frames until one of this type (and these data values); the others are dropped."""
        return (await self.frames_until(kind, timeout, **data))[-1]

    async def frames_until(self, kind: str, timeout: float = 5, **data) -> list[dict]:
        """Every frame received up to and including the first of this type and data."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        frames = []
        while True:
            frame = await self.receive(max(0.01, deadline - loop.time()))
            assert frame is not None, f"closed ({self.closed}) while waiting for {kind}"
            frames.append(frame)
            if frame["type"] == kind and all(frame["data"].get(k) == v for k, v in data.items()):
                return frames

    async def until_closed(self, timeout: float = 5) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.closed is None:
            await self.receive(max(0.01, deadline - loop.time()))
        return self.closed

    def send(self, frame: dict | str | bytes) -> None:
        if isinstance(frame, bytes):
            self.inbox.put_nowait({"type": "websocket.receive", "bytes": frame})
            return
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self.inbox.put_nowait({"type": "websocket.receive", "text": text})

    async def close(self) -> None:
        if self.task is None:
            return
        if self.closed is None:
            self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 10)


def cookie_header(client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())
