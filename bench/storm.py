"""A booking storm over HTTP: many patients want the same few slots at once (flu-shot day,
the Monday 8:00 opening of the week's slots).

python -m bench.storm --backend sqlite|postgres [--patients 500] [--slots 50] [--instances N]

N patients (each its own client address, through X-Forwarded-For from a trusted proxy)
first walk the wizard as far as the availabilities: identify (new patients, no file),
choose the urgent consultation, read the slots page. Then, all at once, each tries to hold
one of the slots it was shown and to book it, as a person would: a slot refused (taken by
someone faster) sends them back to the page, which shows what is left, and they try again
until they book or nothing is left.

Figures: booked, double bookings (counted in the database), the status histogram of the
storm's requests, 5xx, holds+books per second over the storm, p50/p95 latency of the hold
and the book requests. On PostgreSQL, pgbench runs the hold transaction the app runs (the
per-holder advisory lock, the conditional UPDATE, the release of the holder's other hold)
at the same concurrency (capped by max_connections), and `storm_vs_db_ratio` is the app's
holds+books per second over pgbench's transactions per second.

On PostgreSQL the patients go through HAProxy to two app processes sharing the database
and Redis, as production runs (deploy/cluster.py); on SQLite, the embedded default, to
one process (--instances chooses)."""

from __future__ import annotations

import asyncio
import collections
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time as timer
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

from bench import database
from bench.database import log
from bench.engine import percentile
from bench.servers import REDIS_URL, SECRET_KEY, free_port, start_server, stop

SERVICE = "Consultation urgente"
PRACTITIONER = "Dre Julie Roy"
SLOT_ID = re.compile(r'name="slot" value="(\d+)"')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
TRIES = 60  # a patient gives up after this many refused slots


@dataclass(frozen=True)
class Answer:
    status_code: int
    text: str
    headers: dict[str, str]


class Phone:
    """A patient's HTTP client on the clinic's host, from its own address. aiohttp, not
    httpx: the load generator shares the app's two cores, and httpx spent about 0.5 ms of
    them on each request against aiohttp's 0.1 (the storm's CPU split shows the rest)."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(
            base_url=base_url,
            headers=headers,
            # A browser sends a request again on a kept-alive connection the server had
            # closed as it went out; aiohttp does not. Its idle connections are dropped
            # before the server's keep-alive would close them under it.
            connector=aiohttp.TCPConnector(limit=4, keepalive_timeout=4),
            timeout=aiohttp.ClientTimeout(total=120),
            cookie_jar=aiohttp.DummyCookieJar(),  # the wizard keeps its state in its URLs
        )

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        return await self._send("GET", url, headers=headers)

    async def post(self, url: str, data: dict, headers: dict[str, str] | None = None) -> Answer:
        return await self._send("POST", url, data=data, headers=headers)

    async def _send(self, method: str, url: str, **options) -> Answer:
        async with self._session.request(method, url, allow_redirects=False, **options) as got:
            headers = {name.lower(): value for name, value in got.headers.items()}
            return Answer(got.status, await got.text(), headers)

    async def aclose(self) -> None:
        await self._session.close()


@dataclass
class Patient:
    number: int
    client: Phone
    slots_url: str = ""
    page: str = ""  # the last slots page read
    booked: bool = False
    gave_up: bool = False


@dataclass
class Tally:
    statuses: collections.Counter = field(default_factory=collections.Counter)
    hold_ms: list[float] = field(default_factory=list)
    book_ms: list[float] = field(default_factory=list)
    errors: collections.Counter = field(default_factory=collections.Counter)

    async def timed(self, into: list[float] | None, request):
        started = timer.perf_counter()
        try:
            response = await request
        except Exception as error:  # noqa: BLE001 - a refused connection is a figure
            self.errors[type(error).__name__] += 1
            return None
        if into is not None:
            into.append((timer.perf_counter() - started) * 1000)
        self.statuses[response.status_code] += 1
        return response


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_s() -> float:
    """CPU time every core of the machine has spent busy so far, from /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class CpuSplit:
    """Where the storm's CPU went: the app's processes, this load generator, the machine
    (PostgreSQL, HAProxy, Redis and the rest are the difference)."""

    app_pids: list[int]
    app: float = 0.0
    client: float = 0.0
    machine: float = 0.0

    def __enter__(self) -> "CpuSplit":
        self._start = self._read()
        return self

    def __exit__(self, *exc) -> None:
        end = self._read()
        self.app, self.client, self.machine = (b - a for a, b in zip(self._start, end))

    def _read(self) -> tuple[float, float, float]:
        return (
            sum(process_cpu_s(pid) for pid in self.app_pids),
            timer.process_time(),
            machine_busy_s(),
        )


