"""Test set-up shared by tests/ and e2e/.

The database is chosen here, before anything imports piccolo_conf: SQLite in a
temporary file by default, PostgreSQL when TEST_DATABASE_URL is set (make test
runs both). Under CI=true a missing PostgreSQL, Redis or Chromium fails the run
instead of skipping.

The clock too, before anything imports app.clock: CLOCK_OFFSET_SECONDS makes this
process, and the servers it starts (they inherit the environment), begin the run on
tests.moments.RUN_START, a Monday morning, whatever the machine's date; and every test
ends with the clock reset to that flowing clock, even when its set-up failed."""

from __future__ import annotations

import os
import socket
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.moments import RUN_START

CI = os.environ.get("CI") == "true"
os.environ["CLOCK_OFFSET_SECONDS"] = str((RUN_START - datetime.now(UTC)).total_seconds())
_tmp = Path(tempfile.mkdtemp(prefix="clinic-tests-"))
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_tmp}/test.db"
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["BASE_DOMAIN"] = "localhost"
os.environ.pop("REDIS_URL", None)
os.environ.pop("SMTP_URL", None)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The messaging tests' own database, which they flush: apart from the others' 15.
MESSAGING_REDIS_TEST_URL = os.environ.get("TEST_MESSAGING_REDIS_URL", "redis://127.0.0.1:6379/14")


def require(what: str, available: bool) -> None:
    """Skip a test whose service is missing; under CI, fail it instead."""
    if available:
        return
    if CI:
        pytest.fail(f"{what} is required under CI=true but is not available", pytrace=False)
    pytest.skip(f"{what} is not available")


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def reset_database() -> None:
    """An empty database, then every migration from zero."""
    from app import db
    from app.settings import parse_database_url

    database = parse_database_url(os.environ["DATABASE_URL"])
    if database.kind == "postgres":
        import asyncpg

        try:
            await (await asyncpg.connect(database.dsn, timeout=3)).close()
        except (OSError, asyncpg.PostgresError) as error:
            if CI:
                pytest.exit(f"PostgreSQL unreachable under CI=true: {error}", returncode=1)
            pytest.exit(
                f"PostgreSQL unreachable ({error}); skipped the PostgreSQL run", returncode=0
            )
    await db.rebuild(database)


async def truncate_all() -> None:
    from piccolo.apps.migrations.auto.migration_manager import sort_table_classes
    from piccolo.conf.apps import Finder

    tables = sort_table_classes(Finder().get_table_classes())
    for table in reversed(tables):
        if table._meta.tablename == "audit_entry":
            await erase_audit_log()
        else:
            await table.delete(force=True)


async def erase_audit_log() -> None:
    """Tests only: the audit log refuses deletion (its triggers), so they are dropped for
    the deletion and put back."""
    from app.audit.tables import AuditEntry
    from app.audit.triggers import create_statements, drop_statements
    from app.db import engine, write_transaction

    kind = engine().engine_type
    async with write_transaction():
        for statement in drop_statements(kind):
            await AuditEntry.raw(statement)
        await AuditEntry.raw("DELETE FROM audit_entry")
        for statement in create_statements(kind):
            await AuditEntry.raw(statement)


@pytest.fixture(autouse=True)
def forget_cached_settings():
    """Each test builds its clinics afresh, with the ids the one before used: nothing it
    reads may come from the caches the one before filled (tenants.cache)."""
    from tenants.resolution import forget_cache

    forget_cache()


@pytest.fixture(autouse=True)
def reset_clock():
    """Whatever a test froze or advanced, the next one starts on the run's flowing clock."""
    from app import clock

    yield
    clock.reset()


@pytest.fixture(scope="session", autouse=True)
async def database():
    await reset_database()
    from app import db

    await db.start()
    yield
    await db.stop()
    await close_leaked_sqlite_connections()


async def close_leaked_sqlite_connections() -> None:
    """An aiosqlite connection left open runs a non-daemon thread that would keep this
    process from ever exiting (CI would hang instead of reporting). Close any, and say so."""
    import gc
    import warnings

    import aiosqlite

    leaked = [
        obj for obj in gc.get_objects() if isinstance(obj, aiosqlite.Connection) and obj._running
    ]
    for connection in leaked:
        await connection.close()
    if leaked:
        warnings.warn(
            f"{len(leaked)} SQLite connection(s) were left open by the tests", stacklevel=1
        )


@pytest.fixture
async def demo_data(database):
    """A clean database with the demo clinics and sites, for tests that change data.
    No schedules: tests open their own slots, so they can assert exactly what they opened."""
    from app.seed import seed
    from tenants.resolution import forget_cache

    await truncate_all()
    await seed(schedules=False)
    forget_cache()
    yield


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_TEST_URL


@pytest.fixture
def require_redis():
    require("Redis at 127.0.0.1:6379", port_open("127.0.0.1", 6379))


@pytest.fixture(scope="session")
def turn_server():
    """coturn on 127.0.0.1 for the whole run (tests/coturn.py), with a random shared secret."""
    from tests.coturn import running_turnserver

    with running_turnserver() as server:
        yield server
