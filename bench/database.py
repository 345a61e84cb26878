"""The benchmark databases: their own SQLite file and PostgreSQL database, never the
ones `make run` or the tests use, rebuilt from zero so the real migrations (and
their indexes) are the ones measured.

Call use(backend) before anything imports piccolo_conf: the engine is chosen then."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from typing import Any, Awaitable, Callable, Sequence

BACKENDS = ("sqlite", "postgres")
URLS = {
    "sqlite": os.environ.get("BENCH_SQLITE_URL", "sqlite:///var/bench.db"),
    "postgres": os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/bench"),
}


def log(*parts: Any) -> None:
    """Progress goes to stderr; stdout carries only the figures."""
    print(*parts, file=sys.stderr, flush=True)


def use(backend: str) -> None:
    os.environ["DATABASE_URL"] = URLS[backend]


def main(
    doc: str, measure: Callable[[argparse.Namespace], Awaitable[dict]], **options: tuple[Any, str]
) -> None:
    """A benchmark's command line: --backend and its own options (name=(default, help);
    the type is the default's), then its figures as one JSON line on stdout."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    for name, (default, help_text) in options.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=type(default), default=default, help=help_text
        )
    args = parser.parse_args()
    use(args.backend)
    with contextlib.redirect_stdout(sys.stderr):  # migrations print their progress
        figures = asyncio.run(measure(args))
    print(json.dumps(figures))


async def reset() -> None:
    """An empty database (created if missing), then every migration from zero."""
    from app import db
    from app.settings import parse_database_url

    database = parse_database_url(os.environ["DATABASE_URL"])
    if database.kind == "postgres":
        await db.create_postgres_database(database.dsn)
    await db.rebuild(database)


async def bulk_insert(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Many rows at once without building Table objects: COPY on PostgreSQL, one
    executemany in one transaction on SQLite (values go through Piccolo's adapters,
    so they are stored exactly as the ORM stores them)."""
    from piccolo.engine.postgres import PostgresEngine

    from app.db import engine

    db = engine()
    if isinstance(db, PostgresEngine):
        conn = await db.get_new_connection()
        try:
            await conn.copy_records_to_table(table, records=rows, columns=list(columns))
            if "id" in columns:  # explicit ids: move the sequence past them
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
        finally:
            await conn.close()
        return
    conn = await db.get_connection()
    try:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        await conn.execute("BEGIN")
        await conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        await conn.execute("COMMIT")
    finally:
        await conn.close()


async def analyze() -> None:
    """Refresh the planner's statistics after a bulk load."""
    from app.db import engine

    await engine().run_ddl("ANALYZE")


# The slot table's columns, as the benchmarks bulk-insert them.
SLOT_COLUMNS = (
    "id",
    "clinic",
    "site",
    "practitioner",
    "activity",
    "opening",
    "origin",
    "starts_at",
    "ends_at",
    "local_date",
    "day_part",
    "publish_at",
    "state",
    "hold_token",
    "hold_until",
)
