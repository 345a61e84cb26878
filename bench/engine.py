"""The booking engine benchmark: availability search on a large clinic, and a booking race.

python -m bench.engine --backend sqlite|postgres  (figures as JSON on stdout)

The clinic: 40 practitioners, 3 sites, 120 days of 15-minute slots on weekdays
(about 124,000 slots), booked more densely in the coming weeks than later (about
60% overall), with a few live and lapsed holds, cancelled appointments, slots
published later and recurrence slots that are never online. Dates are fixed and
the clock is frozen, so every run, on either backend, searches the same data and
must return the same slots (the digest in the output)."""

from __future__ import annotations

import asyncio
import hashlib
import random
import statistics
import time as timer
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from app.events import PATIENT
from app.listeners import make_bus
from bench import database
from bench.database import SLOT_COLUMNS, log

ZONE = "America/Montreal"
FIRST_DAY = date(2030, 1, 7)  # a Monday; the 120 days cross the March DST change
DAYS = 120
NOW = datetime(2030, 1, 7, 12, 0, tzinfo=timezone.utc)  # 07:00 in Montreal, before opening
PRACTITIONERS = 40
SITES = (("nord", "Nord", "North"), ("centre", "Centre", "Centre"), ("sud", "Sud", "South"))
ACTIVITIES = (
    ("Consultation urgente", "Urgent consultation"),
    ("Suivi", "Follow-up"),
    ("Vaccination", "Vaccination"),
    ("Téléconsultation", "Teleconsultation"),
    ("Suivi de grossesse", "Prenatal care"),
    ("Pédiatrie", "Paediatrics"),
)
# Online services as the activity sets they offer (indexes into ACTIVITIES):
# the two everyday activities are offered by everyone, the others by a quarter.
SERVICES = ((0,), (1,), (0, 1), (2,), (3,), (1, 2), (4, 5))
KINDS = ("gp", "gp", "gp", "specialist", "nurse_practitioner", "nurse", "resident", "extern")
MIN_NOTICE = timedelta(minutes=60)
RECURRENCE_PRACTITIONERS = {38, 39}  # their slots are never online
MANUAL_PRACTITIONERS = {37}
RACE_SLOTS = 20


def practitioner_activities(p: int) -> tuple[int, int, int]:
    """Two everyday activities and one special one."""
    return (p % 2, (p + 1) % 2, 2 + p % 4)


def day_blocks(p: int) -> list[tuple[time, time, int]]:
    """A working day of 36 quarter hours (lunch off), evening included."""
    first, second, special = practitioner_activities(p)
    return [
        (time(8), time(10), first),
        (time(10), time(12), special),
        (time(13), time(15), second),
        (time(15), time(17), first),
        (time(17), time(18), special),
    ]


def day_site(p: int, day: date) -> int:
    """Each practitioner works at one site; every fourth also at a second one on Tuesdays
    and Thursdays."""
    if p % 4 == 0 and day.weekday() in (1, 3):
        return (p + 1) % 3
    return p % 3


def booked_share(day_index: int) -> float:
    """85% booked tomorrow, falling to 35% four months out: about 60% overall."""
    return 0.85 - 0.5 * day_index / (DAYS - 1)


@dataclass
class Clinic:
    clinic_id: int
    site_ids: list[int]
    practitioner_ids: list[int]
    activity_ids: list[int]
    slots_total: int
    slots_booked: int


