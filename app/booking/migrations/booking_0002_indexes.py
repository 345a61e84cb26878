"""At most one active appointment per slot, enforced by the database: a partial unique index (the same SQL on SQLite and PostgreSQL), so even a bug cannot double-book."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.table import Table

ID = "2026-11-22T01:48:55:000000"
VERSION = "1.38.0"
DESCRIPTION = "one active appointment per slot"

FORWARDS = [
    "CREATE UNIQUE INDEX appointment_active_slot ON appointment (slot) WHERE status <> 'cancelled'",
    "CREATE INDEX appointment_agenda ON appointment (clinic, starts_at)",
    "CREATE INDEX appointment_patient ON appointment (patient)",
]
POSTGRES_FORWARDS = [

]
BACKWARDS = [
    "DROP INDEX appointment_active_slot",
    "DROP INDEX appointment_agenda",
    "DROP INDEX appointment_patient",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="booking", description=DESCRIPTION)

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
