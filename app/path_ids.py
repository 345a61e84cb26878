"""Every route's integer path parameters are row ids: one the database cannot hold (0,
negative, beyond a 32-bit serial) names no row, so the answer is the 404 page before any
handler runs, never a database error turned 500 (SQLite overflows, PostgreSQL refuses)."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler

from app.numbers import MAX_ID


async def ids_in_range(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    for value in connection.path_params.values():
        if isinstance(value, int) and not isinstance(value, bool) and not 0 < value <= MAX_ID:
            raise NotFoundException("no such row")
