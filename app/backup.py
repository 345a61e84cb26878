"""`python -m app backup [FILE]` and `python -m app restore FILE [--replace]`.

A backup is one file that can be taken while the platform serves patients: on SQLite a
copy made through SQLite's online backup API (one consistent snapshot, writers go on in
WAL mode), on PostgreSQL `pg_dump -Fc` (one snapshot transaction). It is written beside
its name and renamed into place, so a failed backup never replaces a good one.

A restore checks the file first (it exists, is a backup of this platform and of this
database's kind, is not damaged), and refuses to replace a database that holds data
unless told so with --replace: restoring is the one command that throws rows away. On
PostgreSQL it runs `pg_restore --clean --if-exists` in a single transaction, so a damaged
file leaves the database as it was; a missing database is created. Stop the web
processes and the workers before restoring; run `python -m app migrate` after restoring
a backup of an older version."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app import clock, db
from app.settings import VAR, Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format
SQLITE_BUSY_TIMEOUT_S = 30
MIGRATIONS_TABLE = "migration"  # every database of this platform has it
COUNTED = ("clinic", "appointment", "message")  # said after a backup or a restore


class BackupError(Exception):
    """What went wrong, in one line an operator can act on."""


@dataclass(frozen=True)
class Summary:
    """What a backup holds, or what a restore put in place."""

    path: Path
    kind: str  # "sqlite" or "postgres"
    size: int  # bytes of the backup file
    rows: dict[str, int]  # COUNTED tables' rows

    def describe(self, verb: str) -> str:
        counts = ", ".join(f"{n} {table}" for table, n in self.rows.items())
        return f"{verb} {self.kind} backup {self.path} ({self.size} bytes)" + (
            f": {counts}" if counts else ""
        )


def default_path(database: Database) -> Path:
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if database.kind == "sqlite" else "dump"
    return VAR / "backups" / f"clinic-{stamp}.{suffix}"


def backup(database: Database, target: Path) -> Summary:
    target = target.resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file")
    target.parent.mkdir(parents=True, exist_ok=True)
    draft = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if database.kind == "sqlite":
            _sqlite_backup(database.path, draft)
        else:
            _run([_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(draft), database.dsn])
        # What the file holds (a dump's rows are only counted once restored).
        rows = _sqlite_rows(draft) if database.kind == "sqlite" else {}
        os.replace(draft, target)
    finally:
        draft.unlink(missing_ok=True)
    return Summary(target, database.kind, target.stat().st_size, rows)


def restore(database: Database, source: Path, *, replace: bool = False) -> Summary:
    source = source.resolve()
    kind = check(source)
    if kind != database.kind:
        raise BackupError(
            f"{source} is a {kind} backup but DATABASE_URL names a {database.kind} database"
        )
    if not replace and (holding := _tables_with_rows(database)):
        raise BackupError(
            f"the database already holds data (tables {', '.join(holding[:5])}"
            f"{', …' if len(holding) > 5 else ''}): pass --replace to overwrite it"
        )
    if database.kind == "sqlite":
        _sqlite_restore(source, database.path)
    else:
        _create_if_missing(database.dsn)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "-d",
                database.dsn,
                str(source),
            ]
        )
    return Summary(source, database.kind, source.stat().st_size, _rows(database))


def check(source: Path) -> str:
    """The kind of backup `source` is ("sqlite" or "postgres"), or why it is none."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(PG_DUMP_MAGIC):
        listed = subprocess.run(
            [_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True
        )
        if listed.returncode != 0:
            raise BackupError(f"{source} is damaged: {_last_line(listed.stderr)}")
        if f" {MIGRATIONS_TABLE} " not in listed.stdout:
            raise BackupError(f"{source} is a PostgreSQL dump, but not of this platform")
        return "postgres"
    if head == SQLITE_MAGIC:
        try:
            with _read_only(source) as conn:
                verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
                ours = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (MIGRATIONS_TABLE,),
                ).fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is damaged: {error}") from None
        if verdict != "ok":
            raise BackupError(f"{source} is damaged: {verdict}")
        if not ours:
            raise BackupError(f"{source} is a SQLite file, but not of this platform")
        return "sqlite"
    raise BackupError(f"{source} is not a backup (neither a SQLite file nor a pg_dump -Fc file)")


# -- SQLite ---------------------------------------------------------------------------------


class _read_only:
    """A read-only connection that never creates the file, closed on exit (sqlite3's own
    context manager only commits)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __enter__(self) -> sqlite3.Connection:
        self.conn = sqlite3.connect(
            f"{self.path.as_uri()}?mode=ro", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S
        )
        return self.conn

    def __exit__(self, *exc) -> None:
        self.conn.close()


def _sqlite_backup(path: str, draft: Path) -> None:
    if not Path(path).is_file():
        raise BackupError(f"no database at {path}")
    with _read_only(path) as source:
        target = sqlite3.connect(draft)
        try:
            # All pages in one step: one read transaction, so one consistent snapshot
            # (copying in steps would restart on every write the app commits meanwhile).
            source.backup(target)
            # One self-contained file, not a WAL database waiting for its -wal beside it.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()


def _sqlite_restore(source: Path, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with _read_only(source) as backup_file:
        target = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S)
        try:
            # Through the target's own connection: its lock and its WAL are respected,
            # and the whole file is replaced at once.
            backup_file.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as app.db.make_engine leaves it
        except sqlite3.DatabaseError as error:
            raise BackupError(f"could not write {path}: {error}") from None
        finally:
            target.close()


# -- what a database holds --------------------------------------------------------------


def _tables_with_rows(database: Database) -> list[str]:
    if database.kind == "sqlite":
        if not Path(database.path).is_file():
            return []
        with _read_only(database.path) as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' AND name != ? ORDER BY name",
                    (MIGRATIONS_TABLE,),
                )
            ]
            return [n for n in names if conn.execute(f'SELECT 1 FROM "{n}" LIMIT 1').fetchone()]
    return asyncio.run(_postgres_tables_with_rows(database.dsn))


async def _postgres_tables_with_rows(dsn: str) -> list[str]:
    import asyncpg

    try:
        conn = await asyncpg.connect(dsn, timeout=10)
    except asyncpg.InvalidCatalogNameError:
        return []  # no database yet: restore creates it
    except (OSError, asyncpg.PostgresError) as error:
        raise BackupError(f"cannot reach the database: {error}") from None
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != $1"
            " ORDER BY tablename",
            MIGRATIONS_TABLE,
        )
        found = []
        for row in names:
            if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{row[0]}")'):
                found.append(row[0])
        return found
    finally:
        await conn.close()


def _rows(database: Database) -> dict[str, int]:
    if database.kind == "sqlite":
        return _sqlite_rows(database.path)
    return asyncio.run(_postgres_rows(database.dsn))


def _sqlite_rows(path: Path | str) -> dict[str, int]:
    with _read_only(path) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in COUNTED}


async def _postgres_rows(dsn: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in COUNTED}
    finally:
        await conn.close()


def _create_if_missing(dsn: str) -> None:
    asyncio.run(db.create_postgres_database(dsn))


# -- the PostgreSQL tools -----------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client tools")
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {_last_line(done.stderr)}")


def _last_line(text: str) -> str:
    """The tool's error line (pg_restore follows it with the command that failed)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    return (errors or lines or ["no message"])[0]
