"""The live agenda's fan-out: one change committed, delivered to 50 open agendas.

python -m bench.live --backend sqlite|postgres  (figures as JSON on stdout)

A real server (`python -m app serve`, REDIS_URL on the benchmarks' Redis database) holds
50 server-sent event streams on /staff/live, one per signed-in staff session of the demo
clinic (sessions started directly: argon2 sign-ins would only measure argon2). The
changes are committed by another app instance in this process, sharing that Redis, as a
patient's booking on one instance reaches the agendas served by another. For each change
the clock starts before the booking's transaction (so its commit is counted) and stops
as each stream delivers its event; p50 and p95 over every (change, client) pair. A
client that never receives an event within the deadline counts as missed."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time as timer
from datetime import date, time, timedelta

from bench import database
from bench.database import log
from bench.engine import percentile
from bench.servers import REDIS_URL, SECRET_KEY, free_port, start_server, stop

DEADLINE_S = 5.0
PAUSE_S = 0.3  # between changes, so each is measured alone


class Stream:
    """One open agenda: the arrival time of each `agenda` event it receives."""

    def __init__(self, client) -> None:
        self.client = client
        self.arrivals: asyncio.Queue = asyncio.Queue()
        self.ready = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def run(self) -> None:
        async with self.client.stream("GET", "/staff/live") as response:
            assert response.status_code == 200, response.status_code
            event = None
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.ready.set()
                elif line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "agenda":
                    self.arrivals.put_nowait((timer.perf_counter(), json.loads(line[5:])))
                elif line == "":
                    event = None


async def measure(args) -> dict:
    import httpx

    from app import clock
    from app.booking.services import BookingDetails, BookingService
    from app.events import Actor
    from app.listeners import make_bus
    from app.main import create_app
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Activity, PractitionerSite, Slot
    from app.seed import seed
    from app.settings import load
    from app.staff import sessions
    from app.staff.tables import StaffAccount
    from tenants.tables import Clinic
    from tests.integration.web import running

    await database.reset()
    await seed(schedules=False)
    clinic = await Clinic.objects().get(Clinic.slug == "demo")
    place = await PractitionerSite.select().where(PractitionerSite.clinic == clinic.id).first()
    activity = await Activity.select().where(Activity.clinic == clinic.id).first()
    actor = Actor.system("bench")
    day: date = clock.now().date() + timedelta(days=7)
    opened = await SchedulingService(clinic_id=clinic.id, bus=make_bus()).open_manual(
        actor=actor,
        practitioner_id=place["practitioner"],
        site_id=place["site"],
        activity_id=activity["id"],
        day=day,
        start=time(7),
        end=time(19),
    )
    slots = [
        row["id"]
        for row in await Slot.select(Slot.id)
        .where(Slot.opening == opened.opening_id)
        .order_by(Slot.starts_at)
    ][: args.changes]
    account = await StaffAccount.select().where(StaffAccount.clinic == clinic.id).first()
    tokens = [
        await sessions.start(
            clinic_id=clinic.id,
            account_id=account["id"],
            client="127.0.0.1",
            second_factor_pending=False,
        )
        for _ in range(args.clients)
    ]
    port = free_port()
    server = await start_server(port)
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["SECRET_KEY"] = SECRET_KEY
    limits = httpx.Limits(max_connections=args.clients + 5)
    clients = [
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Host": "demo.localhost", "Cookie": f"{sessions.COOKIE}={token}"},
            timeout=httpx.Timeout(10, read=None),
            limits=limits,
        )
        for token in tokens
    ]
    streams = [Stream(client) for client in clients]
    delays: list[float] = []
    missed = 0
    try:
        for stream in streams:
            stream.task = asyncio.create_task(stream.run())
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 30)
        log(f"  {len(streams)} streams open on the server (port {port})")
        async with running(create_app(load())) as committer:
            engine = BookingService(clinic_id=clinic.id, bus=committer.state.bus)
            details = BookingDetails(source="staff")
            for slot_id in slots:
                started = timer.perf_counter()
                outcome = await engine.staff_book(slot_id=slot_id, details=details, actor=actor)
                assert outcome.ok, outcome
                for stream in streams:
                    try:
                        arrived, _data = await asyncio.wait_for(
                            stream.arrivals.get(), DEADLINE_S - (timer.perf_counter() - started)
                        )
                    except (asyncio.TimeoutError, ValueError):
                        missed += 1
                        continue
                    delays.append((arrived - started) * 1000)
                await asyncio.sleep(PAUSE_S)
    finally:
        for stream in streams:
            if stream.task:
                stream.task.cancel()
        for client in clients:
            await client.aclose()
        stop(server)
    figures = {
        "agenda_live_clients": args.clients,
        "agenda_live_changes": len(slots),
        "agenda_live_p50_ms": round(statistics.median(delays), 2) if delays else None,
        "agenda_live_p95_ms": round(percentile(delays, 95), 2) if delays else None,
        "agenda_live_missed": missed,
    }
    log(
        f"  fan-out to {args.clients} agendas, {len(slots)} changes: "
        f"p50 {figures['agenda_live_p50_ms']} ms, p95 {figures['agenda_live_p95_ms']} ms, "
        f"missed {missed}"
    )
    return figures


if __name__ == "__main__":
    database.main(
        __doc__,
        measure,
        clients=(50, "open agendas (SSE streams)"),
        changes=(20, "changes committed, one at a time"),
    )
