"""`python -m app backup` and `restore`, as an operator runs them: a backup taken while
patients are booking holds every appointment, and every message, that had committed
when it began, and nothing half-written; restored into a fresh database (a new SQLite
file, or a PostgreSQL database of its own created by the restore), the audit chain
still verifies. A missing, damaged or foreign file is refused with one clear line, and
a database that holds data is only replaced when asked to (--replace).

Runs on the suite's backend: SQLite's online backup API in one run, pg_dump/pg_restore
in the other."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest

from app.booking.services import BookingDetails, OutcomeCode
from app.settings import ROOT, parse_database_url
from tests.integration.engine_fixtures import PATIENT, TUESDAY, open_slots
from tests.integration.polling import until

PATIENTS = 4  # booking at once while the backup runs


@dataclass(frozen=True)
class Cli:
    code: int
    out: str
    err: str


async def cli(database_url: str, *args: str) -> Cli:
    """`python -m app ARGS` on this database, as an operator types it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        *args,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return Cli(process.returncode, out.decode(), err.decode())


@pytest.fixture
async def fresh(tmp_path) -> str:
    """The URL of a database that does not exist yet, beside the suite's: a new SQLite
    file, or the suite's PostgreSQL database name + "_restore" (dropped before and after)."""
    source = os.environ["DATABASE_URL"]
    if parse_database_url(source).kind == "sqlite":
        yield f"sqlite:///{tmp_path}/restored.db"
        return
    parts = urlsplit(source)
    name = parts.path.strip("/") + "_restore"
    url = urlunsplit(parts._replace(path=f"/{name}"))
    await _drop(source, name)
    yield url
    await _drop(source, name)


