"""Call signalling at scale: 100 rooms, a patient and a practitioner in each, trading 50
WebRTC signals through the real WebSockets and Redis.

python -m bench.signalling --backend sqlite|postgres [--rooms 100] [--messages 50]
                           [--instances 2]  (figures as JSON on stdout)

Real servers (`python -m app serve`, REDIS_URL on the benchmarks' Redis database, as
bench.live starts them): with two instances (the default) every patient is on the first
and every practitioner on the second, as behind a load balancer, so each signal crosses
Redis pub/sub from one instance to the other. The rooms are teleconsultations of the demo clinic,
all starting in ten minutes (so every patient link is inside its window), each with a
practitioner of its own; the patient enters by the details-link token
(`/a/{token}/room/ws`), the practitioner by a staff session (`/staff/calls/{id}/ws`), both
with their own Origin; each room is then accepted (rooms.accept, and the state published
as the accept route does) before the signals start, since only an in-call room relays.

In each room the two sides take turns: one sends a signal (an ICE-candidate-sized JSON
object), the clock runs until the other side's socket delivers it, and the other answers
100 ms later (--pause-ms): a call's 50 signals in about five seconds, as an offer, an
answer, trickled candidates and a renegotiation come, and all 100 calls setting up in the
same five seconds (about 1,000 signals a second; a clinic whose 100 calls all start in
the same minute sees a twelfth of that). --pause-ms 0 is the servers' capacity instead:
each side answers at once, so the latency is how long 100 signals queue (Little's law).
p50/p95 over every signal; one not delivered within the deadline counts as missed (and
is not in the percentiles)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import time as timer
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

from bench import database
from bench.database import log
from bench.engine import percentile
from bench.live import REDIS_URL, SECRET_KEY, free_port, start_server

DEADLINE_S = 5.0
STARTS_IN = timedelta(minutes=10)
# About an ICE candidate's size, as the browsers trickle them (an SDP offer is a few KB,
# sent twice per call; candidates are most of the traffic).
CANDIDATE = (
    "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.20 "
    "rport 61665 generation 0 ufrag sk9s network-cost 999"
)


@dataclass
class Peer:
    """One side's socket: the signals it receives, by sequence number."""

    side: str
    socket: object = None
    hello: dict = field(default_factory=dict)
    in_call: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: dict = field(default_factory=dict)  # seq -> asyncio.Future of arrival time
    reader: asyncio.Task | None = None

    def expect(self, seq: int) -> asyncio.Future:
        return self.arrivals.setdefault(seq, asyncio.get_running_loop().create_future())

    async def read(self) -> None:
        async for raw in self.socket:
            arrived = timer.perf_counter()
            event = json.loads(raw)
            if event.get("type") == "state" and event["data"].get("state") == "in_call":
                self.in_call.set()
            elif event.get("type") == "signal":
                waiter = self.expect(event["data"]["seq"])
                if not waiter.done():
                    waiter.set_result(arrived)


async def connect(port: int, path: str, cookie: str | None, side: str) -> Peer:
    from websockets.asyncio.client import connect as ws_connect
    from websockets.exceptions import InvalidStatus

    origin = f"http://demo.localhost:{port}"
    try:
        socket = await ws_connect(
            f"ws://demo.localhost:{port}{path}",
            host="127.0.0.1",  # the TCP destination; Host stays demo.localhost:port
            port=port,
            origin=origin,
            additional_headers={"Cookie": cookie} if cookie else None,
            proxy=None,
            open_timeout=30,
            max_size=2**20,
        )
    except InvalidStatus as refused:
        raise SystemExit(f"{side}: {path} answered HTTP {refused.response.status_code}") from None
    hello = json.loads(await asyncio.wait_for(socket.recv(), 30))
    if hello.get("type") != "hello":
        raise SystemExit(f"{side}: expected hello first, got {hello}")
    peer = Peer(side, socket, hello["data"])
    if peer.hello.get("status", {}).get("state") == "in_call":
        peer.in_call.set()
    peer.reader = asyncio.create_task(peer.read())
    return peer


@dataclass(frozen=True)
class Room:
    appointment_id: int
    token: str  # the patient's details-link token
    practitioner: dict  # their staff account's row
    cookie: str  # their staff session