def identity(n: int) -> dict[str, str]:
    return {
        "first_name": "Patient",
        "last_name": f"Tempete{n}",
        "date_of_birth": (date(1950, 1, 1) + timedelta(days=n * 7)).isoformat(),
        "sex": "F" if n % 2 else "M",
        "health_insurance_number": "",
        "cell_phone": "",
        "email": f"patient{n}@tempete.example",
        "accept_terms": "on",
    }


def token_of(html: str) -> str:
    found = FORM_TOKEN.search(html)
    return found.group(1) if found else ""


async def walk_to_slots(patient: Patient, service_id: str) -> None:
    """Steps 1 and 2, then the availabilities page."""
    client = patient.client
    page = await client.get("/centre-ville/")
    identified = await client.post(
        "/centre-ville/", data={**identity(patient.number), "form_token": token_of(page.text)}
    )
    assert identified.status_code == 303, (identified.status_code, identified.text[-500:])
    service_url = identified.headers["location"]
    page = await client.get(service_url)
    chosen = await client.post(
        service_url,
        data={
            "service": service_id,
            "reason": "Grippe",
            "details": "",
            "preference": "asap",
            "form_token": token_of(page.text),
        },
    )
    assert chosen.status_code == 303, (chosen.status_code, chosen.text[-500:])
    patient.slots_url = service_url.replace("/service", "/slots")
    patient.page = (await client.get(patient.slots_url)).text


HTMX = {"HX-Request": "true"}  # a phone's browser runs htmx: its answers are fragments


async def storm(patient: Patient, tally: Tally, rng: random.Random) -> None:
    """Hold one of the slots shown, review, book; refused, try what the page shows now."""
    client = patient.client
    for _ in range(TRIES):
        shown = SLOT_ID.findall(patient.page)
        if not shown:
            patient.gave_up = True
            return
        held = await tally.timed(
            tally.hold_ms,
            client.post(
                patient.slots_url,
                data={"slot": rng.choice(shown), "form_token": token_of(patient.page)},
                headers=HTMX,
            ),
        )
        if held is None:
            return
        if held.status_code != 303:
            patient.page = held.text  # the page again, with what is left
            if held.status_code >= 500:
                return
            continue
        review = await tally.timed(None, client.get(held.headers["location"], headers=HTMX))
        if review is None or review.status_code != 200:
            patient.page = (await client.get(patient.slots_url, headers=HTMX)).text
            continue
        booked = await tally.timed(
            tally.book_ms,
            client.post(
                held.headers["location"], data={"form_token": token_of(review.text)}, headers=HTMX
            ),
        )
        if booked is None:
            return
        if booked.status_code == 303 and booked.headers["location"].endswith("/done"):
            patient.booked = True
            return
        listing = await tally.timed(None, client.get(patient.slots_url, headers=HTMX))
        if listing is None:
            return
        patient.page = listing.text
    patient.gave_up = True


@dataclass(frozen=True)
class Opened:
    clinic_id: int
    slot_ids: list[int]
    service_id: str  # as the form posts it
    site_id: int
    first_day: date