async def _drop(source: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(source, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass(frozen=True)
class Contents:
    appointments: dict[int, tuple[int, str]]  # id: (slot, status)
    booked_slots: set[int]
    messages: dict[int, tuple[int | None, str, str]]  # id: (appointment, kind, channel)


async def contents(url: str) -> Contents:
    """What a database holds, read with its own connection (not the suite's engine)."""
    queries = (
        "SELECT id, slot, status FROM appointment",
        "SELECT id FROM slot WHERE state = 'booked'",
        "SELECT id, appointment, kind, channel FROM message",
    )
    database = parse_database_url(url)
    if database.kind == "sqlite":
        with sqlite3.connect(database.path) as conn:
            rows = [conn.execute(q).fetchall() for q in queries]
    else:
        import asyncpg

        conn = await asyncpg.connect(database.dsn, timeout=10)
        try:
            rows = [[tuple(r) for r in await conn.fetch(q)] for q in queries]
        finally:
            await conn.close()
    appointments, slots, messages = rows
    return Contents(
        {a[0]: (a[1], a[2]) for a in appointments},
        {s[0] for s in slots},
        {m[0]: (m[1], m[2], m[3]) for m in messages},
    )


async def many_slots(world) -> list[int]:
    """Four days of 15-minute slots for each of the demo clinic's three practitioners."""
    slots = []
    for offset in range(4):
        for who, site in (("roy", "centre-ville"), ("gagnon", "centre-ville"), ("lavoie", "laval")):
            slots += await open_slots(
                world.demo,
                who=who,
                site=site,
                activity="urgent",
                day=TUESDAY + timedelta(days=offset),
                start=time(8, 0),
                end=time(18, 0),
            )
    return slots


async def test_a_backup_taken_while_patients_book_holds_every_committed_booking(
    world, tmp_path, fresh
):
    source = os.environ["DATABASE_URL"]
    slots = await many_slots(world)
    booking = world.demo.booking()
    committed: list[int] = []  # appointment ids, once their transaction has committed
    stop = asyncio.Event()

    async def patient(n: int) -> None:
        for slot in slots[n::PATIENTS]:
            if stop.is_set():
                return
            token = f"patient-{n}-{slot}"
            details = BookingDetails(
                source="online", contact_email=f"patient{n}.{slot}@example.org", reason="fever"
            )
            await booking.hold(slot_id=slot, token=token)
            done = await booking.book(slot_id=slot, token=token, details=details, actor=PATIENT)
            assert done.code is OutcomeCode.BOOKED
            committed.append(done.appointment_id)

    patients = [asyncio.create_task(patient(n)) for n in range(PATIENTS)]

    async def some_booked() -> bool:
        return len(committed) >= 10

    await until(some_booked, what="the first bookings")
    before = set(committed)
    backup_file = tmp_path / "during-bookings.backup"
    taken = await cli(source, "backup", str(backup_file))
    during = set(committed) - before
    stop.set()
    await asyncio.gather(*patients)
    assert taken.code == 0, taken.err
    assert "Wrote" in taken.out and backup_file.stat().st_size > 0
    assert during, "no booking committed while the backup ran: the test proved nothing"
    assert len(committed) < len(slots), "the patients ran out of slots before the end"

    restored = await cli(fresh, "restore", str(backup_file))
    assert restored.code == 0, restored.err
    copy = await contents(fresh)
    print(
        f"\n{len(before)} booked before the backup, {len(during)} during it,"
        f" {len(committed)} in all; {len(copy.appointments)} appointments and"
        f" {len(copy.messages)} messages restored"
    )
    # Every appointment committed before the backup began, and none that never committed.
    assert before <= set(copy.appointments) <= set(committed)
    # Nothing half-written: each restored booking has its slot taken, and its messages,
    # exactly the ones its transaction wrote; no slot taken without its appointment.
    assert copy.booked_slots == {slot for slot, _ in copy.appointments.values()}
    assert {status for _, status in copy.appointments.values()} == {"booked"}
    original = await contents(source)
    for appointment in copy.appointments:
        assert {i: m for i, m in copy.messages.items() if m[0] == appointment} == {
            i: m for i, m in original.messages.items() if m[0] == appointment
        }, f"appointment {appointment}'s messages differ"
    assert set(copy.messages) <= set(original.messages)
    assert sum(1 for m in copy.messages.values() if m[1] == "confirmation") >= len(before)
    # The audit chain (each row hashes the one before, written with each change) is whole.
    verified = await cli(fresh, "audit", "verify")
    assert verified.code == 0 and "demo: OK" in verified.out, verified.out + verified.err
    # The copy is a working database: the app's own queries read it.
    assert len(copy.appointments) == await _count(fresh, "appointment")


async def _count(url: str, table: str) -> int:
    database = parse_database_url(url)
    if database.kind == "sqlite":
        with sqlite3.connect(database.path) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    import asyncpg

    conn = await asyncpg.connect(database.dsn, timeout=10)
    try:
        return await conn.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await conn.close()


async def test_a_bad_file_is_refused_with_one_clear_line(demo_data, tmp_path, fresh):
    source = os.environ["DATABASE_URL"]
    good = tmp_path / "good.backup"
    assert (await cli(source, "backup", str(good))).code == 0
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size * 9 // 10])
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup\n")
    cases = {
        str(tmp_path / "missing.backup"): "no backup file at",
        str(junk): "is not a backup",
        str(damaged): "is damaged",
        str(tmp_path): "no backup file at",  # a folder
    }
    for path, said in cases.items():
        refused = await cli(fresh, "restore", path)
        assert refused.code == 1, (path, refused)
        assert refused.err.startswith("restore failed: ") and said in refused.err, refused.err
        assert len(refused.err.strip().splitlines()) == 1 and "Traceback" not in refused.err
    assert (await cli(fresh, "restore")).code == 2  # no file named: the usage line


async def test_a_database_holding_data_is_replaced_only_when_asked(demo_data, tmp_path, fresh):
    source = os.environ["DATABASE_URL"]
    good = tmp_path / "good.backup"
    assert (await cli(source, "backup", str(good))).code == 0
    assert (await cli(fresh, "restore", str(good))).code == 0
    await _rename_clinic(fresh, "Changed since the backup")

    refused = await cli(fresh, "restore", str(good))
    assert refused.code == 1 and "already holds data" in refused.err and "--replace" in refused.err
    assert await _clinic_names(fresh) >= {"Changed since the backup"}

    # A damaged file, even with --replace, leaves the database as it was.
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(good.read_bytes()[: good.stat().st_size * 9 // 10])
    failed = await cli(fresh, "restore", str(damaged), "--replace")
    assert failed.code == 1 and "damaged" in failed.err + failed.out, failed
    assert await _clinic_names(fresh) >= {"Changed since the backup"}

    replaced = await cli(fresh, "restore", str(good), "--replace")
    assert replaced.code == 0, replaced.err
    assert "Changed since the backup" not in await _clinic_names(fresh)
    assert "Clinique Démo" in await _clinic_names(fresh)


async def test_a_backup_of_the_other_kind_is_refused(demo_data, tmp_path, fresh):
    """A SQLite file handed to PostgreSQL, or a dump to SQLite: named, not attempted."""
    source = os.environ["DATABASE_URL"]
    good = tmp_path / "good.backup"
    assert (await cli(source, "backup", str(good))).code == 0
    other = (
        "postgresql://postgres@127.0.0.1:5432/never_created_by_this_test"
        if parse_database_url(source).kind == "sqlite"
        else f"sqlite:///{tmp_path}/other.db"
    )
    refused = await cli(other, "restore", str(good))
    assert refused.code == 1 and "backup but DATABASE_URL names a" in refused.err, refused.err
    assert not (tmp_path / "other.db").exists()


async def _rename_clinic(url: str, name: str) -> None:
    await _execute(url, f"UPDATE clinic SET name = '{name}' WHERE slug = 'demo'")


async def _clinic_names(url: str) -> set[str]:
    return {row[0] for row in await _execute(url, "SELECT name FROM clinic")}


async def _execute(url: str, sql: str) -> list[tuple]:
    database = parse_database_url(url)
    if database.kind == "sqlite":
        with sqlite3.connect(database.path) as conn:
            return conn.execute(sql).fetchall()
    import asyncpg

    conn = await asyncpg.connect(database.dsn, timeout=10)
    try:
        return [tuple(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()