async def generate(rng: random.Random) -> Clinic:
    from app.scheduling.expansion import Block, expand_block
    from app.scheduling.tables import (
        Activity,
        AppointmentType,
        Practitioner,
        PractitionerSite,
        ScheduleOpening,
    )
    from tenants.tables import Clinic as ClinicTable
    from tenants.tables import WorkSite

    zone = ZoneInfo(ZONE)
    clinic = ClinicTable(
        slug="bench",
        name="Clinique Banc d'essai",
        time_zone=ZONE,
        phone="514 555 0199",
        min_booking_notice_minutes=int(MIN_NOTICE.total_seconds() // 60),
    )
    await clinic.save()
    cid = clinic.id
    sites = [
        WorkSite(
            clinic=cid,
            slug=slug,
            name_fr=fr,
            name_en=en,
            address="",
            phone="",
            contact_details="",
            patient_message_fr="",
            patient_message_en="",
            questionnaire_url="",
        )
        for slug, fr, en in SITES
    ]
    await WorkSite.insert(*sites)
    kind = AppointmentType(clinic=cid, name_fr="Sur place", name_en="On site")
    await kind.save()
    activities = [
        Activity(clinic=cid, name_fr=fr, name_en=en, duration_minutes=15, appointment_type=kind.id)
        for fr, en in ACTIVITIES
    ]
    await Activity.insert(*activities)
    practitioners = [
        Practitioner(
            clinic=cid,
            name=f"Praticien·ne {p + 1:02d}",
            kind=KINDS[p % len(KINDS)],
            is_family_doctor=p < 20,
        )
        for p in range(PRACTITIONERS)
    ]
    await Practitioner.insert(*practitioners)
    site_ids = [s.id for s in sites]
    activity_ids = [a.id for a in activities]
    practitioner_ids = [p.id for p in practitioners]

    works_at = {
        (p, day_site(p, FIRST_DAY + timedelta(days=d)))
        for p in range(PRACTITIONERS)
        for d in range(7)
    }
    await PractitionerSite.insert(
        *[
            PractitionerSite(clinic=cid, practitioner=practitioner_ids[p], site=site_ids[s])
            for p, s in sorted(works_at)
        ]
    )
    last_day = FIRST_DAY + timedelta(days=DAYS - 1)
    openings = {}
    for p, s in sorted(works_at):
        origin = _origin(p)
        opening = ScheduleOpening(
            clinic=cid,
            practitioner=practitioner_ids[p],
            site=site_ids[s],
            origin=origin,
            rrule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" if origin == "recurrence" else None,
            first_day=FIRST_DAY,
            last_day=last_day,
            created_at=NOW,
            created_by="system:bench",
        )
        await opening.save()
        openings[p, s] = opening.id

    slots: list[tuple] = []
    appointments: list[tuple] = []
    booked = 0
    for d in range(DAYS):
        day = FIRST_DAY + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        share = booked_share(d)
        # Slots published later: the last month of every fifth practitioner goes online a
        # month from now.
        for p in range(PRACTITIONERS):
            s = day_site(p, day)
            publish_at = NOW + timedelta(days=30) if p % 5 == 0 and d >= DAYS - 30 else None
            for start, end, a in day_blocks(p):
                for st in expand_block(Block(day, start, end, a, 15), zone):
                    slot_id = len(slots) + 1
                    state, hold_token, hold_until = "open", None, None
                    draw = rng.random()
                    if draw < share:
                        state = "booked"
                        booked += 1
                        appointments.append(
                            _appointment(
                                len(appointments) + 1,
                                cid,
                                slot_id,
                                site_ids[s],
                                practitioner_ids[p],
                                activity_ids[a],
                                kind.id,
                                st,
                                "booked",
                                rng,
                            )
                        )
                    elif draw < share + 0.005:  # someone is reviewing it right now
                        hold_token, hold_until = f"h{slot_id}", NOW + timedelta(minutes=3)
                    elif draw < share + 0.010:  # a hold left to lapse
                        hold_token, hold_until = f"h{slot_id}", NOW - timedelta(minutes=10)
                    elif draw < share + 0.05:  # booked once, then cancelled: the slot is free again
                        appointments.append(
                            _appointment(
                                len(appointments) + 1,
                                cid,
                                slot_id,
                                site_ids[s],
                                practitioner_ids[p],
                                activity_ids[a],
                                kind.id,
                                st,
                                "cancelled",
                                rng,
                            )
                        )
                    slots.append(
                        (
                            slot_id,
                            cid,
                            site_ids[s],
                            practitioner_ids[p],
                            activity_ids[a],
                            openings[p, s],
                            _origin(p),
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
    return Clinic(cid, site_ids, practitioner_ids, activity_ids, len(slots), booked)


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
    "contact_email",
    "language",
    "source",
    "status",
    "created_at",
    "updated_at",
    "cancelled_at",
)


def _origin(p: int) -> str:
    if p in RECURRENCE_PRACTITIONERS:
        return "recurrence"
    return "manual" if p in MANUAL_PRACTITIONERS else "template"


def _appointment(
    appointment_id, cid, slot_id, site, practitioner, activity, kind, st, status, rng
) -> tuple:
    created = NOW - timedelta(days=rng.randint(1, 60))
    return (
        appointment_id,
        cid,
        slot_id,
        site,
        practitioner,
        activity,
        kind,
        st.starts_at,
        st.ends_at,
        f"patient{appointment_id}@example.org",
        "fr" if rng.random() < 0.8 else "en",
        "online" if rng.random() < 0.6 else "staff",
        status,
        created,
        created,
        created + timedelta(days=1) if status == "cancelled" else None,
    )


def criteria_mix(clinic: Clinic, rng: random.Random, count: int, day_part: bool) -> list:
    """What patients ask for: a service, sometimes their own practitioners or some
    to avoid, sometimes a site, as soon as possible or from a date."""
    from app.booking.search import Criteria
    from app.scheduling.tables import DAY_PARTS

    mix = []
    for _ in range(count):
        service = rng.choice(SERVICES)
        offering = [
            p for p in range(PRACTITIONERS) if set(practitioner_activities(p)) & set(service)
        ]
        include = exclude = ()
        draw = rng.random()
        if draw < 0.2:
            include = tuple(
                clinic.practitioner_ids[p] for p in rng.sample(offering, rng.randint(1, 3))
            )
        elif draw < 0.4:
            exclude = tuple(
                clinic.practitioner_ids[p] for p in rng.sample(offering, rng.randint(2, 4))
            )
        mix.append(
            Criteria(
                activity_ids=tuple(clinic.activity_ids[a] for a in service),
                include_practitioners=include,
                exclude_practitioners=exclude,
                site_id=rng.choice(clinic.site_ids) if rng.random() < 0.5 else None,
                from_date=FIRST_DAY + timedelta(days=rng.randint(0, 100))
                if rng.random() < 0.5
                else None,
                day_part=rng.choice(DAY_PARTS) if day_part else None,
            )
        )
    return mix


async def measure_searches(clinic: Clinic, rng: random.Random, count: int) -> tuple[dict, str]:
    from app.booking.search import search

    figures: dict = {}
    digest = hashlib.sha256()
    for label, limit, day_part in (
        ("next5", 5, False),
        ("next50", 50, False),
        ("next5_daypart", 5, True),
        ("next50_daypart", 50, True),
    ):
        mix = criteria_mix(clinic, rng, count, day_part)
        for criteria in mix[:20]:  # warm-up: caches, pool, prepared plans
            await search(
                clinic_id=clinic.clinic_id, criteria=criteria, limit=limit, min_notice=MIN_NOTICE
            )
        times, found = [], 0
        for criteria in mix:
            started = timer.perf_counter()
            rows = await search(
                clinic_id=clinic.clinic_id, criteria=criteria, limit=limit, min_notice=MIN_NOTICE
            )
            times.append((timer.perf_counter() - started) * 1000)
            found += len(rows)
            digest.update(",".join(str(r.slot_id) for r in rows).encode() + b";")
        figures[f"search_{label}_p50_ms"] = round(statistics.median(times), 2)
        figures[f"search_{label}_p95_ms"] = round(percentile(times, 95), 2)
        figures[f"search_{label}_max_ms"] = round(max(times), 2)
        figures[f"search_{label}_mean_results"] = round(found / len(mix), 1)
        log(
            f"  search {label:15} p50 {figures[f'search_{label}_p50_ms']:7.2f} ms  "
            f"p95 {figures[f'search_{label}_p95_ms']:7.2f} ms  ({len(mix)} searches)"
        )
    figures["search_count"] = count
    return figures, digest.hexdigest()[:16]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def race(clinic: Clinic, rng: random.Random, clients: int) -> dict:
    """`clients` patients at once, each holding then booking one of the same few slots."""
    from app.booking.search import Criteria, search
    from app.booking.services import BookingDetails, BookingService
    from app.booking.tables import Appointment

    # Twenty open slots next week, found the way a patient finds them.
    criteria = Criteria(
        activity_ids=tuple(clinic.activity_ids), from_date=FIRST_DAY + timedelta(days=7)
    )
    slot_ids = [
        r.slot_id
        for r in await search(clinic_id=clinic.clinic_id, criteria=criteria, limit=RACE_SLOTS)
    ]
    assert len(slot_ids) == RACE_SLOTS
    service = BookingService(clinic_id=clinic.clinic_id, bus=make_bus())
    picks = [rng.choice(slot_ids) for _ in range(clients)]
    outcomes: dict[str, int] = {}
    start = asyncio.Event()

    async def client(n: int, slot_id: int) -> None:
        token = f"race-{n}"
        await start.wait()  # all clients leave together
        outcome = await service.hold(slot_id=slot_id, token=token)
        if outcome.ok:
            outcome = await service.book(
                actor=PATIENT,
                slot_id=slot_id,
                token=token,
                details=BookingDetails(source="online", contact_email=f"race{n}@example.org"),
            )
        outcomes[outcome.code] = outcomes.get(outcome.code, 0) + 1

    tasks = [asyncio.create_task(client(n, slot_id)) for n, slot_id in enumerate(picks)]
    await asyncio.sleep(0)
    started = timer.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    elapsed = (timer.perf_counter() - started) * 1000
    # The database decides what happened, not the clients' own account.
    rows = await Appointment.select(Appointment.slot).where(
        Appointment.slot.is_in(slot_ids) & (Appointment.status != "cancelled")
    )
    per_slot: dict[int, int] = {}
    for row in rows:
        per_slot[row["slot"]] = per_slot.get(row["slot"], 0) + 1
    figures = {
        "race_clients": clients,
        "race_slots": len(slot_ids),
        "race_slots_picked": len(set(picks)),
        "race_bookings": len(rows),
        "race_double_bookings": sum(n - 1 for n in per_slot.values() if n > 1),
        "race_outcomes": dict(sorted(outcomes.items())),
        "race_ms": round(elapsed, 1),
    }
    log(
        f"  race: {clients} clients on {len(slot_ids)} slots in {elapsed:.0f} ms: "
        f"{figures['race_bookings']} bookings, {figures['race_double_bookings']} double; "
        f"outcomes {outcomes}"
    )
    return figures


async def start_race_pool(engine, size: int) -> int:
    """The app's pool (10) would queue most clients before the database sees them; a
    larger pool puts many transactions in flight at once, which is the race to test.
    The server is shared, so settle for fewer connections if it has no more to give."""
    import asyncpg

    while True:
        try:
            await engine.start_connection_pool(min_size=size, max_size=size)
            return size
        except asyncpg.TooManyConnectionsError:
            if size <= 10:
                raise
            size //= 2
            log(f"  PostgreSQL refused the connections; racing with a pool of {size}")


async def run(backend: str, searches: int, clients: int, race_pool: int) -> dict:
    from piccolo.engine.postgres import PostgresEngine

    from app import clock, db

    clock.freeze(NOW)
    rng = random.Random(20300107)
    started = timer.perf_counter()
    await database.reset()
    clinic = await generate(rng)
    if backend == "postgres":
        # Autovacuum would analyze the freshly loaded tables within a minute; do it now.
        # SQLite is left without statistics, as the app runs it: nothing runs ANALYZE there.
        await database.analyze()
    generated_s = timer.perf_counter() - started
    log(
        f"  {clinic.slots_total} slots ({clinic.slots_booked / clinic.slots_total:.0%} booked) "
        f"migrated and generated in {generated_s:.1f} s"
    )
    await db.start()
    try:
        figures, digest = await measure_searches(clinic, rng, searches)
        engine = db.engine()
        if isinstance(engine, PostgresEngine):
            await db.stop()
            figures["race_pool"] = await start_race_pool(engine, race_pool)
        figures.update(await race(clinic, rng, clients))
    finally:
        await db.stop()
    return {
        "slots_total": clinic.slots_total,
        "slots_booked": clinic.slots_booked,
        "generate_s": round(generated_s, 1),
        **figures,
        "search_digest": digest,
    }


def main() -> None:
    database.main(
        __doc__,
        lambda args: run(args.backend, args.searches, args.clients, args.race_pool),
        searches=(300, "searches per kind (p50/p95 over these)"),
        clients=(200, "concurrent clients in the race"),
        race_pool=(40, "PostgreSQL connections during the race"),
    )


if __name__ == "__main__":
    main()