async def open_slots(count: int) -> Opened:
    """`count` urgent-consultation slots (15 minutes) from a week ahead."""
    from app import clock
    from app.events import Actor
    from app.listeners import make_bus
    from app.online_services.tables import OnlineService
    from app.scheduling.services import SchedulingService
    from app.scheduling.tables import Activity, Practitioner, Slot
    from tenants.tables import Clinic, WorkSite

    clinic = await Clinic.objects().get(Clinic.slug == "demo")
    activity = await Activity.objects().get(
        (Activity.clinic == clinic.id) & (Activity.name_fr == SERVICE)
    )
    practitioner = await Practitioner.objects().get(
        (Practitioner.clinic == clinic.id) & (Practitioner.name == PRACTITIONER)
    )
    site = await WorkSite.objects().get(
        (WorkSite.clinic == clinic.id) & (WorkSite.slug == "centre-ville")
    )
    service = await OnlineService.objects().get(
        (OnlineService.clinic == clinic.id) & (OnlineService.name_fr == SERVICE)
    )
    scheduling = SchedulingService(clinic_id=clinic.id, bus=make_bus())
    first_day = clock.now().date() + timedelta(days=7)
    per_day = 12 * 60 // activity.duration_minutes  # 7:00 to 19:00
    ids: list[int] = []
    day = first_day
    while len(ids) < count:
        wanted = min(per_day, count - len(ids))
        minutes = 7 * 60 + wanted * activity.duration_minutes
        opened = await scheduling.open_manual(
            actor=Actor.system("bench"),
            practitioner_id=practitioner.id,
            site_id=site.id,
            activity_id=activity.id,
            day=day,
            start=time(7),
            end=time(minutes // 60, minutes % 60),
        )
        ids += [
            row["id"] for row in await Slot.select(Slot.id).where(Slot.opening == opened.opening_id)
        ]
        day += timedelta(days=1)
    return Opened(clinic.id, ids, str(service.id), site.id, first_day)


async def in_database(slot_ids: list[int]) -> tuple[int, int]:
    """(appointments kept on the storm's slots, slots with more than one)."""
    from app.booking.tables import Appointment, AppointmentStatus

    rows = await Appointment.select(Appointment.slot).where(
        Appointment.slot.is_in(slot_ids) & (Appointment.status != AppointmentStatus.CANCELLED)
    )
    per_slot = collections.Counter(row["slot"] for row in rows)
    return len(rows), sum(1 for n in per_slot.values() if n > 1)


@dataclass
class StaffSide:
    """Open agendas during the storm: SSE streams counting `agenda` events, and a few
    staff members reloading the storm day's agenda, timed."""

    streams: list = field(default_factory=list)  # (client, received counter)
    tasks: list = field(default_factory=list)
    agenda_ms: list[float] = field(default_factory=list)
    agenda_errors: int = 0
    received: collections.Counter = field(default_factory=collections.Counter)

    async def listen(self, n: int, client, ready: asyncio.Event) -> None:
        async with client.stream("GET", "/staff/live") as response:
            event = None
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    ready.set()
                elif line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "agenda":
                    self.received[n] += 1
                elif line == "":
                    event = None

    async def reload(self, client, url: str, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = timer.perf_counter()
            try:
                response = await client.get(url)
                ok = response.status_code == 200
            except Exception:  # noqa: BLE001 - counted
                ok = False
            if ok:
                self.agenda_ms.append((timer.perf_counter() - started) * 1000)
            else:
                self.agenda_errors += 1
            await asyncio.sleep(0.2)


async def staff_clients(clinic_id: int, count: int, base_url: str) -> list:
    """`count` signed-in staff clients of the demo clinic (sessions started directly:
    argon2 sign-ins would only measure argon2)."""
    import httpx

    from app.staff import sessions
    from app.staff.tables import StaffAccount

    account = await StaffAccount.select().where(StaffAccount.clinic == clinic_id).first()
    clients = []
    for _ in range(count):
        token = await sessions.start(
            clinic_id=clinic_id,
            account_id=account["id"],
            client="127.0.0.1",
            second_factor_pending=False,
        )
        clients.append(
            httpx.AsyncClient(
                base_url=base_url,
                headers={"Host": "demo.localhost", "Cookie": f"{sessions.COOKIE}={token}"},
                timeout=httpx.Timeout(30, read=None),
            )
        )
    return clients


HOLD_SQL = """\\set slot random({first}, {last})
\\set holder random(1, 1000000)
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('hold:' || :holder));
UPDATE slot SET hold_token = :holder::text, hold_until = now() + interval '5 minutes'
 WHERE id IN (SELECT id FROM slot WHERE id = :slot AND clinic = {clinic} AND state = 'open'
   AND (hold_until IS NULL OR hold_until < now() OR hold_token = :holder::text)
   FOR UPDATE SKIP LOCKED)
 RETURNING id;
UPDATE slot SET hold_token = NULL, hold_until = NULL
 WHERE hold_token = :holder::text AND id <> :slot AND clinic = {clinic};
COMMIT;
"""


def pgbench(dsn: str, clinic: int, slot_ids: list[int], clients: int, seconds: int) -> dict:
    """pgbench's transactions per second for the hold transaction, `clients` at once."""
    binary = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True)), None
    )
    if binary is None:
        return {"pgbench_error": "pgbench not found"}
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(HOLD_SQL.format(first=min(slot_ids), last=max(slot_ids), clinic=clinic))
    try:
        done = subprocess.run(
            [str(binary), "-n", "-c", str(clients), "-j", "2", "-T", str(seconds)]
            + ["-f", script.name, dsn],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    if not found:
        return {"pgbench_error": (done.stderr or done.stdout)[-300:]}
    return {"pgbench_clients": clients, "pgbench_hold_tps": round(float(found.group(1)))}


async def max_connections() -> int:
    from app.scheduling.tables import Slot

    rows = await Slot.raw("SHOW max_connections")
    return int(rows[0]["max_connections"])


async def measure(args) -> dict:
    from app.seed import seed
    from app.settings import parse_database_url

    backend = args.backend
    instances = args.instances or (2 if backend == "postgres" else 1)
    if instances not in (1, 2):
        raise SystemExit("--instances: 1, or 2 behind HAProxy")
    await database.reset()
    await seed(schedules=False)
    opened = await open_slots(args.slots)
    clinic_id, slot_ids, service_id = opened.clinic_id, opened.slot_ids, opened.service_id
    env = {"TRUSTED_PROXIES": "127.0.0.0/8"}
    if backend == "sqlite":
        env["REDIS_URL"] = ""  # the embedded default: jobs in the web process
    server, cluster = None, None
    if instances == 2:
        # As production runs: deploy.cluster's HAProxy in front of two instances.
        from deploy import cluster as deployment

        front_port = free_port()
        cluster = deployment.start(
            env={
                **os.environ,
                **env,
                "REDIS_URL": REDIS_URL,
                "SECRET_KEY": SECRET_KEY,
                "BASE_DOMAIN": "localhost",
            },
            port=front_port,
            instance_ports=(free_port(), free_port()),
            logs=Path(tempfile.mkdtemp(prefix="storm-")),
        )
    else:
        front_port = free_port()
        server = await start_server(front_port, **env)
    rng = random.Random(7)
    patients = [
        Patient(
            n,
            Phone(
                f"http://127.0.0.1:{front_port}",
                {
                    "Host": "demo.localhost",
                    "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
                },
            ),
        )
        for n in range(1, args.patients + 1)
    ]
    tally = Tally()
    staff = StaffSide()
    front = f"http://127.0.0.1:{front_port}"
    staff_members = await staff_clients(clinic_id, args.staff, front)
    stop_reloading = asyncio.Event()
    try:
        readies = []
        for n, client in enumerate(staff_members):
            ready = asyncio.Event()
            readies.append(ready)
            staff.tasks.append(asyncio.create_task(staff.listen(n, client, ready)))
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
        day_url = f"/agenda/site/{opened.site_id}/day/{opened.first_day.isoformat()}"
        reloaders = [
            asyncio.create_task(staff.reload(client, "/staff" + day_url, stop_reloading))
            for client in staff_members[: args.reloading]
        ]
        gate = asyncio.Semaphore(50)

        async def walk(patient: Patient) -> None:
            async with gate:
                await walk_to_slots(patient, service_id)

        started = timer.perf_counter()
        await asyncio.gather(*(walk(p) for p in patients))
        log(
            f"  {len(patients)} patients on the slots page"
            f" in {timer.perf_counter() - started:.1f} s"
        )
        app_pids = [i.process.pid for i in cluster.instances] if cluster else [server.pid]
        started = timer.perf_counter()
        with CpuSplit(app_pids) as cpu:
            await asyncio.gather(*(storm(p, tally, rng) for p in patients))
        elapsed = timer.perf_counter() - started
        stop_reloading.set()
        await asyncio.gather(*reloaders)
        kept, _ = await in_database(slot_ids)
        deadline = timer.monotonic() + 5  # the last bookings' events are on their way
        while timer.monotonic() < deadline and any(
            staff.received[n] < kept for n in range(len(staff_members))
        ):
            await asyncio.sleep(0.1)
    finally:
        for task in staff.tasks:
            task.cancel()
        for client in staff_members:
            await client.aclose()
        for patient in patients:
            await patient.client.aclose()
        if cluster is not None:
            deployment.stop(cluster)
        if server is not None:
            stop(server)
    kept, doubled = await in_database(slot_ids)
    requests = len(tally.hold_ms) + len(tally.book_ms)
    figures = {
        "storm_patients": args.patients,
        "storm_slots": args.slots,
        "storm_instances": instances,
        "storm_booked": kept,
        "storm_booked_seen_by_patients": sum(p.booked for p in patients),
        "storm_double_bookings": doubled,
        "storm_5xx": sum(n for status, n in tally.statuses.items() if status >= 500),
        "storm_connection_errors": sum(tally.errors.values()),
        "storm_connection_errors_by_kind": dict(tally.errors),
        "storm_statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "storm_seconds": round(elapsed, 2),
        "storm_holds_books_per_s": round(requests / elapsed, 1),
        "storm_hold_p50_ms": round(statistics.median(tally.hold_ms), 1),
        "storm_hold_p95_ms": round(percentile(tally.hold_ms, 95), 1),
        "storm_book_p50_ms": round(statistics.median(tally.book_ms), 1) if tally.book_ms else None,
        "storm_book_p95_ms": round(percentile(tally.book_ms, 95), 1) if tally.book_ms else None,
        "storm_staff_streams": len(staff_members),
        # Each booking is one `agenda` event on every open agenda of the clinic.
        "storm_staff_missed": sum(max(0, kept - staff.received[n]) for n in range(args.staff)),
        "storm_agenda_reloads": len(staff.agenda_ms),
        "storm_agenda_errors": staff.agenda_errors,
        "storm_agenda_p95_ms": round(percentile(staff.agenda_ms, 95), 1)
        if staff.agenda_ms
        else None,
        # Where the time went: CPU seconds over the storm, and the app's per request
        # (every request of the storm: holds, books, the pages read between them).
        "storm_cores_busy": round(cpu.machine / elapsed, 2),
        "storm_cpu_app_s": round(cpu.app, 2),
        "storm_cpu_load_generator_s": round(cpu.client, 2),
        # The kernel's counters for the machine and for each process differ by about 1 %.
        "storm_cpu_rest_s": round(max(0.0, cpu.machine - cpu.app - cpu.client), 2),
        "storm_app_cpu_ms_per_request": round(cpu.app * 1000 / sum(tally.statuses.values()), 2),
    }
    if backend == "postgres":
        clients = min(args.patients, await max_connections() - 20)
        dsn = parse_database_url(os.environ["DATABASE_URL"]).dsn
        figures.update(pgbench(dsn, clinic_id, slot_ids, clients, args.pgbench_seconds))
        if "pgbench_hold_tps" in figures:
            figures["storm_vs_db_ratio"] = round(
                figures["storm_holds_books_per_s"] / figures["pgbench_hold_tps"], 4
            )
    log(
        f"  booked {kept} (patients saw {figures['storm_booked_seen_by_patients']}), "
        f"double {doubled}, 5xx {figures['storm_5xx']}, "
        f"{figures['storm_holds_books_per_s']} holds+books/s, hold p50/p95 "
        f"{figures['storm_hold_p50_ms']}/{figures['storm_hold_p95_ms']} ms, statuses "
        f"{figures['storm_statuses']}"
    )
    return figures


if __name__ == "__main__":
    database.main(
        __doc__,
        measure,
        patients=(500, "patients in the storm"),
        slots=(50, "slots they all want"),
        instances=(0, "1, or 2 behind HAProxy (0: 2 on PostgreSQL, 1 on SQLite)"),
        pgbench_seconds=(10, "how long pgbench runs the hold transaction"),
        staff=(50, "staff members with the agenda open (SSE) during the storm"),
        reloading=(5, "of them reloading the storm day's agenda, timed"),
    )
