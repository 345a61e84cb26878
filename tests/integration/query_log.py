"""The SQL statements a piece of work runs, as the database engine receives them.

Piccolo hands every query to its engine's run_querystring(); recording the compiled text
(placeholders, not values) there shows the shape of the work, and whether each statement
ran inside a transaction. The engine itself runs unchanged."""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from app import db

WRITES = ("INSERT", "UPDATE", "DELETE")
# Only the work of the block's own task (and what it awaits) is recorded, not that of
# background tasks started earlier, such as the app's in-process outbox dispatcher.
_recording: ContextVar[list | None] = ContextVar("recorded_statements", default=None)


@dataclass(frozen=True)
class Statement:
    sql: str  # with placeholders
    in_transaction: bool

    @property
    def writes(self) -> bool:
        return self.sql.lstrip().upper().startswith(WRITES)


@contextlib.contextmanager
def recorded_statements() -> Iterator[list[Statement]]:
    engine = db.engine()
    kind = type(engine)  # its instances have no __dict__: the method is wrapped on the class
    run = kind.run_querystring
    seen: list[Statement] = []

    async def recording(self, querystring, *args, **kwargs):
        into = _recording.get()
        if into is not None:
            sql, _values = querystring.compile_string(engine_type=self.engine_type)
            into.append(
                Statement(" ".join(sql.split()), self.current_transaction.get() is not None)
            )
        return await run(self, querystring, *args, **kwargs)

    kind.run_querystring = recording
    token = _recording.set(seen)
    try:
        yield seen
    finally:
        _recording.reset(token)
        kind.run_querystring = run
