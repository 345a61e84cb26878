"""The outbox benchmark: 10,000 due reminders delivered by real arq workers to a local SMTP sink.

python -m bench.messaging --backend sqlite|postgres  (figures as JSON on stdout)

Appointments one to four days ahead are generated in bulk, half for patients with a
file (the reminder goes to the file's first email) and half for unidentified
patients (to the email typed on the form). Two `arq jobs.worker.WorkerSettings`
processes are started and left to idle until each has run its first dispatch; then
one reminder per appointment is committed to the outbox, due at once. The clock
runs from that commit until no message is pending or sending. The sink counts what
it received per Message-ID (one per idempotency key) and per recipient (one per
reminder): a copy beyond the first is a duplicate, a reminder never received is lost.

The workers use the real clock, so the appointments are generated from now."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time as timer
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench import database
from bench.database import log

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
ZONE = "America/Montreal"
PRACTITIONERS = 40
SECRET_KEY = "bench-secret-key-not-for-production"
WORKER_READY_S = 60
POLL_S = 0.05


class Sink:
    """An SMTP server in a thread of this process that notes each message's Message-ID and
    recipients."""

    _MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.message_ids: list[str] = []
        self.recipients: list[str] = []
        self._lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # A fixed server name: otherwise every connection looks up this host's FQDN.
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="sink.bench"
        )

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        headers = envelope.original_content.split(b"\r\n\r\n", 1)[0]
        found = self._MESSAGE_ID.search(headers)
        with self._lock:
            self.message_ids.append(found.group(1).decode() if found else "")
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"

    def __enter__(self) -> "Sink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


async def generate(count: int, now: datetime) -> dict:
    """A clinic with `count` booked appointments starting from tomorrow, and their patients."""
    from app.scheduling.expansion import day_part
    from app.scheduling.tables import Activity, AppointmentType, Practitioner, ScheduleOpening
    from tenants.tables import Clinic, WorkSite

    clinic = Clinic(
        slug="bench-messages", name="Clinique Banc d'essai", time_zone=ZONE, phone="514 555 0199"
    )
    await clinic.save()
    cid = clinic.id
    site = WorkSite(
        clinic=cid,
        slug="centre",
        name_fr="Centre",
        name_en="Centre",
        address="1 rue Principale",
        phone="514 555 0100",
        contact_details="",
        patient_message_fr="Arrivez 10 minutes avant.",
        patient_message_en="Arrive 10 minutes early.",
        questionnaire_url="https://example.org/q",
    )
    await site.save()
    kind = AppointmentType(clinic=cid, name_fr="Sur place", name_en="On site")
    await kind.save()
    activity = Activity(
        clinic=cid,
        name_fr="Suivi",
        name_en="Follow-up",
        duration_minutes=15,
        appointment_type=kind.id,
    )
    await activity.save()
    practitioners = [
        Practitioner(clinic=cid, name=f"Dre Praticienne {p + 1:02d}") for p in range(PRACTITIONERS)
    ]
    await Practitioner.insert(*practitioners)
    first_day = (now + timedelta(days=1)).date()
    openings = []
    for practitioner in practitioners:
        opening = ScheduleOpening(
            clinic=cid,
            practitioner=practitioner.id,
            site=site.id,
            origin="manual",
            first_day=first_day,
            last_day=first_day + timedelta(days=5),
            created_at=now,
            created_by="system:bench",
        )
        await opening.save()
        openings.append(opening.id)

    zone = ZoneInfo(ZONE)
    # Whole seconds: the reminder's key holds the start as the database gives it back.
    start = (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    slots, appointments, patients, contacts = [], [], [], []
    for n in range(1, count + 1):
        p = n % PRACTITIONERS
        starts = start + timedelta(minutes=15 * (n // PRACTITIONERS))
        ends = starts + timedelta(minutes=15)
        local = starts.astimezone(zone)
        slots.append(
            (
                n,
                cid,
                site.id,
                practitioners[p].id,
                activity.id,
                openings[p],
                "manual",
                starts,
                ends,
                local.date(),
                day_part(local.time()),
                None,
                "booked",
                None,
                None,
            )
        )
        language = "en" if n % 5 == 0 else "fr"
        patient, typed = None, f"patient{n}@example.org"
        if n % 2 == 0:  # a patient with a file: the reminder goes to the file's first email
            patient, typed = n, None
            patients.append(
                (n, cid, f"Prénom{n}", f"Nom{n}", datetime(1980, 1, 1).date(), "F", now)
            )
            contacts.append((2 * n - 1, cid, n, "cell", f"+1514{n:07d}", 1))
            contacts.append((2 * n, cid, n, "email", f"patient{n}@example.org", 2))
        appointments.append(
            (
                n,
                cid,
                n,
                site.id,
                practitioners[p].id,
                activity.id,
                kind.id,
                starts,
                ends,
                patient,
                typed,
                language,
                "staff" if patient else "online",
                "booked",
                now,
                now,
            )
        )
    await database.bulk_insert("slot", SLOT_COLUMNS, slots)
    await database.bulk_insert("patient", PATIENT_COLUMNS, patients)
    await database.bulk_insert("contact_detail", CONTACT_COLUMNS, contacts)
    await database.bulk_insert("appointment", APPOINTMENT_COLUMNS, appointments)
    return {
        "clinic_id": cid,
        "updated_at": now,
        "appointments": [(a[0], a[7], a[11]) for a in appointments],
    }


SLOT_COLUMNS = (
    "id",
    "clinic",
    "site",
    "practitioner",
    "activity",
    "opening",
    "origin",
    "starts_at",
    "ends_at",
    "local_date",
    "day_part",
    "publish_at",
    "state",
    "hold_token",
    "hold_until",
)
PATIENT_COLUMNS = ("id", "clinic", "first_name", "last_name", "date_of_birth", "sex", "created_at")
CONTACT_COLUMNS = ("id", "clinic", "patient", "kind", "value", "position")
APPOINTMENT_COLUMNS = (
    "id",
    "clinic",
    "slot",
    "site",
    "practitioner",
    "activity",
    "appointment_type",
    "starts_at",
    "ends_at",
    "patient",
    "contact_email",
    "language",
    "source",
    "status",
    "created_at",
    "updated_at",
)
MESSAGE_COLUMNS = (
    "clinic",
    "appointment",
    "kind",
    "channel",
    "recipient",
    "language",
    "due_at",
    "status",
    "attempts",
    "next_attempt_at",
    "idempotency_key",
    "provider",
    "last_error",
    "subject",
    "body",
    "segments",
    "created_at",
)


def reminders(clinic: dict, due: datetime) -> list[tuple]:
    """One email reminder per appointment, due now, keyed as planner.plan keys them
    (the dispatcher drops a reminder whose key lacks the appointment's start)."""
    changed = clinic["updated_at"].isoformat()
    return [
        (
            clinic["clinic_id"],
            appointment_id,
            "reminder",
            "email",
            "",
            language,
            due,
            "pending",
            0,
            due,
            f"{appointment_id}:reminder:{starts.isoformat()}:{changed}:email",
            "",
            "",
            "",
            "",
            0,
            due,
        )
        for appointment_id, starts, language in clinic["appointments"]
    ]


def start_workers(count: int, smtp_port: int, logs: Path) -> list[tuple[subprocess.Popen, Path]]:
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SECRET_KEY": SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    workers = []
    for n in range(count):
        path = logs / f"bench-worker-{n + 1}.log"
        with path.open("w") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "arq",
                    "jobs.worker.WorkerSettings",
                ],  # what `make worker` runs
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        workers.append((process, path))
    return workers


