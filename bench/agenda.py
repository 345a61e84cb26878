"""The staff agenda benchmark: a practitioner's week of 300 slots (half booked) and a
site's day with 10 practitioners, each page asked 200 times through the ASGI app by a
signed-in administrator; the server time of each (request in, page out) as p50/p95.

python -m bench.agenda --backend sqlite|postgres  (figures as JSON on stdout)

The clinic: one site of 10 practitioners over 12 weeks. The first works in 10-minute
slots from 08:00 to 18:00 (60 a day, 300 a week); the nine others in 15-minute slots,
08:00-12:00 and 13:00-17:00. About half of every day is booked (a third of it online,
some by unidentified patients), with cancelled appointments, live holds, slots
published later and a recurrence. The clock is frozen on the Monday of the measured
week."""

from __future__ import annotations

import asyncio
import random
import statistics
import time as timer
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bench import database
from bench.database import SLOT_COLUMNS, log

ZONE = "America/Montreal"
FIRST_DAY = date(2030, 1, 7)  # a Monday
WEEKS = 12
MEASURED_MONDAY = FIRST_DAY + timedelta(weeks=4)
NOW = datetime.combine(MEASURED_MONDAY, time(12), timezone.utc)  # 07:00 in Montreal
PRACTITIONERS = 10
PATIENTS = 400
PASSWORD = "bench-password-not-secret"
EMAIL = "admin@agenda-bench.localhost"
SLUG = "agenda-bench"


def blocks(p: int) -> list[tuple[time, time, int, int]]:
    """(start, end, activity index, minutes) of practitioner p's working day."""
    if p == 0:
        return [(time(8), time(18), 0, 10)]  # vaccinations: 60 a day
    return [(time(8), time(12), 1, 15), (time(13), time(17), 1 + p % 2, 15)]