def cpu_seconds(pid: int) -> float:
    """A process's user and system CPU time so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def make_rooms(rooms: int) -> tuple[int, list[Room]]:
    """`rooms` teleconsultations starting in ten minutes, each with a practitioner of its
    own (a practitioner has one appointment at a time: PostgreSQL's slot_no_overlap), who
    has a staff account and a session."""
    from app import clock
    from app.booking.links import make_token
    from app.booking.services import BookingDetails, BookingService
    from app.events import Actor
    from app.listeners import make_bus
    from app.patients.tables import Patient
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Activity, Practitioner, PractitionerSite, Slot
    from app.seed import seed
    from app.staff import sessions
    from app.staff.tables import StaffAccount, StaffRole
    from tenants.tables import Clinic, WorkSite

    await database.reset()
    await seed(schedules=False)
    clinic = (await Clinic.objects().get(Clinic.slug == "demo")).id
    roy = await Practitioner.objects().get(
        (Practitioner.clinic == clinic) & (Practitioner.name == "Dre Julie Roy")
    )
    site = await WorkSite.objects().get(
        (WorkSite.clinic == clinic) & (WorkSite.slug == "centre-ville")
    )
    activity = await Activity.objects().get(
        (Activity.clinic == clinic) & (Activity.name_fr == "Téléconsultation")
    )
    patient = await Patient.objects().get(
        (Patient.clinic == clinic) & (Patient.last_name == "Tremblay")
    )
    actor = Actor.system("bench")
    bus = make_bus()
    # One slot opened the ordinary way (a month ahead) is the template of the rooms' slots,
    # which start in ten minutes: each is then booked by the booking service.
    opened = await SchedulingService(clinic_id=clinic, bus=bus).open_manual(
        actor=actor,
        practitioner_id=roy.id,
        site_id=site.id,
        activity_id=activity.id,
        day=clock.now().date() + timedelta(days=30),
        start=time(15),
        end=time(15, activity.duration_minutes),
    )
    template = await Slot.select().where(Slot.opening == opened.opening_id).first()
    starts = clock.now() + STARTS_IN
    ends = starts + timedelta(minutes=activity.duration_minutes)
    booking = BookingService(clinic_id=clinic, bus=bus)
    made = []
    for number in range(rooms):
        doctor = Practitioner(clinic=clinic, name=f"Dr Banc {number:03}", kind="gp")
        await doctor.save()
        await PractitionerSite(clinic=clinic, practitioner=doctor.id, site=site.id).save()
        account = StaffAccount(
            clinic=clinic,
            email=f"banc{number:03}@demo.localhost",
            name=doctor.name,
            role=StaffRole.PRACTITIONER.value,
            practitioner=doctor.id,
        )
        await account.save()
        slot = Slot(
            clinic=clinic,
            site=site.id,
            practitioner=doctor.id,
            activity=activity.id,
            origin=template["origin"],
            starts_at=starts,
            ends_at=ends,
            local_date=template["local_date"],
            day_part=template["day_part"],
        )
        await slot.save()
        outcome = await booking.staff_book(
            slot_id=slot.id,
            details=BookingDetails(source="staff", patient_id=patient.id),
            actor=actor,
        )
        assert outcome.ok, outcome
        session = await sessions.start(
            clinic_id=clinic, account_id=account.id, client="127.0.0.1", second_factor_pending=False
        )
        made.append(
            Room(
                appointment_id=outcome.appointment_id,
                token=make_token(SECRET_KEY, outcome.appointment_id, ends),
                practitioner=account.to_dict(),
                cookie=f"{sessions.COOKIE}={session}",
            )
        )
    return clinic, made


async def accept_all(app, clinic: int, made: list[Room]) -> None:
    """What the accept route does for each room, by its practitioner: the state change,
    then its publication."""
    from litestar.channels import ChannelsPlugin

    from app.staff.accounts import StaffUser
    from app.staff.tables import StaffRole
    from app.video import rooms
    from app.video.access import staff_pass
    from app.video.notify import CallNotifier

    notifier = CallNotifier(app.plugins.get(ChannelsPlugin))
    for made_room in made:
        account = made_room.practitioner
        user = StaffUser(
            account_id=account["id"],
            clinic_id=clinic,
            name=account["name"],
            email=account["email"],
            role=StaffRole(account["role"]),
            practitioner_id=account["practitioner"],
            session_id=0,
            client="127.0.0.1",
        )
        room = await staff_pass(user=user, appointment_id=made_room.appointment_id)
        assert room is not None and room.may_join, made_room
        status = await rooms.accept(room, actor=user.actor(), bus=app.state.bus)
        assert status is not None, f"room {made_room.appointment_id} was not waiting"
        notifier.state(clinic, status)


async def talk(patient: Peer, staff: Peer, messages: int, pause: float, delays: list[float]) -> int:
    """The two sides take turns, each answering `pause` after the other's signal arrived
    (the first one after a random part of it, so the rooms do not move in step); returns
    how many signals never arrived."""
    missed = 0
    await asyncio.sleep(random.uniform(0, pause))
    for seq in range(messages):
        sender, receiver = (patient, staff) if seq % 2 == 0 else (staff, patient)
        waiter = receiver.expect(seq)
        started = timer.perf_counter()
        await sender.socket.send(
            json.dumps({"type": "signal", "data": {"seq": seq, "candidate": CANDIDATE}})
        )
        try:
            arrived = await asyncio.wait_for(asyncio.shield(waiter), DEADLINE_S)
        except asyncio.TimeoutError:
            missed += 1
            continue
        delays.append((arrived - started) * 1000)
        await asyncio.sleep(pause)
    return missed


async def measure(args) -> dict:
    from app.main import create_app
    from app.settings import load
    from tests.integration.web import running

    clinic, made = await make_rooms(args.rooms)
    log(f"  {len(made)} teleconsultation rooms ready")
    ports = [free_port() for _ in range(max(1, args.instances))]
    servers = [await start_server(port) for port in ports]
    patient_port, staff_port = ports[0], ports[-1]
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["SECRET_KEY"] = SECRET_KEY
    peers: list[tuple[Peer, Peer]] = []
    delays: list[float] = []
    missed = 0
    try:
        for room in made:
            patient = await connect(patient_port, f"/a/{room.token}/room/ws", None, "patient")
            staff = await connect(
                staff_port, f"/staff/calls/{room.appointment_id}/ws", room.cookie, "staff"
            )
            if not staff.hello.get("may_join"):
                raise SystemExit(f"the practitioner may not join room {room.appointment_id}")
            peers.append((patient, staff))
        log(
            f"  {2 * len(peers)} sockets open (patients on :{patient_port}, staff on :{staff_port})"
        )
        async with running(create_app(load())) as app:  # on the same Redis
            await accept_all(app, clinic, made)
            await asyncio.wait_for(
                asyncio.gather(*(p.in_call.wait() for pair in peers for p in pair)), 30
            )
        load = os.getloadavg()[0]
        cpu = [cpu_seconds(server.pid) for server in servers]
        started = timer.perf_counter()
        pause = args.pause_ms / 1000
        missed = sum(
            await asyncio.gather(*(talk(p, s, args.messages, pause, delays) for p, s in peers))
        )
        elapsed = timer.perf_counter() - started
        cpu = sum(cpu_seconds(server.pid) - before for server, before in zip(servers, cpu))
        load = max(load, os.getloadavg()[0])
    finally:
        for pair in peers:
            for peer in pair:
                if peer.reader:
                    peer.reader.cancel()
                with contextlib.suppress(Exception):
                    await peer.socket.close()
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    figures = {
        "signalling_rooms": len(peers),
        "signalling_messages": len(delays) + missed,
        "signalling_instances": len(servers),
        "signalling_p50_ms": round(statistics.median(delays), 2) if delays else None,
        "signalling_p95_ms": round(percentile(delays, 95), 2) if delays else None,
        "signalling_per_s": round(len(delays) / elapsed) if delays else 0,
        "signalling_missed": missed,
        "signalling_pause_ms": args.pause_ms,
        # The servers' CPU time per signal relayed (both instances): what the signals cost
        # whatever else the machine is doing, which the latencies depend on.
        "signalling_server_cpu_ms": round(cpu * 1000 / len(delays), 3) if delays else None,
        "signalling_load_avg_1m": round(load, 1),  # the machine's other work
    }
    log(
        f"  {figures['signalling_messages']} signals in {len(peers)} rooms over "
        f"{len(servers)} instance(s): p50 {figures['signalling_p50_ms']} ms, "
        f"p95 {figures['signalling_p95_ms']} ms, {figures['signalling_per_s']}/s, missed {missed}; "
        f"servers' CPU {figures['signalling_server_cpu_ms']} ms a signal, load {load:.1f}"
    )
    return figures


if __name__ == "__main__":
    database.main(
        __doc__,
        measure,
        rooms=(100, "rooms, a patient and a practitioner in each"),
        messages=(50, "signals per room, the two sides taking turns"),
        instances=(2, "app instances (patients on the first, staff on the last)"),
        pause_ms=(100, "how long a side takes to answer; 0: as fast as the servers relay"),
    )