async def wait_ready(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    """A worker has opened the database once it has run its first dispatch."""
    deadline = timer.monotonic() + WORKER_READY_S
    while True:
        for process, path in workers:
            if process.poll() is not None:
                raise RuntimeError(f"worker exited with {process.returncode}; see {path}")
        if all("dispatch_due" in path.read_text() for _, path in workers):
            return
        if timer.monotonic() > deadline:
            raise RuntimeError(
                f"workers not ready after {WORKER_READY_S} s; "
                f"see their logs in {workers[0][1].parent}"
            )
        await asyncio.sleep(0.1)


def cpu_seconds(processes: list[subprocess.Popen]) -> float | None:
    """User and system CPU the processes have used so far (Linux's /proc; None elsewhere)."""
    try:
        stats = [
            Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split() for p in processes
        ]
    except OSError:
        return None
    return sum(int(fields[11]) + int(fields[12]) for fields in stats) / os.sysconf("SC_CLK_TCK")


def stop_workers(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    for process, _ in workers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, _ in workers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def flush_redis() -> None:
    from redis.asyncio import from_url

    redis = from_url(REDIS_URL)
    try:
        await redis.flushdb()  # only this benchmark's database: jobs left by an earlier run
    finally:
        await redis.aclose()


async def unfinished() -> int:
    from app.messaging.tables import Message

    return await Message.count().where(Message.status.is_in(["pending", "sending"]))


async def run(backend: str, count: int, worker_count: int, timeout_s: float) -> dict:
    from app import clock, db
    from app.messaging.tables import Message

    started = timer.perf_counter()
    await database.reset()
    now = clock.now().replace(microsecond=0)
    clinic = await generate(count, now)
    if backend == "postgres":
        await database.analyze()
    generated_s = timer.perf_counter() - started
    log(f"  {count} appointments generated in {generated_s:.1f} s")
    await db.start()
    await flush_redis()
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)
    with Sink() as sink:
        workers = start_workers(worker_count, sink.port, logs)
        try:
            await wait_ready(workers)
            log(f"  {worker_count} workers ready; committing {count} due reminders")
            rows = reminders(clinic, clock.now())
            await database.bulk_insert("message", MESSAGE_COLUMNS, rows)
            due = timer.perf_counter()
            cpu_before = cpu_seconds([process for process, _ in workers])
            deadline = due + timeout_s
            left = count
            while (
                left
                and timer.perf_counter() < deadline
                and any(p.poll() is None for p, _ in workers)
            ):
                await asyncio.sleep(POLL_S)
                left = await unfinished()
            elapsed = timer.perf_counter() - due
            cpu_after = cpu_seconds([process for process, _ in workers])
            load = os.getloadavg()[0]
        finally:
            stop_workers(workers)
        message_ids, addresses = list(sink.message_ids), list(sink.recipients)
    statuses = Counter(row["status"] for row in await Message.select(Message.status))
    attempts = await Message.select(Message.attempts).where(Message.attempts > 1)
    await db.stop()

    # Every reminder goes to its own address, so copies are counted both by
    # Message-ID (one per idempotency key) and by recipient: a resend that
    # changed its Message-ID would still show as a duplicate.
    per_id, per_address = Counter(message_ids), Counter(addresses)
    expected = {
        f"patient{appointment_id}@example.org" for appointment_id, _, _ in clinic["appointments"]
    }
    figures = {
        "messages_total": count,
        "messages_workers": worker_count,
        "messages_per_s": round((count - left) / elapsed, 1),
        "messages_s": round(elapsed, 2),
        "messages_received": len(message_ids),
        "messages_duplicated": max(
            sum(n - 1 for n in per_id.values()), sum(n - 1 for n in per_address.values())
        ),
        "messages_lost": len(expected - per_address.keys()),
        "messages_unexpected": len(per_address.keys() - expected),
        "messages_unfinished": left,
        "messages_retried": len(attempts),
        "messages_status": dict(sorted(statuses.items())),
        "messages_generate_s": round(generated_s, 1),
        # The workers' CPU per message, and how busy the machine was: a figure
        # measured beside other work is slower for want of CPU, not of code.
        "messages_worker_cpu_ms": round((cpu_after - cpu_before) / max(1, count - left) * 1000, 2)
        if cpu_before is not None and cpu_after is not None
        else None,
        "messages_load_avg_1m": round(load, 1),
        "messages_cpus": os.cpu_count(),
    }
    log(
        f"  {count - left} messages in {elapsed:.1f} s = {figures['messages_per_s']} /s; "
        f"received {len(message_ids)}, duplicated {figures['messages_duplicated']}, "
        f"lost {figures['messages_lost']}; "
        f"outbox {figures['messages_status']}"
    )
    return figures


def main() -> None:
    database.main(
        __doc__,
        lambda args: run(args.backend, args.messages, args.workers, args.timeout),
        messages=(10_000, "due reminders to deliver"),
        workers=(2, "arq worker processes"),
        timeout=(300.0, "give up after this many seconds"),
    )


if __name__ == "__main__":
    main()
