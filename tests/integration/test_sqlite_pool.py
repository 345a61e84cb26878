"""The embedded default's SQLite connections are kept and lent again (app.sqlite_pool):
statements no longer open a connection (a thread) each, and a connection is never lent
in a state a failure left it in."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sqlite3
import threading

import aiosqlite
import pytest

from app import db
from app.db import write_transaction
from app.sqlite_pool import SIZE, PooledSQLiteEngine
from tenants.tables import Clinic


@pytest.fixture
def pool(demo_data) -> PooledSQLiteEngine:
    engine = db.engine()
    if not isinstance(engine, PooledSQLiteEngine):
        pytest.skip("SQLite only: PostgreSQL has asyncpg's pool")
    return engine


def open_connections() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, aiosqlite.Connection) and o._running)


async def test_statements_reuse_a_few_connections(pool, monkeypatch):
    """Each aiosqlite connection is a thread: 80 statements start at most SIZE."""
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda t: (started.append(t), start(t))[1])
    await Clinic.count()
    started.clear()
    for _ in range(50):
        assert await Clinic.count() == 2
    async with write_transaction():
        await Clinic.update({Clinic.phone: Clinic.phone}).where(Clinic.slug == "demo")
    await asyncio.gather(*(Clinic.count() for _ in range(30)))  # beyond SIZE: they wait
    assert len(started) <= SIZE


async def test_a_failed_transaction_rolls_back_and_its_connection_is_not_lent_again(pool):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with write_transaction():
            await Clinic.update({Clinic.name: "Changée"}).where(Clinic.slug == "demo")
            raise Boom
    assert await Clinic.count().where(Clinic.name == "Changée") == 0
    # A statement that fails inside a transaction (a foreign key: every lent connection
    # enforces them) rolls it back too, and the next transaction works.
    from app.scheduling.tables import Practitioner

    with pytest.raises(sqlite3.IntegrityError):
        async with write_transaction():
            await Clinic.update({Clinic.name: "Changée"}).where(Clinic.slug == "demo")
            await Practitioner.insert(Practitioner(clinic=999_999, name="Personne"))
    assert await Clinic.count().where(Clinic.name == "Changée") == 0
    async with write_transaction():
        await Clinic.update({Clinic.name: "Changée"}).where(Clinic.slug == "demo")
    assert await Clinic.count().where(Clinic.name == "Changée") == 1


async def test_a_transaction_cancelled_while_it_waits_for_the_lock_leaves_nothing_open(pool):
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder():
        async with write_transaction():
            await Clinic.update({Clinic.name: "Tenue"}).where(Clinic.slug == "demo")
            holding.set()
            await release.wait()

    async def waiter():
        async with write_transaction():
            await Clinic.update({Clinic.name: "Jamais"}).where(Clinic.slug == "autre")

    first = asyncio.create_task(holder())
    await holding.wait()
    before = open_connections()
    second = asyncio.create_task(waiter())
    await asyncio.sleep(0.3)  # BEGIN IMMEDIATE is waiting on the busy timeout
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(second, 2)  # at once, not after the 30 s busy timeout
    release.set()
    await first
    await asyncio.sleep(0.2)  # the cancelled BEGIN's thread finishes, then its close
    assert open_connections() <= before
    assert await Clinic.count().where(Clinic.name == "Jamais") == 0
    assert await Clinic.count().where(Clinic.name == "Tenue") == 1


async def test_writers_queued_on_the_lock_never_starve_its_holder_of_a_read(pool):
    """More transactions waiting for the write lock than the pool holds, while the lock's
    holder waits for a read run elsewhere (another task, outside its transaction)."""
    holding = asyncio.Event()

    async def read_elsewhere() -> int:
        return await Clinic.count()

    async def holder() -> int:
        async with write_transaction():
            await Clinic.update({Clinic.name: "Tenue"}).where(Clinic.slug == "demo")
            holding.set()
            await asyncio.sleep(0.3)  # the others are queued on BEGIN IMMEDIATE by now
            reading = asyncio.get_running_loop().create_task(
                read_elsewhere(), context=contextvars.Context()
            )
            return await asyncio.wait_for(reading, 5)

    async def writer(n: int) -> None:
        await holding.wait()
        async with write_transaction():
            await Clinic.update({Clinic.phone: f"514 555 0{n:03d}"}).where(Clinic.slug == "autre")

    results = await asyncio.gather(holder(), *(writer(n) for n in range(SIZE + 4)))
    assert results[0] == 2


async def test_writers_take_their_turn_in_the_order_they_came(pool):
    """Queued on this process's lock, not on SQLite's busy handler (whose sleeps and
    retries hand the lock to whoever wakes first): the first to ask writes first."""
    holding, release = asyncio.Event(), asyncio.Event()
    order: list[int] = []

    async def holder():
        async with write_transaction():
            await Clinic.update({Clinic.name: "Tenue"}).where(Clinic.slug == "demo")
            holding.set()
            await release.wait()

    async def writer(n: int) -> None:
        async with write_transaction():
            order.append(n)
            await Clinic.update({Clinic.phone: f"514 555 0{n:03d}"}).where(Clinic.slug == "autre")

    first = asyncio.create_task(holder())
    await holding.wait()
    writers = []
    for n in range(12):
        writers.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0.01)  # each is waiting before the next one asks
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *writers), 10)
    assert order == list(range(12))
    assert await Clinic.count().where(Clinic.phone == "514 555 0011") == 1


async def test_a_writer_that_waits_past_the_timeout_is_told_the_database_is_locked(pool):
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder():
        async with pool.write_turn(5):
            holding.set()
            await release.wait()

    first = asyncio.create_task(holder())
    await holding.wait()
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        async with pool.write_turn(0.2):
            pass
    release.set()
    await first
    async with pool.write_turn(0.2):  # free again
        pass


async def test_reads_run_in_the_loops_thread_beside_an_open_write(pool):
    """A read runs on this thread's own connection, not on a lent one; it does not wait
    for a writer holding the lock (WAL), sees only what is committed, and sees it as soon
    as it is."""
    await pool.close_idle()
    assert await Clinic.count() == 2
    assert threading.get_ident() in pool._readers
    assert pool._idle == []  # no connection was lent
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder():
        async with write_transaction():
            await Clinic.update({Clinic.name: "Pas encore"}).where(Clinic.slug == "demo")
            holding.set()
            await release.wait()

    writer = asyncio.create_task(holder())
    await holding.wait()
    read = Clinic.count().where(Clinic.name == "Pas encore")
    assert await asyncio.wait_for(read, 2) == 0
    release.set()
    await writer
    assert await Clinic.count().where(Clinic.name == "Pas encore") == 1


async def test_a_write_runs_in_the_loops_thread_and_waits_on_a_thread_for_another_process(
    pool,
):
    """In its turn, a write transaction runs on this thread's own writing connection.
    While another process holds SQLite's lock (here a connection of this test's own), it
    waits for it on an aiosqlite thread: the loop goes on serving reads meanwhile, and the
    write lands once the other process commits."""
    async with write_transaction():
        await Clinic.update({Clinic.phone: "514 555 0101"}).where(Clinic.slug == "demo")
    assert threading.get_ident() in pool._writers
    other = sqlite3.connect(pool.connection_kwargs["database"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE clinic SET name = 'Autre processus' WHERE slug = 'autre'")

    async def write() -> None:
        async with write_transaction():
            await Clinic.update({Clinic.name: "Après"}).where(Clinic.slug == "demo")

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert await asyncio.wait_for(Clinic.count(), 1) == 2  # the loop is not held up
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(waiting, 10)
    assert await Clinic.count().where(Clinic.name.is_in(["Après", "Autre processus"])) == 2
