"""SQLite connections kept open and reused (the embedded default's engine).

Piccolo's SQLiteEngine opens a new connection for every statement run outside a
transaction, and for every transaction: with aiosqlite each is a new thread, a file open
and a PRAGMA, several times per request. Under a booking storm that was most of a
request's time. This engine keeps up to SIZE connections open and lends them out: at
most SIZE statements at once (the others wait their turn), and any write transaction.
A connection that saw an error or a cancellation is closed rather than lent again, so
one left mid-statement or mid-transaction is never reused.

A read (a SELECT outside a transaction) runs at once on a plain sqlite3 connection of
the thread calling (the event loop's): the few indexed rows a request reads take tens of
microseconds, far less than the hop to an aiosqlite thread and back, which under a
booking storm was most of the portal's wait (the loop sat idle while reads queued for the
threads and for the GIL). In WAL mode a read never waits for the writer; READ_TIMEOUT_S
bounds the rare wait on SQLite's own recovery.

SQLite has one writer at a time. Writers of this process take turns on an asyncio lock
(write_turn), first come first served, before BEGIN IMMEDIATE: left to SQLite's busy
handler, each would sleep and retry (1, 2, 5 … 100 ms), and under a booking storm the
holds waited on those sleeps while the lock was free. In its turn, a write transaction
runs in the loop's thread too, on this thread's writing connection (begin_now): a hold is
a few statements of microseconds and a commit's sync, where the aiosqlite thread's hops
kept the lock held for milliseconds, and the storm's holds queued on it. If another
process (a backup, a command, a worker) holds SQLite's lock, BEGIN fails at once and the
transaction waits for it on an aiosqlite thread instead (db._sqlite_transaction), on the
busy timeout, so that the loop never waits for another process. The loop does wait for
a commit's sync to the disk (a third of a millisecond on this project's machine): a disk
slow to sync calls for PostgreSQL.

Connections are in autocommit mode (Piccolo's isolation_level=None): outside a
transaction each statement is its own, so a connection lent again holds no snapshot."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

READ_TIMEOUT_S = 1.0
SIZE = 8  # statements at once, and idle connections kept, per process
_closing: set[asyncio.Future] = set()  # closes under way, kept from the garbage collector


class PooledSQLiteEngine(SQLiteEngine):
    __slots__ = ("_idle", "_readers", "_statements", "_turn", "_waiting", "_writers")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self._readers: dict[int, sqlite3.Connection] = {}  # by thread: the loop's, in use
        self._writers: dict[int, sqlite3.Connection] = {}  # likewise, used in write_turn only
        self._statements = 0  # connections lent to statements run outside a transaction
        self._waiting: collections.deque[asyncio.Future] = collections.deque()
        # An asyncio lock belongs to one event loop (tests run several, one at a time).
        self._turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @contextlib.asynccontextmanager
    async def write_turn(self, timeout: float) -> AsyncIterator[None]:
        """This process's turn to write; after `timeout` seconds, "database is locked",
        as SQLite's own busy timeout would say."""
        loop = asyncio.get_running_loop()
        if self._turn is None or self._turn[0] is not loop:
            self._turn = (loop, asyncio.Lock())
        lock = self._turn[1]
        try:
            await asyncio.wait_for(lock.acquire(), timeout)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        try:
            yield
        finally:
            lock.release()

    async def borrow(self) -> aiosqlite.Connection:
        """An idle connection, or a new one. Write transactions borrow here and never
        wait: those queued on the write lock must not hold back the reads its holder
        may be waiting for."""
        if self._idle:
            return self._idle.pop()
        connection = aiosqlite.connect(**self.connection_kwargs)
        # An idle connection's thread must not keep a finished command from exiting.
        connection._thread.daemon = True  # noqa: SLF001 - aiosqlite starts it on await
        await connection
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    def give_back(self, connection: aiosqlite.Connection) -> None:
        if connection.in_transaction or len(self._idle) >= SIZE:
            self.discard(connection)
        else:
            self._idle.append(connection)

    def discard(self, connection: aiosqlite.Connection) -> None:
        """A connection whose state is unknown (an error, a cancelled await): closed, in
        the background. Its thread may still be running the cancelled statement (a BEGIN
        waiting for the lock, up to the busy timeout): the task cancelled must not wait
        for it, and the close queues behind it."""
        closing = asyncio.ensure_future(connection.close())
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)

    async def close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        readers, self._readers = self._readers, {}
        writers, self._writers = self._writers, {}
        for connection in [*readers.values(), *writers.values()]:
            connection.close()

    def begin_now(self) -> sqlite3.Connection | None:
        """BEGIN IMMEDIATE on this thread's writing connection, in this process's turn to
        write (write_turn): None, at once, when another process holds SQLite's lock."""
        writer = self._own(self._writers, timeout=0)
        try:
            writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return None
        return writer

    def end_now(self, writer: sqlite3.Connection, *, commit: bool) -> None:
        """COMMIT, or ROLLBACK; a connection that fails to do either is not used again."""
        try:
            writer.execute("COMMIT" if commit else "ROLLBACK")
        except sqlite3.Error:
            if commit or writer.in_transaction:
                self._writers = {k: v for k, v in self._writers.items() if v is not writer}
                writer.close()
            if commit:
                raise

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ):
        """A read at once, in this thread; any other statement outside a transaction on
        a lent connection: at most SIZE at once, the others wait."""
        if query.lstrip()[:6].upper() == "SELECT":
            return self._read(query, args or [])
        while self._statements >= SIZE:
            waiting = asyncio.get_running_loop().create_future()
            self._waiting.append(waiting)
            try:
                await waiting
            except asyncio.CancelledError:
                if not waiting.cancelled():
                    self._next_turn()  # given the turn as we were cancelled: pass it on
                raise
        self._statements += 1
        try:
            connection = await self.borrow()
            try:
                async with connection.execute(query, args or []) as cursor:
                    rows = await cursor.fetchall()
            except BaseException:
                self.discard(connection)
                raise
            self.give_back(connection)
            return rows
        finally:
            self._statements -= 1
            self._next_turn()

    def _read(self, query: str, args: list[Any]) -> list[dict]:
        reader = self._own(self._readers, timeout=READ_TIMEOUT_S)
        return reader.execute(query, args).fetchall()

    def _own(self, connections: dict[int, sqlite3.Connection], *, timeout: float):
        """This thread's connection among `connections`, opened the first time."""
        thread = threading.get_ident()
        connection = connections.get(thread)
        if connection is None:
            connection = sqlite3.connect(**{**self.connection_kwargs, "timeout": timeout})
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            connections[thread] = connection
        return connection

    def _next_turn(self) -> None:
        while self._waiting:  # the next statement waiting, if still there
            waiting = self._waiting.popleft()
            if not waiting.done():
                waiting.set_result(None)
                return

    async def _run_in_existing_connection(
        self, connection, query: str, args=None, query_type: str = "generic", table=None
    ):
        # Piccolo repeats "PRAGMA foreign_keys = 1" before every statement of a
        # transaction: one more thread hop each. Lent connections have it on already.
        if isinstance(connection, sqlite3.Connection):  # begin_now's, in the loop's thread
            return connection.execute(query, args or []).fetchall()
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()
