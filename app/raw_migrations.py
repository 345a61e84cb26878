"""Migrations written as SQL (indexes Piccolo cannot declare, such as partial and
composite unique indexes), run in order, the same on SQLite and PostgreSQL unless
listed as PostgreSQL-only."""

from __future__ import annotations

from typing import Awaitable, Callable, Sequence

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table


class _Raw(Table):
    pass


def sql_migration(
    *,
    migration_id: str,
    app_name: str,
    description: str,
    forwards: Sequence[str],
    backwards: Sequence[str],
    postgres_forwards: Sequence[str] = (),
) -> Callable[[], Awaitable[MigrationManager]]:
    """The `forwards` coroutine function Piccolo looks for in a migration module."""

    async def build() -> MigrationManager:
        manager = MigrationManager(
            migration_id=migration_id, app_name=app_name, description=description
        )

        async def run() -> None:
            statements = list(forwards)
            if engine_finder().engine_type == "postgres":
                statements += postgres_forwards
            for statement in statements:
                await _Raw.raw(statement)

        async def run_backwards() -> None:
            for statement in backwards:
                await _Raw.raw(statement)

        manager.add_raw(run)
        manager.add_raw_backwards(run_backwards)
        return manager

    return build