async def generate(rng: random.Random) -> dict:
    from app.online_services.tables import OnlineService, ServiceActivity
    from app.patients.tables import Patient
    from app.scheduling.expansion import Block, expand_block
    from app.scheduling.tables import (
        Activity,
        AppointmentType,
        Practitioner,
        PractitionerSite,
        ScheduleOpening,
    )
    from app.staff.accounts import create
    from app.staff.tables import StaffRole
    from tenants.tables import Clinic, WorkSite

    zone = ZoneInfo(ZONE)
    clinic = Clinic(slug=SLUG, name="Clinique Agenda", time_zone=ZONE, phone="514 555 0198")
    await clinic.save()
    cid = clinic.id
    site = WorkSite(
        clinic=cid,
        slug="centre",
        name_fr="Centre",
        name_en="Centre",
        address="",
        phone="",
        contact_details="",
        patient_message_fr="",
        patient_message_en="",
        questionnaire_url="",
    )
    await site.save()
    on_site = AppointmentType(clinic=cid, name_fr="Sur place", name_en="On site")
    video = AppointmentType(
        clinic=cid, name_fr="Télémédecine", name_en="Telemedicine", on_site=False, telemedicine=True
    )
    await AppointmentType.insert(on_site, video)
    activities = [
        Activity(
            clinic=cid,
            name_fr="Vaccination",
            name_en="Vaccination",
            duration_minutes=10,
            appointment_type=on_site.id,
        ),
        Activity(
            clinic=cid,
            name_fr="Suivi",
            name_en="Follow-up",
            duration_minutes=15,
            appointment_type=on_site.id,
        ),
        Activity(
            clinic=cid,
            name_fr="Téléconsultation",
            name_en="Teleconsultation",
            duration_minutes=15,
            appointment_type=video.id,
        ),
    ]
    await Activity.insert(*activities)
    service = OnlineService(clinic=cid, name_fr="Suivi", name_en="Follow-up")
    await service.save()
    await ServiceActivity.insert(
        *[ServiceActivity(clinic=cid, service=service.id, activity=a.id) for a in activities[:2]]
    )
    practitioners = [
        Practitioner(clinic=cid, name=f"Dre Praticienne {p + 1:02d}") for p in range(PRACTITIONERS)
    ]
    await Practitioner.insert(*practitioners)
    await PractitionerSite.insert(
        *[PractitionerSite(clinic=cid, practitioner=p.id, site=site.id) for p in practitioners]
    )
    patients = [
        Patient(
            clinic=cid,
            first_name=f"Prénom{n}",
            last_name=f"Nom{n}",
            date_of_birth=date(1950 + n % 60, 1 + n % 12, 1 + n % 28),
            sex="FM"[n % 2],
            created_at=NOW,
        )
        for n in range(PATIENTS)
    ]
    await Patient.insert(*patients)
    patient_ids = [p.id for p in patients]
    last_day = FIRST_DAY + timedelta(weeks=WEEKS) - timedelta(days=1)
    openings = []
    for p, practitioner in enumerate(practitioners):
        opening = ScheduleOpening(
            clinic=cid,
            practitioner=practitioner.id,
            site=site.id,
            origin="recurrence" if p == PRACTITIONERS - 1 else "template",
            first_day=FIRST_DAY,
            last_day=last_day,
            created_at=NOW,
            created_by="system:bench",
        )
        await opening.save()
        openings.append(opening.id)

    slots: list[tuple] = []
    appointments: list[tuple] = []
    for d in range(WEEKS * 7):
        day = FIRST_DAY + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for p, practitioner in enumerate(practitioners):
            origin = "recurrence" if p == PRACTITIONERS - 1 else "template"
            publish_at = NOW + timedelta(days=14) if p == 3 and day > MEASURED_MONDAY else None
            for start, end, a, minutes in blocks(p):
                for st in expand_block(Block(day, start, end, activities[a].id, minutes), zone):
                    slot_id = len(slots) + 1
                    state, hold_token, hold_until = "open", None, None
                    draw = rng.random()
                    if draw < 0.5:
                        state = "booked"
                        appointments.append(
                            _appointment(
                                len(appointments) + 1,
                                cid,
                                slot_id,
                                site.id,
                                practitioner.id,
                                activities[a],
                                st,
                                "booked",
                                rng,
                                patient_ids,
                            )
                        )
                    elif draw < 0.52:
                        hold_token, hold_until = f"h{slot_id}", NOW + timedelta(minutes=3)
                    elif draw < 0.56:
                        appointments.append(
                            _appointment(
                                len(appointments) + 1,
                                cid,
                                slot_id,
                                site.id,
                                practitioner.id,
                                activities[a],
                                st,
                                "cancelled",
                                rng,
                                patient_ids,
                            )
                        )
                    slots.append(
                        (
                            slot_id,
                            cid,
                            site.id,
                            practitioner.id,
                            activities[a].id,
                            openings[p],
                            origin,
                            st.starts_at,
                            st.ends_at,
                            st.local_date,
                            st.day_part,
                            publish_at,
                            state,
                            hold_token,
                            hold_until,
                        )
                    )
    await database.bulk_insert("slot", SLOT_COLUMNS, slots)
    await database.bulk_insert("appointment", APPOINTMENT_COLUMNS, appointments)
    await create(
        clinic_id=cid,
        email=EMAIL,
        name="Admin Banc",
        role=StaffRole.ADMINISTRATOR,
        password=PASSWORD,
    )
    return {
        "clinic_id": cid,
        "site_id": site.id,
        "practitioner_id": practitioners[0].id,
        "slots": len(slots),
        "appointments": len(appointments),
    }


APPOINTMENT_COLUMNS = (
    "id",
    "clinic",
    "slot",
    "site",
    "practitioner",
    "activity",
    "appointment_type",
    "patient",
    "provisional",
    "starts_at",
    "ends_at",
    "contact_email",
    "language",
    "source",
    "status",
    "created_at",
    "updated_at",
    "cancelled_at",
)


def _appointment(aid, cid, slot_id, site, practitioner, activity, st, status, rng, patients):
    import json

    online = rng.random() < 0.35
    unidentified = online and rng.random() < 0.2
    created = NOW - timedelta(days=rng.randint(1, 30))
    return (
        aid,
        cid,
        slot_id,
        site,
        practitioner,
        activity.id,
        activity.appointment_type,
        None if unidentified else rng.choice(patients),
        json.dumps({"first_name": "Inconnue", "last_name": f"Patiente{aid}"})
        if unidentified
        else None,
        st.starts_at,
        st.ends_at,
        f"patient{aid}@example.org",
        "fr",
        "online" if online else "staff",
        status,
        created,
        created,
        created + timedelta(days=1) if status == "cancelled" else None,
    )


