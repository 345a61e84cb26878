"""One engine for the whole process, and write transactions that behave the same on both.

Work that must wait for a transaction to commit (telling open pages about a change)
is handed to after_commit(): it runs once the outermost write transaction has
committed, and is dropped if it rolls back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteTransaction, TransactionType

from app.settings import Database
from app.sqlite_pool import PooledSQLiteEngine

SQLITE_BUSY_TIMEOUT_S = 30
PING_TIMEOUT_S = 3
log = logging.getLogger("app.db")
# The work waiting for the outermost write transaction of this task to commit.
_after_commit: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar(
    "after_commit", default=None
)


def make_engine(database: Database) -> Engine:
    if database.kind == "postgres":
        return PostgresEngine(config={"dsn": database.dsn})
    Path(database.path).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers run beside the one writer; it is a property of the file,
    # so setting it once here is enough for every later connection.
    with sqlite3.connect(database.path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    return PooledSQLiteEngine(path=database.path, timeout=SQLITE_BUSY_TIMEOUT_S)


def configure(database: Database) -> Engine:
    """Point Piccolo (piccolo_conf's DB, which migrations use, and every table) at this
    database, unless it already is."""
    from piccolo.conf.apps import Finder

    import piccolo_conf

    current = engine()
    if _describes(current, database):
        return current
    chosen = piccolo_conf.DB = make_engine(database)
    for table in Finder().get_table_classes():
        table._meta.db = chosen
    return chosen


def _describes(current: Engine, database: Database) -> bool:
    if isinstance(current, PostgresEngine):
        return database.kind == "postgres" and current.config.get("dsn") == database.dsn
    return database.kind == "sqlite" and Path(current.path) == Path(database.path)


def engine() -> Engine:
    found = engine_finder()
    assert found is not None, "piccolo_conf.py defines DB"
    return found


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for writes. On SQLite it is IMMEDIATE, so two writers queue on the
    busy timeout instead of failing with 'database is locked' when they upgrade. Inside
    another write transaction it joins it."""
    if _after_commit.get() is not None:
        yield
        return
    pending: list[Callable[[], Awaitable[None]]] = []
    token = _after_commit.set(pending)
    try:
        db = engine()
        if isinstance(db, PooledSQLiteEngine):
            async with _sqlite_transaction(db):
                yield
        else:
            async with db.transaction():
                yield
    finally:
        _after_commit.reset(token)
    for work in pending:
        await _run_after_commit(work)


async def after_commit(work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` once the current write transaction commits; at once outside one."""
    pending = _after_commit.get()
    if pending is None:
        await _run_after_commit(work)
    else:
        pending.append(work)


async def _run_after_commit(work: Callable[[], Awaitable[None]]) -> None:
    # The change is committed whatever happens here: a failed push must not fail it.
    try:
        await work()
    except Exception:  # noqa: BLE001 - logged; the committed change stands
        log.exception("work after a commit failed")


@asynccontextmanager
async def _sqlite_transaction(db: PooledSQLiteEngine) -> AsyncIterator[None]:
    """In this process's turn to write, BEGIN IMMEDIATE in the loop's thread or, while
    another process holds SQLite's lock, on an aiosqlite thread (app.sqlite_pool)."""
    async with db.write_turn(SQLITE_BUSY_TIMEOUT_S):
        writer = db.begin_now()
        transaction = _in_this_thread(db, writer) if writer else _on_a_thread(db)
        async with transaction:
            yield


@asynccontextmanager
async def _in_this_thread(db: PooledSQLiteEngine, writer: sqlite3.Connection):
    transaction = SQLiteTransaction(engine=db, transaction_type=TransactionType.immediate)
    transaction.connection = writer
    context = db.current_transaction.set(transaction)
    try:
        yield
        db.end_now(writer, commit=True)
    except BaseException:
        db.current_transaction.reset(context)
        db.end_now(writer, commit=False)
        raise
    db.current_transaction.reset(context)


@asynccontextmanager
async def _on_a_thread(db: PooledSQLiteEngine) -> AsyncIterator[None]:
    """BEGIN IMMEDIATE on a lent connection, as Piccolo's transaction would, but the
    connection goes back to the pool after COMMIT. One that failed or was cancelled
    anywhere (waiting for the lock, in the body, at COMMIT) is rolled back and closed: its
    aiosqlite thread must not outlive the task, nor be lent again."""
    connection = await db.borrow()
    try:
        await connection.execute("BEGIN IMMEDIATE")
    except BaseException:
        db.discard(connection)
        raise
    transaction = SQLiteTransaction(engine=db, transaction_type=TransactionType.immediate)
    transaction.connection = connection
    context = db.current_transaction.set(transaction)
    try:
        yield
        await connection.execute("COMMIT")
    except BaseException:
        db.current_transaction.reset(context)
        with contextlib.suppress(Exception):
            if connection.in_transaction:
                await asyncio.shield(connection.execute("ROLLBACK"))
        db.discard(connection)
        raise
    db.current_transaction.reset(context)
    db.give_back(connection)


POOL_SIZE = 10  # per process; two instances and a worker stay far below max_connections


async def _keep_session(connection) -> None:
    """asyncpg resets a connection on its way back to the pool with a query of its own
    (RESET ALL, UNLISTEN *, advisory unlocks): one more round trip for every statement
    run outside a transaction. Nothing here changes a session (the only advisory locks
    are transaction-scoped; nothing SETs or LISTENs), so there is nothing to reset; an
    open transaction is still ended by asyncpg itself."""


async def start() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=POOL_SIZE, reset=_keep_session)


async def stop() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
    if isinstance(db, PooledSQLiteEngine):
        await db.close_idle()


async def ping() -> bool:
    try:
        # A database that accepts connections but does not answer is not answering.
        await asyncio.wait_for(engine().run_ddl("SELECT 1"), PING_TIMEOUT_S)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database is not answering (restarting, shut down,
    unreachable, a connection it dropped) rather than a fault of the request or a bug:
    such a request is refused with a 503, and the next one finds the database again (the
    pool replaces dead connections on its own)."""
    import asyncpg

    for cause in (error, error.__cause__):
        if isinstance(
            cause,
            (
                ConnectionError,  # refused, reset: nothing listening, or a restart under way
                asyncpg.PostgresConnectionError,  # the connection is gone or was refused
                asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
            ),
        ):
            return True
        if isinstance(cause, asyncpg.InterfaceError) and "closed" in str(cause):
            return True  # a pooled connection the server closed meanwhile
        if isinstance(cause, asyncpg.InternalClientError) and "operation (2)" in str(cause):
            # State 2 is asyncpg's "discarding until the server is ready": an idle pooled
            # connection got the shutting-down server's farewell and was taken by a request
            # before its socket closed. The pool replaces it on release.
            return True
    return False


async def create_postgres_database(dsn: str) -> None:
    """The database the DSN names, created if missing (a restore, the benchmarks)."""
    from urllib.parse import urlsplit, urlunsplit

    import asyncpg

    try:
        await (await asyncpg.connect(dsn, timeout=10)).close()
        return
    except asyncpg.InvalidCatalogNameError:
        pass
    parts = urlsplit(dsn)
    admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")), timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{parts.path.strip("/")}"')
    finally:
        await admin.close()


async def rebuild(database: Database) -> None:
    """Empty the database and run every migration from zero (tests and benchmarks only)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    if database.kind == "postgres":
        import asyncpg

        conn = await asyncpg.connect(database.dsn, timeout=5)
        try:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    else:
        current = engine()
        if isinstance(current, PooledSQLiteEngine):
            await current.close_idle()  # connections to the file about to be deleted
        for suffix in ("", "-wal", "-shm"):
            Path(database.path + suffix).unlink(missing_ok=True)
        make_engine(database)  # re-applies WAL to the new file
    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
