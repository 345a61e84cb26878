"""SQLite connections kept open and reused (the embedded default's engine).

Piccolo's SQLiteEngine opens a new connection for every statement run outside a
transaction, and for every transaction: with aiosqlite each is a new thread, a file open
and a PRAGMA, several times per request. Under a booking storm that was most of a
request's time. This engine keeps up to SIZE connections open and lends them out (a
statement beyond that waits for one to come back). A connection that saw an error or a
cancellation is closed rather than lent again, so one left mid-statement or
mid-transaction is never reused.

Connections are in autocommit mode (Piccolo's isolation_level=None): outside a
transaction each statement is its own, so a connection lent again holds no snapshot."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

SIZE = 8  # open at once, per process; SQLite has one writer anyway
_closing: set[asyncio.Future] = set()  # closes under way, kept from the garbage collector


class PooledSQLiteEngine(SQLiteEngine):
    __slots__ = ("_idle", "_open", "_waiting")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[aiosqlite.Connection] = []
        self._open = 0
        # Statements waiting for a connection: each future gets one, or None when a
        # place was freed (a connection closed) and it may open its own.
        self._waiting: collections.deque[asyncio.Future] = collections.deque()

    async def borrow(self) -> aiosqlite.Connection:
        while True:
            if self._idle:
                return self._idle.pop()
            if self._open < SIZE:
                return await self._connect()
            waiting = asyncio.get_running_loop().create_future()
            self._waiting.append(waiting)
            try:
                handed = await waiting
            except asyncio.CancelledError:
                if waiting.done() and not waiting.cancelled() and waiting.result() is not None:
                    await self.give_back(waiting.result())  # handed over as we were cancelled
                raise
            if handed is not None:
                return handed

    async def _connect(self) -> aiosqlite.Connection:
        self._open += 1
        try:
            connection = aiosqlite.connect(**self.connection_kwargs)
            # An idle connection's thread must not keep a finished command from exiting.
            connection._thread.daemon = True  # noqa: SLF001 - aiosqlite starts it on await
            await connection
            connection.row_factory = dict_factory
            await connection.execute("PRAGMA foreign_keys = 1")
        except BaseException:
            self._open -= 1
            self._hand(None)
            raise
        return connection

    async def give_back(self, connection: aiosqlite.Connection) -> None:
        if connection.in_transaction:
            await self.discard(connection)
        elif not self._hand(connection):
            self._idle.append(connection)

    async def discard(self, connection: aiosqlite.Connection) -> None:
        """A connection whose state is unknown (an error, a cancelled await): closed, in
        the background. Its thread may still be running the cancelled statement (a BEGIN
        waiting for the lock, up to the busy timeout): the task cancelled must not wait
        for it, and the close queues behind it."""
        self._open -= 1
        closing = asyncio.ensure_future(connection.close())
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
        self._hand(None)

    def _hand(self, connection: aiosqlite.Connection | None) -> bool:
        """To the first statement still waiting: a connection, or None (open one)."""
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.done():
                waiting.set_result(connection)
                return True
        return False

    async def close_idle(self) -> None:
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            await connection.close()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ):
        connection = await self.borrow()
        try:
            async with connection.execute(query, args or []) as cursor:
                rows = await cursor.fetchall()
        except BaseException:
            await self.discard(connection)
            raise
        await self.give_back(connection)
        return rows

    async def _run_in_existing_connection(
        self, connection, query: str, args=None, query_type: str = "generic", table=None
    ):
        # Piccolo repeats "PRAGMA foreign_keys = 1" before every statement of a
        # transaction: one more thread hop each. Lent connections have it on already.
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()