async def signed_in_client(app):
    import re

    import httpx

    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://{SLUG}.localhost"
    )
    page = await client.get("/staff/sign-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    signed = await client.post(
        "/staff/sign-in",
        data={"email": EMAIL, "password": PASSWORD, "next": "", "_csrf_token": token},
    )
    assert signed.status_code == 303, signed.text
    return client


async def timed(client, url: str, requests: int, expect: int) -> tuple[list[float], float]:
    """Each request's wall-clock time (ms), and the process's CPU time per request (ms, all
    threads: SQLite's included), which other work on a shared machine does not inflate."""
    for _ in range(10):  # warm up: templates compiled, caches filled, plans prepared
        await client.get(url)
    times = []
    cpu_started = timer.process_time()
    for _ in range(requests):
        started = timer.perf_counter()
        response = await client.get(url)
        times.append((timer.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    cpu = (timer.process_time() - cpu_started) * 1000 / requests
    links = response.text.count('<a class="slot ')
    assert links == expect, f"{url} shows {links} slots, expected {expect}"
    return times, cpu


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


async def measure(args) -> dict:
    import logging
    import os
    from dataclasses import replace

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    os.environ["BASE_DOMAIN"] = "localhost"
    await database.reset()
    from app import clock, db
    from app.main import create_app
    from app.scheduling.tables import Slot
    from app.settings import load

    await db.start()
    rng = random.Random(11)
    log("generating the agenda's clinic…")
    world = await generate(rng)
    await database.analyze()
    clock.freeze(NOW)
    week_slots = await Slot.count().where(
        (Slot.practitioner == world["practitioner_id"])
        & (Slot.local_date >= MEASURED_MONDAY)
        & (Slot.local_date <= MEASURED_MONDAY + timedelta(days=6))
    )
    day_slots = await Slot.count().where(
        (Slot.site == world["site_id"]) & (Slot.local_date == MEASURED_MONDAY + timedelta(days=2))
    )
    settings = replace(load(), redis_url=None)
    app = create_app(settings)
    figures: dict = {
        "agenda_slots_total": world["slots"],
        "agenda_week_slots": week_slots,
        "agenda_site_day_slots": day_slots,
    }
    async with _running(app):
        client = await signed_in_client(app)
        week = f"/staff/agenda/practitioner/{world['practitioner_id']}/week/{MEASURED_MONDAY}"
        site_day = (
            f"/staff/agenda/site/{world['site_id']}/day/{MEASURED_MONDAY + timedelta(days=2)}"
        )
        log(f"{week}: {args.requests} requests")
        week_times, week_cpu = await timed(client, week, args.requests, week_slots)
        log(f"{site_day}: {args.requests} requests")
        day_times, day_cpu = await timed(client, site_day, args.requests, day_slots)
        await client.aclose()
    figures.update(
        agenda_week_p50_ms=round(statistics.median(week_times), 2),
        agenda_week_p95_ms=round(p95(week_times), 2),
        agenda_site_day_p50_ms=round(statistics.median(day_times), 2),
        agenda_site_day_p95_ms=round(p95(day_times), 2),
        agenda_week_cpu_ms=round(week_cpu, 2),
        agenda_site_day_cpu_ms=round(day_cpu, 2),
        agenda_load_avg_1m=round(os.getloadavg()[0], 1),  # the machine's other work
    )
    await db.stop()
    return figures


class _running:
    """The app's start-up and shut-down, as an ASGI server runs them."""

    def __init__(self, app) -> None:
        self.app = app

    async def __aenter__(self):
        self.to_app: asyncio.Queue = asyncio.Queue()
        self.from_app: asyncio.Queue = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.create_task(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "lifespan.startup"})
        started = await self.from_app.get()
        assert started["type"] == "lifespan.startup.complete", started
        return self.app

    async def __aexit__(self, *exc) -> None:
        await self.to_app.put({"type": "lifespan.shutdown"})
        await self.from_app.get()
        await self.task


if __name__ == "__main__":
    database.main(__doc__, measure, requests=(200, "requests per page"))
