"""A site's slug is unique within its clinic (a composite index, written by hand:
Piccolo's Unique constraint emits ALTER TABLE … ADD CONSTRAINT, which SQLite lacks)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-22T01:43:56:000000"
VERSION = "1.38.0"
DESCRIPTION = "work site slug unique per clinic"


class RawTable(Table):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenants", description=DESCRIPTION)

    async def run():
        await RawTable.raw("CREATE UNIQUE INDEX work_site_clinic_slug ON work_site (clinic, slug)")

    async def run_backwards():
        await RawTable.raw("DROP INDEX work_site_clinic_slug")

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
