"""Indexes for availability search, overlap checks and holds. Partial indexes on open slots work the same on SQLite and PostgreSQL; PostgreSQL also gets an exclusion constraint, so no practitioner can have two overlapping slots even if two openings race."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-22T01:48:53:000000"
VERSION = "1.38.0"
DESCRIPTION = "slot indexes"

FORWARDS = [
    "CREATE INDEX slot_open_by_time ON slot (clinic, starts_at) WHERE state = 'open'",
    "CREATE INDEX slot_open_by_activity ON slot (clinic, activity, starts_at) WHERE state = 'open'",
    "CREATE INDEX slot_practitioner_time ON slot (practitioner, starts_at)",
    "CREATE INDEX slot_hold_token ON slot (hold_token) WHERE hold_token IS NOT NULL",
    "CREATE INDEX slot_agenda ON slot (clinic, site, starts_at)",
    "CREATE UNIQUE INDEX practitioner_site_unique ON practitioner_site (practitioner, site)",
]
POSTGRES_FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE slot ADD CONSTRAINT slot_no_overlap EXCLUDE USING gist (practitioner WITH =, tstzrange(starts_at, ends_at) WITH &&)",
]
BACKWARDS = [
    "DROP INDEX slot_open_by_time",
    "DROP INDEX slot_open_by_activity",
    "DROP INDEX slot_practitioner_time",
    "DROP INDEX slot_hold_token",
    "DROP INDEX slot_agenda",
    "DROP INDEX practitioner_site_unique",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="scheduling", description=DESCRIPTION)

    async def run():
        statements = list(FORWARDS)
        if engine_finder().engine_type == "postgres":
            statements += POSTGRES_FORWARDS
        for statement in statements:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
