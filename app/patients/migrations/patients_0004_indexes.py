"""A contact appears once per file (so appending the form's contacts twice adds nothing),
and attempts are counted per clinic, key and time."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T01:58:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique contact per file, identification attempt indexes"

FORWARDS = [
    "CREATE UNIQUE INDEX contact_detail_unique_value ON contact_detail (patient, value)",
    "CREATE INDEX identification_attempt_client ON identification_attempt (clinic, client_key, attempted_at)",
    "CREATE INDEX identification_attempt_identity ON identification_attempt (clinic, identity_key, attempted_at)",
    "CREATE INDEX identification_attempt_hin ON identification_attempt (clinic, hin_key, attempted_at)",
]
BACKWARDS = [
    "DROP INDEX contact_detail_unique_value",
    "DROP INDEX identification_attempt_client",
    "DROP INDEX identification_attempt_identity",
    "DROP INDEX identification_attempt_hin",
]


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="patients", description=DESCRIPTION)

    async def run():
        for statement in FORWARDS:
            await RawTable.raw(statement)

    async def run_backwards():
        for statement in BACKWARDS:
            await RawTable.raw(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
